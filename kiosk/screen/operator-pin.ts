/**
 * The operator's PIN: its scrypt hash (common/slow-hash.ts format) is read
 * once at start from `--operator-pin-file` (mode 0600: a 6-digit PIN falls
 * to an offline search of its hash) and checked at start, so that a bad
 * file stops the kiosk with a clear error, not the operator at the glass.
 *
 * `PinGate` checks attempts one at a time (parallel guesses cannot slip
 * past the count) and locks the view for `lockMs` after `maxFailures`
 * wrong PINs in a row (docs/screens.md: 5 wrong → 5 minutes, 429).
 */
import { readChecked } from '../../common/key-files.js';
import type { Clock } from '../../common/clock.js';
import { checkSlowHash, isSlowHash } from '../../common/slow-hash.js';
import { ScreenError } from './errors.js';

/** A PIN is 6 to 12 digits (`cardline kiosk pin-hash` refuses any other). */
export const PIN_PATTERN = /^[0-9]{6,12}$/;

/** Reads and checks the PIN file: one line, the scrypt hash. ScreenError 'PIN_FILE_INVALID' names the file and what is wrong. */
export async function loadOperatorPin(path: string): Promise<string> {
  let raw: Buffer;
  try {
    raw = await readChecked(path, true, 512);
  } catch (e) {
    throw new ScreenError('PIN_FILE_INVALID', `operator PIN file: ${e instanceof Error ? e.message : String(e)}`);
  }
  const text = raw.toString('utf8').trim();
  raw.fill(0);
  if (!isSlowHash(text)) {
    throw new ScreenError('PIN_FILE_INVALID', `operator PIN file ${path}: not a scrypt hash line (make one with 'cardline kiosk pin-hash')`);
  }
  return text;
}

export interface PinGateOptions {
  hash: string;
  clock: Pick<Clock, 'now'>;
  maxFailures: number;
  lockMs: number;
  /** The hash check (default common/slow-hash.ts checkSlowHash); tests may inject a cheap one. */
  check?: (pin: string, hash: string) => Promise<boolean>;
}

export class PinGate {
  readonly #o: PinGateOptions;
  #failures = 0;
  #lockedUntil = 0;
  /** Attempts run one after another. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: PinGateOptions) {
    this.#o = opts;
  }

  /** Resolves when `pin` is right; rejects ScreenError 'locked' (with Retry-After seconds) or 'bad-pin'. */
  verify(pin: unknown): Promise<void> {
    const attempt = this.#queue.then(() => this.#verify(pin));
    this.#queue = attempt.catch(() => undefined);
    return attempt;
  }

  /** Milliseconds left of a lock (0 when not locked). */
  lockedFor(): number {
    return Math.max(0, this.#lockedUntil - this.#o.clock.now());
  }

  async #verify(pin: unknown): Promise<void> {
    const left = this.lockedFor();
    if (left > 0) throw new ScreenError('locked', 'too many wrong PINs: the operator view is locked', Math.ceil(left / 1000));
    // A PIN that is not 6–12 digits cannot be right: a failure like any other, without the hash's work.
    const ok = typeof pin === 'string' && PIN_PATTERN.test(pin) && (await (this.#o.check ?? checkSlowHash)(pin, this.#o.hash));
    if (ok) {
      this.#failures = 0;
      return;
    }
    this.#failures += 1;
    if (this.#failures >= this.#o.maxFailures) {
      this.#failures = 0;
      this.#lockedUntil = this.#o.clock.now() + this.#o.lockMs;
      throw new ScreenError('locked', 'too many wrong PINs: the operator view is locked', Math.ceil(this.#o.lockMs / 1000));
    }
    throw new ScreenError('bad-pin', `wrong PIN (${this.#o.maxFailures - this.#failures} attempts left before the view locks)`);
  }
}
