/**
 * The logger and the rule it serves (STYLE habit 7): logs never carry card
 * data, keys, one-time codes or personal data.
 *
 * - jsonLogger reduces byte arrays to their length at any depth, and errors
 *   to name, code and message.
 * - A lint-style scan of every log call in the rooms' sources: no field may
 *   be named for, or be, a secret or card data (key, dek, pin, data, apdu,
 *   value, ...). Identifiers, lengths, tags, counts and status words only.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { FakeClock } from '../../../common/clock.js';
import { jsonLogger, memoryLogger, parseLogLevel } from '../../../common/log.js';

void t.test('byte arrays become their length, at any depth', (t) => {
  const log = memoryLogger();
  const key = Uint8Array.from([0x40, 0x41, 0x42, 0x43]);
  log.info('x', { key, nested: { deeper: [key, { buf: Buffer.from('secret') }] }, view: new DataView(new ArrayBuffer(5)), n: 1, s: 'ok' });
  const rec = JSON.parse(log.lines[0]!) as Record<string, unknown>;
  t.same(rec.key, { bytes: 4 });
  t.same(rec.nested, { deeper: [{ bytes: 4 }, { buf: { bytes: 6 } }] });
  t.same(rec.view, { bytes: 5 });
  t.equal(rec.n, 1);
  t.equal(rec.s, 'ok');
  t.notMatch(log.lines[0]!, /"0":64|secret/);
  t.end();
});

void t.test('errors keep name, code and message only; deep nesting is cut', (t) => {
  const log = memoryLogger();
  const e = Object.assign(new Error('boom'), { code: 'X', payload: Uint8Array.of(1, 2, 3) });
  log.error('x', { err: e, list: [e], deep: { a: { b: { c: { d: { e: 1 } } } } } });
  const rec = JSON.parse(log.lines[0]!) as Record<string, unknown>;
  t.same(rec.err, { name: 'Error', code: 'X', message: 'boom' });
  t.same(rec.list, [{ name: 'Error', code: 'X', message: 'boom' }]);
  t.notMatch(log.lines[0]!, /payload|stack/);
  t.same(rec.deep, { a: { b: { c: { d: '[nested]' } } } });
  const cyclic: Record<string, unknown> = { n: 10n, at: new Date(0) };
  cyclic.self = cyclic;
  t.doesNotThrow(() => log.info('y', { cyclic }), 'a cycle or a BigInt does not throw out of the logger');
  t.match(log.lines[1]!, /"n":"10","at":"1970-01-01T00:00:00.000Z"/);
  t.end();
});

void t.test('levels: filtering, and an unknown level is refused rather than logging everything', (t) => {
  const lines: string[] = [];
  const log = jsonLogger({ write: (l) => lines.push(l), level: 'warn', clock: new FakeClock(0) });
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.child('sub').error('e');
  t.same(lines.map((l) => (JSON.parse(l) as { msg: string; ns: string }).msg), ['w', 'e']);
  t.equal((JSON.parse(lines[1]!) as { ns: string }).ns, 'cardline:sub');
  t.equal(parseLogLevel('debug'), 'debug');
  for (const bad of ['DEBUG', 'none', '', 'toString', '__proto__']) t.equal(parseLogLevel(bad), undefined, `'${bad}'`);
  t.throws(() => jsonLogger({ write: () => undefined, level: 'verbose' as never }), RangeError);
  t.end();
});

/** Field names (and bare values) that would put secrets or card data into a log record. */
const FORBIDDEN = /^(keys?|dek|kmc|enc|mac|pin|plain(text)?|secrets?|values?|data|apdu|rapdu|response|frame|chunk|cryptogram|challenge|dgi|record)$/i;

/** Every `….debug|info|warn|error('message', { fields })` in the tracked sources of the rooms. */
function logCalls(): { file: string; fields: string }[] {
  const files = execFileSync('git', ['ls-files', 'card', 'wire', 'hardware', 'common', 'cli', 'kiosk', 'center', 'provisioning'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts'));
  const calls: { file: string; fields: string }[] = [];
  const re = /\.(?:debug|info|warn|error)\(\s*(?:'[^']*'|`[^`]*`)\s*,\s*\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\s*\)/g;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) calls.push({ file, fields: m[1]! });
  }
  return calls;
}

/** Splits `a: x, b, c: f(y, z)` at top-level commas. */
function splitFields(fields: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of fields) {
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

void t.test('lint: no log call names or passes a secret or card data', (t) => {
  const calls = logCalls();
  t.ok(calls.length >= 30, `${calls.length} log calls with fields found`);
  const offending: string[] = [];
  for (const { file, fields } of calls) {
    for (const field of splitFields(fields)) {
      const colon = field.indexOf(':');
      const name = (colon < 0 ? field : field.slice(0, colon)).trim();
      const value = colon < 0 ? name : field.slice(colon + 1).trim();
      const bareValue = /^[\w.]+$/.test(value) ? value.split('.').at(-1)! : '';
      if (FORBIDDEN.test(name) || FORBIDDEN.test(bareValue)) offending.push(`${file}: ${field}`);
    }
  }
  t.same(offending, [], 'fields are identifiers, lengths, tags, counts and status words');
  t.end();
});

void t.test('lint: the scan catches what it is for', (t) => {
  const fake = [`{ key }`, `{ n, data: apdu }`, `{ value: dgi.value }`, `{ len: data.length, sw }`];
  const flagged = fake.map((f) =>
    splitFields(f.slice(1, -1)).some((field) => {
      const colon = field.indexOf(':');
      const name = (colon < 0 ? field : field.slice(0, colon)).trim();
      const value = colon < 0 ? name : field.slice(colon + 1).trim();
      const bareValue = /^[\w.]+$/.test(value) ? value.split('.').at(-1)! : '';
      return FORBIDDEN.test(name) || FORBIDDEN.test(bareValue);
    }),
  );
  t.same(flagged, [true, true, true, false]);
  t.end();
});
