/**
 * `cardline center kiosks add|revoke` (`mode`: center-kiosk-mode.ts), `cardline center readers add|remove` and
 * `cardline center applications add`: registry and application changes,
 * each one transaction with its audit entry.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { zeroize } from '../../card/bytes.js';
import { readKeyFile } from '../../common/key-files.js';
import { addApplications } from '../../center/applications.js';
import { parseApplicationsJson } from '../../center/application-input.js';
import { DEFAULT_SCRYPT } from '../../center/code-hash.js';
import { CenterError } from '../../center/errors.js';
import { voidJob } from '../../center/jobs.js';
import { addKiosk, addReader, removeReader } from '../../center/registry.js';
import { DESCRIPTOR_PATTERN } from '../../wire/registry.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { withOfflineCenter } from '../center/offline.js';
import { sealingKeyOf } from './center-kiosk-mode.js';
import { fleetOutput, JSON_OPTION } from './fleet-output.js';
import { crlLine, revokeOffline } from './fleet-revoke.js';
import { cryptoRandom, pkiDir, storeLocation, STORE_OPTIONS } from '../center/store-option.js';

function optional(opts: ParsedOptions, name: string): string | undefined {
  const v = opts[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function required(opts: ParsedOptions, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} is required`);
  return v;
}

export const kioskAddCommand: Command = {
  path: ['center', 'kiosks', 'add'],
  summary: 'Register a kiosk from its public files in a dev PKI directory',
  usage: 'center kiosks add --pki DIR --kiosk ID (--data DIR | --database URL) [--json]',
  description: `
Reads <pki>/kiosks/<ID>/tls.crt (its CN must be the ID), signing.pub and,
when present, sealing.pub, and registers the kiosk as active, in relay mode,
with its certificate fingerprint and end of validity, its envelope-signing
public key and its sealing public key (for sealed mode: 'center kiosks
mode'). No private key is read.`,
  options: { ...STORE_OPTIONS, ...JSON_OPTION, kiosk: { type: 'string', arg: 'ID', description: 'Kiosk ID (the CN of its certificate)' } },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const id = required(opts, 'kiosk');
    const dir = join(pkiDir(opts), 'kiosks', id);
    return fleetOutput(ctx, 'center kiosks add', opts.json === true, async () => {
      // The kiosk's files are read here, so that with --json a missing or broken one is reported as JSON too.
      const cert = new X509Certificate(await readFile(join(dir, 'tls.crt')));
      const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
      if (cn !== id) throw new CenterError('KIOSK_INVALID', `certificate CN is ${cn ?? 'missing'}, not ${id}`);
      const signingPublicKey = await readKeyFile(join(dir, 'signing.pub'), 32);
      const sealingPublicKey = await sealingKeyOf(pkiDir(opts), id);
      await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) =>
        addKiosk({ db: c.db, audit: c.audit, clock: ctx.clock }, { id, signingPublicKey, certFingerprint: cert.fingerprint256, certNotAfter: new Date(cert.validTo), certSerial: cert.serialNumber.toLowerCase(), ...(sealingPublicKey ? { sealingPublicKey } : {}) }),
      );
      return { text: `kiosk ${id} registered (certificate ${cert.fingerprint256})\n`, json: { kiosk: id, fingerprint: cert.fingerprint256, notAfter: new Date(cert.validTo).toISOString(), sealingKey: sealingPublicKey !== undefined } };
    });
  },
};

export const kioskRevokeCommand: Command = {
  path: ['center', 'kiosks', 'revoke'],
  summary: 'Revoke a kiosk: refused by the registry, its certificates on the CRL; a kiosk already revoked is left as it is (exit 0)',
  usage: 'center kiosks revoke --pki DIR --kiosk ID (--data DIR | --database URL) [--reason TEXT] [--json]',
  description: `
Offline, against the center's store: the kiosk's status becomes revoked and
every unexpired certificate of it is marked revoked (one transaction, audited
kiosk.status and kiosk.certs-revoked), its jobs end, and the certificates go
on the issuing CA's CRL (<pki>/ca/crl.pem re-signed; docs/provisioning.md
§4). A center running on PostgreSQL notices within a quarter second: it
closes the kiosk's connection and reloads the CRL. With PGlite the running
center holds the store (exit 3): revoke from the console instead, which kicks
the kiosk at once. Running the command again on a revoked kiosk changes
nothing in the registry (exit 0) and puts any certificate still missing from
the CRL on it.`,
  options: {
    ...STORE_OPTIONS,
    kiosk: { type: 'string', arg: 'ID', description: 'Kiosk ID' },
    reason: { type: 'string', arg: 'TEXT', description: 'Why (recorded in the audit log)', default: 'operator' },
    ...JSON_OPTION,
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const id = required(opts, 'kiosk');
    const reason = typeof opts.reason === 'string' ? opts.reason.slice(0, 200) : 'operator';
    const pki = pkiDir(opts);
    const store = storeLocation(opts);
    return fleetOutput(ctx, 'center kiosks revoke', opts.json === true, async () => {
      const r = await revokeOffline(ctx, pki, store, { kiosk: id, status: 'revoked', reason });
      const head = r.changed ? `kiosk ${id} revoked\n` : `kiosk ${id} was already revoked (nothing changed)\n`;
      return { text: head + crlLine(r), json: { ...r } };
    });
  },
};

/** What the simulators report (hardware/sim/reader-key.ts, the serial dispenser): the defaults for those kinds. */
const SIM_PRODUCTS: Partial<Record<string, string>> = { sim: 'sim-reader', dispenser: 'stx-etx-dispenser/1' };

