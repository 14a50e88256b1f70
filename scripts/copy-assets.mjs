// Copies what the compiled program reads beside its code into dist/: the screens' static files
// (kiosk/screen/static, center/console/static) and the kiosk's OpenSSL config for the TPM provider.
import { cpSync, existsSync } from 'node:fs';

const ASSETS = ['kiosk/screen/static', 'center/console/static', 'kiosk/keystore/openssl-tpm2.cnf'];
for (const path of ASSETS) {
  if (!existsSync(path)) continue;
  cpSync(path, `dist/${path}`, { recursive: true });
}
