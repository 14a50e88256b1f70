import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { createCa, issueCertificate, createCrl } from '../provisioning/pki/ca.js';
import { newP256KeyPair, exportPkcs8Pem } from '../provisioning/pki/tls-keys.js';
const random = (n: number) => new Uint8Array(randomBytes(n));
const { ca } = await createCa({ name: 'Cardline dev CA', days: 3650, random });
const other = (await createCa({ name: 'Other CA', days: 3650, random })).ca;
async function leaf(c: typeof ca, cn: string, ou: string, profile: 'server'|'client', nb?: Date) {
  const kp = await newP256KeyPair();
  const r = await issueCertificate({ ca: c, subject: { cn, ou }, profile, days: 1, publicKey: kp.publicKey, random, sans: profile === 'server' ? { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } : undefined, ...(nb ? { notBefore: nb } : {}) });
  return { cert: r.pem, key: await exportPkcs8Pem(kp.privateKey), serial: r.serial };
}
const srv = await leaf(ca, 'cardline-broker', 'broker', 'server');
const good = await leaf(ca, 'kiosk-1', 'kiosk', 'client');
const revokedC = await leaf(ca, 'kiosk-2', 'kiosk', 'client');
const exp = await leaf(ca, 'kiosk-3', 'kiosk', 'client', new Date(Date.now() - 10 * 86400000));
const foreign = await leaf(other, 'kiosk-1', 'kiosk', 'client');
const crl = await createCrl(ca, [{ serial: revokedC.serial, date: new Date() }]);
const server = tls.createServer({ requestCert: true, rejectUnauthorized: true, ca: ca.certPem, cert: srv.cert, key: srv.key, crl, minVersion: 'TLSv1.2' }, (s) => { console.log('server ok', (s as tls.TLSSocket).getPeerCertificate().subject); s.end(); });
server.on('tlsClientError', (err: any, s: any) => console.log('tlsClientError', err.code, s.authorizationError, s.authorized));
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const port = (server.address() as any).port;
async function tryc(name: string, c?: { cert: string; key: string }, trustCa = ca.certPem) {
  await new Promise<void>((res) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: trustCa, servername: 'localhost', ...(c ?? {}) }, () => { console.log(name, 'client secure'); });
    s.on('error', (e: any) => { console.log(name, 'client err', e.code, e.message); res(); });
    s.on('close', () => res());
    s.on('data', () => {});
  });
}
await tryc('good', good);
await tryc('none');
await tryc('revoked', revokedC);
await tryc('expired', exp);
await tryc('foreign', foreign);
await tryc('srvascli', srv);
server.close();
