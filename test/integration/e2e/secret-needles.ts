/**
 * What must never be found on the kiosk's disk or in its logs (issue 4;
 * DESIGN §4, §6): each application's personal data and one-time code, the
 * kiosk's own private keys (unsealed from its key store here, in the test),
 * every issued card's static SCP03 keys (KDF3 of the issuer master key and
 * the card's KDD, card/diversify.ts), and the center's keys.
 */
import { createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hex } from '../../../card/bytes.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { openDevKioskSecrets } from '../../../kiosk/keystore/index.js';
import { textNeedle, valueForms, type Needle } from './secret-scan.js';
import type { UniqueApplication } from './unique-apps.js';

const tag4 = (t: number): string => t.toString(16).padStart(4, '0').toUpperCase();

/** Each application's DGI values, cardholder name, card number and one-time code; `raw: false` for text (logs). */
export function appNeedles(apps: readonly UniqueApplication[], o: { raw?: boolean } = {}): Needle[] {
  return apps.flatMap((a) => [
    ...a.input.dgis.flatMap((d) => valueForms(`${a.input.id} DGI ${tag4(d.tag)}${a.secretTags.includes(d.tag) ? ' (secret)' : ''}`, d.value, o)),
    textNeedle(`${a.input.id} cardholder name`, a.cardholder),
    ...valueForms(`${a.input.id} card number`, a.pan, o),
    textNeedle(`${a.input.id} one-time code`, a.input.code),
  ]);
}

/** A PEM private key: its DER, its private scalar (JWK `d`), and each whole line of its body. */
function pemKeyNeedles(what: string, pem: Uint8Array | string): Needle[] {
  const key = createPrivateKey({ key: typeof pem === 'string' ? pem : Buffer.from(pem), format: 'pem' });
  const der = key.export({ format: 'der', type: 'pkcs8' });
  const d = key.export({ format: 'jwk' }).d;
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('ascii');
  const lines = text.split('\n').filter((l) => /^[A-Za-z0-9+/=]{64}$/.test(l));
  return [
    ...valueForms(`${what} (PKCS#8 DER)`, der),
    ...(d !== undefined ? valueForms(`${what} (private scalar)`, Buffer.from(d, 'base64url')) : []),
    ...lines.map((l, i) => textNeedle(`${what} (PEM line ${i + 1})`, l)),
  ];
}

/** The kiosk's private keys, unsealed from its dev key store (and the dev machine secret that store is sealed under). */
export async function kioskKeyNeedles(kioskDir: string): Promise<Needle[]> {
  const files = { keyStore: join(kioskDir, 'keys.sealed'), machineSecret: join(kioskDir, 'machine-secret') };
  const secrets = await openDevKioskSecrets(files);
  try {
    if (secrets.tls.kind !== 'pem') throw new Error(`the dev key store holds a ${secrets.tls.kind} TLS key, not a PEM`);
    return [
      ...valueForms('kiosk signing key (Ed25519)', secrets.signingKey),
      ...valueForms('kiosk sealing key (X25519)', secrets.sealingKey),
      ...pemKeyNeedles('kiosk TLS key (P-256)', secrets.tls.pem),
      ...valueForms('kiosk machine secret (dev key store)', new Uint8Array(await readFile(files.machineSecret))),
    ];
  } finally {
    secrets.dispose();
  }
}

/** The center's secret keys (hex files) and its, the broker's and the fleet CA's (issuing and root) private keys (PEM). */
export async function centerKeyNeedles(pki: string): Promise<Needle[]> {
  const out: Needle[] = [];
  for (const name of ['data.key', 'issuer-master.key', 'signing.key', 'audit.key']) {
    out.push(...valueForms(`center ${name}`, hex((await readFile(join(pki, 'center', name), 'ascii')).trim())));
  }
  for (const [what, file] of [
    ['center TLS key', join(pki, 'center', 'tls.key')],
    ['broker TLS key', join(pki, 'broker', 'tls.key')],
    ['issuing CA key', join(pki, 'ca', 'issuing.key')],
    ['root CA key (dev layout)', join(pki, 'root', 'root.key')],
  ] as const) {
    out.push(...pemKeyNeedles(what, await readFile(file, 'ascii')));
  }
  return out;
}

/** Each issued card's static keys (Key-ENC, Key-MAC, Key-DEK: KDF3 of the issuer master key and the card's KDD). */
export function cardKeyNeedles(kmc: Uint8Array, kdds: readonly string[]): Needle[] {
  return kdds.flatMap((kdd) => {
    const k = diversifyKdf3(kmc, hex(kdd));
    return [...valueForms(`card ${kdd} Key-ENC`, k.enc), ...valueForms(`card ${kdd} Key-MAC`, k.mac), ...valueForms(`card ${kdd} Key-DEK`, k.dek)];
  });
}
