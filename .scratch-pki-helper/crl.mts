import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createCa, createCrl } from '../provisioning/pki/ca.js';
const random = (n: number) => new Uint8Array(randomBytes(n));
const { ca } = await createCa({ name: 'Cardline dev CA', days: 3650, random });
writeFileSync('/tmp/pkitest-crl.pem', await createCrl(ca, [{ serial: '4142', date: new Date() }]));
writeFileSync('/tmp/pkitest-crl0.pem', await createCrl(ca, []));
writeFileSync('/tmp/pkitest-ca.pem', ca.certPem);
