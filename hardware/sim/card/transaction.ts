/**
 * Per-command atomicity. A command reads the committed state through
 * `view` and, before its first write, calls `write()` for a deep copy that
 * it then mutates. The card commits the copy (image first, then memory)
 * only when the command succeeds; on any error, or on a power cut before
 * commit, the copy is dropped and the EEPROM is exactly as before.
 */
import { cloneState, zeroizeStateSecrets, type CardState } from './state.js';

export class Transaction {
  private draft: CardState | undefined;

  constructor(private readonly committed: CardState) {}

  /** The state as this command sees it (its own writes included). Do not mutate: call write() first. */
  get view(): CardState {
    return this.draft ?? this.committed;
  }

  /** The mutable copy; the first call clones the committed state. */
  write(): CardState {
    this.draft ??= cloneState(this.committed);
    return this.draft;
  }

  /**
   * Drops the draft: the command failed, nothing it wrote may reach the
   * EEPROM. The draft is a full copy, key sets and secret DGIs included, so
   * its secrets are overwritten rather than left to the garbage collector.
   */
  discard(): void {
    if (this.draft !== undefined) zeroizeStateSecrets(this.draft);
    this.draft = undefined;
  }

  /** The new state to commit, or undefined when the command wrote nothing. */
  get changed(): CardState | undefined {
    return this.draft;
  }
}
