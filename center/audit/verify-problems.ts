/**
 * The verifier's problem list, capped: a log edited wholesale would
 * otherwise give one line per entry. The count stays exact.
 */
export const MAX_PROBLEM_LINES = 100;

export class Problems {
  private readonly kept: string[] = [];
  private total = 0;

  add(line: string): void {
    this.total += 1;
    if (this.kept.length < MAX_PROBLEM_LINES) this.kept.push(line);
  }

  get count(): number {
    return this.total;
  }

  /** The kept lines, plus one saying how many more there were. */
  lines(): string[] {
    const more = this.total - this.kept.length;
    return more > 0 ? [...this.kept, `… and ${more} more problems`] : [...this.kept];
  }
}