export const readerAddCommand: Command = {
  path: ['center', 'readers', 'add'],
  summary: "Add a reader (or keypad) to a kiosk's signed reader registry",
  usage:
    'center readers add --pki DIR --kiosk ID --reader RID --kind sim|pcsc|dispenser|keypad [--vendor V --product P] [--serial S | --no-serial] [--public-key-file FILE] (--data DIR | --database URL) [--json]',
  description: `
The entry is what the kiosk checks at every attach (docs/reader-auth.md):
--vendor, --product and --serial exactly as the device reports them (1..64
printable ASCII each), and the device's Ed25519 public key when it has one.
With a key the kiosk requires a signed challenge; without one it matches the
descriptor only (identity match, which a cloned device passes).
--serial is required unless --no-serial says the device reports none. For
--kind sim and dispenser the defaults are what the simulators report:
vendor "cardline", product "sim-reader" / "stx-etx-dispenser/1", serial = RID.
Replaces an entry with the same RID. A running center pushes the new
registry to the kiosk (on PostgreSQL within two seconds; with PGlite the
center is stopped, and the kiosk gets it when it next connects).`,
  options: {
    ...STORE_OPTIONS,
    kiosk: { type: 'string', arg: 'ID', description: 'Kiosk ID' },
    reader: { type: 'string', arg: 'RID', description: 'Reader ID (as the reader reports it)' },
    kind: { type: 'string', arg: 'KIND', description: 'sim, pcsc, dispenser or keypad' },
    vendor: { type: 'string', arg: 'V', description: 'Vendor as the device reports it (USB vendor ID or name)' },
    product: { type: 'string', arg: 'P', description: 'Product as the device reports it' },
    serial: { type: 'string', arg: 'S', description: "The device's serial number as it reports it" },
    'no-serial': { type: 'boolean', description: 'The device reports no serial number (only such a device matches)' },
    'public-key-file': { type: 'string', arg: 'FILE', description: "The reader's Ed25519 public key, 64 hex digits (a simulated station's reader.pub)" },
    ...JSON_OPTION,
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const kiosk = required(opts, 'kiosk');
    const reader = required(opts, 'reader');
    const kind = required(opts, 'kind');
    if (kind !== 'sim' && kind !== 'pcsc' && kind !== 'dispenser' && kind !== 'keypad') throw new UsageError('--kind must be sim, pcsc, dispenser or keypad');
    const simProduct = SIM_PRODUCTS[kind];
    const vendor = optional(opts, 'vendor') ?? (simProduct !== undefined ? 'cardline' : undefined);
    const product = optional(opts, 'product') ?? simProduct;
    if (vendor === undefined) throw new UsageError(`--vendor is required for --kind ${kind}`);
    if (product === undefined) throw new UsageError(`--product is required for --kind ${kind}`);
    const serialOpt = optional(opts, 'serial');
    if (serialOpt !== undefined && opts['no-serial'] === true) throw new UsageError('--serial and --no-serial exclude each other');
    const serial = opts['no-serial'] === true ? null : (serialOpt ?? (simProduct !== undefined ? reader : undefined));
    if (serial === undefined) throw new UsageError(`--serial (or --no-serial) is required for --kind ${kind}`);
    for (const [name, v] of [['vendor', vendor], ['product', product], ['serial', serial]] as const) {
      if (v !== null && !DESCRIPTOR_PATTERN.test(v)) throw new UsageError(`--${name} must be 1..64 printable ASCII characters`);
    }
    const keyFile = opts['public-key-file'];
    const publicKey = typeof keyFile === 'string' ? await readKeyFile(keyFile, 32) : null;
    return fleetOutput(ctx, 'center readers add', opts.json === true, async () => {
      const version = await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) =>
        addReader({ db: c.db, audit: c.audit, clock: ctx.clock }, { kiosk, id: reader, kind, vendor, product, serial, publicKey }),
      );
      const auth = publicKey ? 'challenge-response' : 'identity-match';
      return { text: `reader ${reader} (${kind}, ${auth.replace('-', ' ')}) added to kiosk ${kiosk}: registry version ${version}\n`, json: { kiosk, reader, kind, auth, registryVersion: version } };
    });
  },
};

