/**
 * A personalization script, before secure messaging: INSTALL [for
 * personalization] for the application, then STORE DATA blocks with its DGIs
 * (GPC v2.3.1 §11.5.2.3.6, §11.11; EMV CPS v1.1).
 *
 * - DGIs keep their order. Consecutive DGIs of the same kind (plain or
 *   secret) form a run; each run goes in its own blocks, because P1 says
 *   whether a command's values are encrypted (b7b6).
 * - Secret DGIs (EMV CPS 8000..8FFF by default) are encrypted under the
 *   static Key-DEK (`dek.ts`) and sent with the encrypted P1 (60, or 68).
 * - Blocks are filled up to `maxBlock`; values may span blocks, headers never
 *   do (`packDgis`). Block numbers run on across runs from 00; only the very
 *   last block carries the last-block bit.
 * - `maxBlock` is the plaintext room per command. Leave space for the secure
 *   channel: `maxPlaintextPerBlock(level)` gives 247 for C-MAC, 239 for C-DEC.
 *
 * The summary carries counts and sizes only, never data: it is safe to log.
 * Plaintext encodings of secret DGIs made here are zeroized; the caller
 * still owns (and zeroizes) the Dgi values it passed in.
 */
import type { CommandApdu } from '../apdu.js';
import { zeroize } from '../bytes.js';
import { encodeDgi, isSecretDgiTag, type Dgi } from '../dgi.js';
import { CardError } from '../errors.js';
import { encryptSecretDgi, type DgiPadding } from './dek.js';
import { installForPersonalization } from './install.js';
import { MAX_SHORT_DATA, MAX_STORE_DATA_BLOCKS, packDgis, storeDataCommands, STORE_DATA_FORMATS } from './store-data.js';

export interface PersoScriptInput {
  readonly appAid: Uint8Array;
  readonly dgis: readonly Dgi[];
  /** Static Key-DEK for the secret DGIs. */
  readonly dek: Uint8Array;
  /** Which DGIs are secret. Default: `isSecretDgiTag` (8000..8FFF). */
  readonly secretTags?: (tag: number) => boolean;
  /** Plaintext bytes per STORE DATA, 5..255. Default 255 (no secure messaging room). */
  readonly maxBlock?: number;
  /** P1 convention: 'cps' sends 00 / 60 (default, what tools send), 'gp' 08 / 68 (DGI format bits). */
  readonly p1Convention?: 'cps' | 'gp';
  /** Padding of secret values before DEK encryption, per DGI. Default 'pad80' for all. */
  readonly padding?: (tag: number) => DgiPadding;
}

export interface PersoScriptSummary {
  /** Commands in the script, INSTALL included. */
  readonly commands: number;
  readonly storeDataBlocks: number;
  readonly dgis: number;
  readonly secretDgis: number;
  /** Sum of the STORE DATA data fields (encoded DGIs, secret ones encrypted). */
  readonly storeDataBytes: number;
}

export interface PersoScript {
  readonly commands: readonly CommandApdu[];
  readonly summary: PersoScriptSummary;
}

interface Run {
  readonly secret: boolean;
  readonly encoded: Uint8Array[];
}

/** Builds the plain (not yet wrapped) personalization script. Throws `ARGUMENT_INVALID`. */
export function buildPersonalizationScript(input: PersoScriptInput): PersoScript {
  const maxBlock = input.maxBlock ?? MAX_SHORT_DATA;
  const secret = input.secretTags ?? ((tag: number) => isSecretDgiTag(tag));
  const gp = input.p1Convention === 'gp';
  if (input.dgis.length === 0) throw new CardError('ARGUMENT_INVALID', 'personalization script without DGIs');

  const runs: Run[] = [];
  let secretCount = 0;
  for (const dgi of input.dgis) {
    const isSecret = secret(dgi.tag);
    let encoded: Uint8Array;
    if (isSecret) {
      secretCount++;
      const enc = encryptSecretDgi(input.dek, dgi, { padding: input.padding?.(dgi.tag) ?? 'pad80' });
      encoded = encodeDgi(enc);
    } else {
      encoded = encodeDgi(dgi);
    }
    const last = runs[runs.length - 1];
    if (last?.secret === isSecret) last.encoded.push(encoded);
    else runs.push({ secret: isSecret, encoded: [encoded] });
  }

  const commands: CommandApdu[] = [installForPersonalization(input.appAid)];
  let block = 0;
  let bytes = 0;
  const blocksPerRun = runs.map((run) => packDgis(run.encoded, maxBlock));
  const total = blocksPerRun.reduce((n, b) => n + b.length, 0);
  if (total > MAX_STORE_DATA_BLOCKS) {
    throw new CardError('ARGUMENT_INVALID', `${total} STORE DATA blocks exceed ${MAX_STORE_DATA_BLOCKS}`);
  }
  runs.forEach((run, i) => {
    const chunks = blocksPerRun[i]!;
    const p1Format = run.secret ? (gp ? STORE_DATA_FORMATS['dgi-encrypted'] : STORE_DATA_FORMATS.encrypted) : gp ? STORE_DATA_FORMATS.dgi : STORE_DATA_FORMATS.plain;
    commands.push(...storeDataCommands(chunks, { p1Format, firstBlock: block, last: i === runs.length - 1 }));
    block += chunks.length;
    for (const c of chunks) bytes += c.length;
  });
  // Encodings of plain DGIs are not secret, and those of secret ones hold
  // ciphertext; the packed blocks are copies. Clear the encodings anyway so
  // no stray copy of card data outlives the script.
  for (const run of runs) zeroize(...run.encoded);

  return {
    commands,
    summary: {
      commands: commands.length,
      storeDataBlocks: block,
      dgis: input.dgis.length,
      secretDgis: secretCount,
      storeDataBytes: bytes,
    },
  };
}
