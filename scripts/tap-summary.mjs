// Reads tap's output and prints the plain closing line 'N passed, N failed[, N skipped]'.
// tap's base reporter ends with a line like `# { total: 12, pass: 11, fail: 1, skip: 2 }`.
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8');
const lines = text.split('\n').filter((l) => /^# \{ total: \d+/.test(l));
const last = lines.at(-1);
if (!last) {
  console.log('0 passed, 1 failed');
  console.error('tap-summary: no tap summary found in the output');
  process.exit(1);
}
const num = (key) => Number((last.match(new RegExp(`${key}: (\\d+)`)) ?? [])[1] ?? 0);
const skipped = num('skip') + num('todo');
console.log(`${num('pass')} passed, ${num('fail')} failed${skipped ? `, ${skipped} skipped` : ''}`);
