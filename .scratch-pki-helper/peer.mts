import tls from 'node:tls';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDevPki } from '../provisioning/pki/dev-pki.js';
import { selfSigned } from '../test/integration/broker/helpers.js';
const dir = mkdtempSync(join(tmpdir(), 'x-'));
const l = await initDevPki(dir, { kiosks: ['kiosk-1'] });
const r = (p: string) => readFileSync(p, 'utf8');
for (const crl of [r(l.ca.crl), undefined]) {
const server = tls.createServer({ requestCert: true, rejectUnauthorized: true, ca: r(l.ca.cert), cert: r(l.broker.cert), key: r(l.broker.key), ...(crl ? { crl } : {}) }, (s) => s.end());
server.on('tlsClientError', (err: any, s: tls.TLSSocket) => { let pc; try { pc = s.getPeerCertificate(); } catch (e) { pc = String(e); } console.log('crl', !!crl, err.code, s.authorizationError, pc && (pc as any).subject, (pc as any)?.issuer, (pc as any)?.fingerprint256); });
await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
const port = (server.address() as any).port;
const ss = await selfSigned('kiosk-1');
await new Promise<void>((res) => { const s = tls.connect({ port, host: '127.0.0.1', ca: r(l.ca.cert), ...ss }); s.on('error', () => res()); s.on('close', () => res()); s.on('data', () => {}); });
await new Promise((r) => setTimeout(r, 100));
server.close();
}
