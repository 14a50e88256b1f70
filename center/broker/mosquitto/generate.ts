/**
 * `cardline broker config` without the CLI: reads the active kiosks from
 * the center's store and the center's username from its certificate, then
 * writes mosquitto.conf and dynamic-security.json (site.ts, write.ts). The
 * test fixture (test/fixtures/mosquitto.ts) starts mosquitto on exactly
 * these files.
 */
import { X509Certificate } from 'node:crypto';
import { join, resolve } from 'node:path';
import { readPemFile } from '../../../common/key-files.js';
import type { Logger } from '../../../common/log.js';
import type { StoreLocation } from '../../store/db.js';
import { openStore } from '../../store/open.js';
import { activeKioskIds } from './active-kiosks.js';
import { MosquittoConfigError } from './errors.js';
import { siteBrokerFiles, type SiteBrokerFiles, type SiteBrokerOptions } from './site.js';
import { writeSiteBrokerFiles } from './write.js';

export type GenerateOptions = Omit<SiteBrokerOptions, 'centerUsername' | 'kiosks'> & { store: StoreLocation };

/** The CN of a certificate's subject (the first certificate of the PEM file): what use_identity_as_username makes the username. */
export async function certificateCn(path: string): Promise<string> {
  const cert = new X509Certificate(await readPemFile(path, { secret: false }));
  const cns = cert.subject.split('\n').filter((l) => l.startsWith('CN='));
  const [only] = cns;
  if (cns.length !== 1 || only === undefined) throw new MosquittoConfigError('INVALID_CENTER_NAME', `${path}: the subject has ${cns.length} CNs, one is needed`);
  return only.slice(3);
}

export async function generateSiteBroker(o: GenerateOptions, logger: Logger): Promise<SiteBrokerFiles> {
  const centerUsername = await certificateCn(join(resolve(o.pkiDir), 'center', 'tls.crt'));
  const db = await openStore(o.store, logger);
  let kiosks: string[];
  try {
    kiosks = await activeKioskIds(db);
  } finally {
    await db.close();
  }
  const files = siteBrokerFiles({ ...o, centerUsername, kiosks });
  await writeSiteBrokerFiles(files);
  return files;
}