export const readerRemoveCommand: Command = {
  path: ['center', 'readers', 'remove'],
  summary: "Remove a reader from a kiosk's signed reader registry",
  usage: 'center readers remove --pki DIR --kiosk ID --reader RID (--data DIR | --database URL) [--reason TEXT] [--json]',
  description: `
The kiosk refuses the reader once it holds the new registry (pushed by a
running center, or in the welcome of its next session), after the customer
it is serving, and takes no further customers with it.`,
  options: {
    ...STORE_OPTIONS,
    kiosk: { type: 'string', arg: 'ID', description: 'Kiosk ID' },
    reader: { type: 'string', arg: 'RID', description: 'Reader ID' },
    reason: { type: 'string', arg: 'TEXT', description: 'Why (recorded in the audit log)', default: 'operator' },
    ...JSON_OPTION,
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const kiosk = required(opts, 'kiosk');
    const reader = required(opts, 'reader');
    const reason = typeof opts.reason === 'string' ? opts.reason.slice(0, 200) : 'operator';
    return fleetOutput(ctx, 'center readers remove', opts.json === true, async () => {
      const version = await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) =>
        removeReader({ db: c.db, audit: c.audit, clock: ctx.clock }, { kiosk, id: reader, reason }),
      );
      return { text: `reader ${reader} removed from kiosk ${kiosk}: registry version ${version}\n`, json: { kiosk, reader, registryVersion: version } };
    });
  },
};

export const jobVoidCommand: Command = {
  path: ['center', 'jobs', 'void'],
  summary: 'Void a job that has not ended (the application stays pending)',
  usage: 'center jobs void --pki DIR --job UUID (--data DIR | --database URL) [--reason TEXT] [--json]',
  options: {
    ...STORE_OPTIONS,
    job: { type: 'string', arg: 'UUID', description: 'Job ID' },
    reason: { type: 'string', arg: 'TEXT', description: 'Why (recorded in the audit log)', default: 'operator' },
    ...JSON_OPTION,
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const id = required(opts, 'job');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) throw new UsageError('--job must be a job UUID');
    const reason = typeof opts.reason === 'string' ? opts.reason : 'operator';
    return fleetOutput(ctx, 'center jobs void', opts.json === true, async () => {
      const job = await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) => voidJob({ db: c.db, audit: c.audit, clock: ctx.clock }, id, reason));
      return { text: `job ${job.id} voided (application ${job.application_id} stays pending)\n`, json: { job: job.id, application: job.application_id } };
    });
  },
};

export const applicationsAddCommand: Command = {
  path: ['center', 'applications', 'add'],
  summary: 'Add applications (writing data + one-time code) from JSON',
  usage: 'center applications add --pki DIR --file FILE|- (--data DIR | --database URL) [--json]',
  description: `
JSON input, one application or an array (docs/operations.md has an example):
  { "id": "APP-0001", "code": "483920", "profile": "cardline-basic",
    "expires": "2027-01-31T00:00:00Z",
    "dgis": [ { "tag": "0101", "value": "70…" }, { "tag": "8000", "value": "…" } ] }
The code is stored only as a scrypt hash; the DGIs are encrypted at rest
under the center's data key. Nothing of the input is printed. All
applications in the file are added, or none.`,
  options: { ...STORE_OPTIONS, ...JSON_OPTION, file: { type: 'string', arg: 'FILE', description: "JSON file, or '-' for stdin" } },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const file = required(opts, 'file');
    const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    const apps = parseApplicationsJson(text);
    try {
      return await fleetOutput(ctx, 'center applications add', opts.json === true, async () => {
        const ids = await withOfflineCenter(ctx, pkiDir(opts), storeLocation(opts), (c) =>
          addApplications({ db: c.db, audit: c.audit, clock: ctx.clock, dataKey: c.keys.dataKey, random: cryptoRandom, scrypt: DEFAULT_SCRYPT }, apps),
        );
        return { text: `${ids.length} application(s) added: ${ids.join(', ')}\n`, json: { added: ids } };
      });
    } finally {
      for (const a of apps) for (const d of a.dgis) zeroize(d.value);
    }
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
