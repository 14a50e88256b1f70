/**
 * Lint-style (issue 4; DESIGN §3 "Sealed mode": the kiosk zeroizes
 * everything after): no secret of the kiosk becomes a JavaScript string.
 * Strings are immutable and cannot be wiped; they live until the garbage
 * collector takes them, and may be copied by the engine on the way. Keys,
 * package plaintext, DGI values, APDUs and responses must stay in
 * Uint8Arrays, which the kiosk overwrites after use
 * (test/integration/e2e/zeroization.test.ts proves it for a session).
 *
 * Every call in kiosk/ and wire/package*.ts that makes a string from
 * something — toHex, encodeBase64, decodeUtf8, btoa, JSON.stringify,
 * String(…), String.fromCharCode, `.toString(…)`, TextDecoder `.decode(…)`, a template
 * `${…}` — is found, and its subject (the argument, the receiver, or for
 * `xs.map((x) => toHex(x))` the collection) is split into words. A subject
 * that names a secret (key, secret, plain, content, dek, kmc, pem, shared,
 * esk, dgi, value, pin, apdu, response; an identifier with "public" in it is
 * public) fails the test unless the allow-list below names it, with the
 * reason it is acceptable. Allow-list entries that no longer match fail too,
 * so the list stays as short as the code allows. A text decoder in kiosk
 * code is always listed.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

interface Hit {
  file: string;
  line: number;
  call: string;
  subject: string;
  /** The offending source line, trimmed. */
  text: string;
}

const SECRET_WORDS = new Set([
  'key',
  'keys',
  'secret',
  'secrets',
  'plain',
  'plaintext',
  'content',
  'dek',
  'kmc',
  'pem',
  'shared',
  'esk',
  'dgi',
  'dgis',
  'value',
  'values',
  'pin',
  'apdu',
  'apdus',
  'response',
  'responses',
]);

/** Each accepted string-making use of a secret-named subject: where, what, and why it is acceptable. */
const ALLOWED: { file: string; text: RegExp; reason: string }[] = [
  {
    file: 'kiosk/handlers/run-script.ts',
    text: /responses: responses\.map\(\(r\) => toHex\(r\)\)/,
    reason:
      "the `result` message carries the card's responses as hex (wire/messages.ts: JSON envelope). At SL 33 they are R-MAC'd and R-ENC'd by the card, so the strings hold no plain card data; the response buffers themselves are wiped (run-script.ts).",
  },
  {
    file: 'kiosk/front/line-input.ts',
    text: /new TextDecoder\(\)/,
    reason: "the terminal front end reads the customer's typing (application ID, one-time code): text by nature, sent as a string in `request`, never logged (test/unit/common/log.test.ts).",
  },
  {
    file: 'kiosk/front/line-input.ts',
    text: /this\.#decoder\.decode\(chunk, \{ stream: true \}\)/,
    reason: 'the same: stdin chunks of the customer typing, decoded to lines.',
  },
  {
    file: 'kiosk/front/terminal.ts',
    text: /\(\$\{e\.apdus\} steps\)/,
    reason: "`apdus` of the card-authenticated event is the number of APDUs (kiosk/events.ts), shown on the screen; not the APDUs.",
  },
  {
    file: 'kiosk/systemd/notify-env.ts',
    text: /(?:NOTIFY_SOCKET|WATCHDOG_USEC)=\$\{quoteEnv\(value\)\}/,
    reason: "the environment variable's value systemd gave (a socket path, a number of microseconds), quoted in an error.",
  },
  {
    file: 'kiosk/systemd/notify.ts',
    text: /`\$\{name\}=\$\{value\}\\n`/,
    reason: 'an sd_notify(3) assignment (READY=1, STATUS=…, WATCHDOG=1): states the agent reports, never data.',
  },
];

/** Source without comments, line numbers kept (block comments become as many newlines). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** The text between the bracket at `open` and its match. */
function balanced(text: string, open: number): string {
  const pairs: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (c in pairs) stack.push(pairs[c]!);
    else if (c === stack.at(-1)) {
      stack.pop();
      if (stack.length === 0) return text.slice(open + 1, i);
    }
  }
  return text.slice(open + 1);
}

/** The receiver before `.method(` at `dot`: identifiers, dots, calls and indexes, read backwards. */
function receiver(text: string, dot: number): string {
  let i = dot;
  let depth = 0;
  while (i > 0) {
    const c = text[i - 1]!;
    if (c === ')' || c === ']') depth++;
    else if ((c === '(' || c === '[') && depth > 0) depth--;
    else if (depth === 0 && !/[\w$.#!?]/.test(c)) break;
    i--;
  }
  return text.slice(i, dot);
}

/** Every string-making call in `text` (a source file, comments stripped). */
export function stringifyCalls(file: string, source: string): Hit[] {
  const text = stripComments(source);
  const lines = source.split('\n');
  const hits: Hit[] = [];
  const at = (index: number, call: string, subject: string): void => {
    const line = text.slice(0, index).split('\n').length;
    hits.push({ file, line, call, subject, text: lines[line - 1]!.trim() });
  };
  for (const m of text.matchAll(/(?<![\w$.])(toHex|encodeBase64|decodeUtf8|btoa|JSON\.stringify|String\.fromCharCode|String)\(/g)) {
    let subject = balanced(text, m.index + m[0].length - 1);
    // `xs.map((x) => toHex(x))`: the subject is the collection.
    const lambda = /([\w$.#]+)\.map\(\(?(\w+)\)?\s*=>\s*$/.exec(text.slice(Math.max(0, m.index - 120), m.index));
    if (lambda && lambda[2] === subject.trim()) subject = lambda[1]!;
    at(m.index, m[1]!, subject);
  }
  for (const m of text.matchAll(/\.toString\(/g)) at(m.index, '.toString', receiver(text, m.index));
  for (const m of text.matchAll(/\.decode\(/g)) at(m.index, '.decode', `${receiver(text, m.index)} ${balanced(text, m.index + m[0].length - 1)}`);
  for (const m of text.matchAll(/new TextDecoder\(/g)) at(m.index, 'TextDecoder', 'TextDecoder');
  for (const m of text.matchAll(/\$\{/g)) at(m.index, '${}', balanced(text, m.index + 1));
  return hits;
}

/**
 * The identifier in `subject` that names a secret, if one does. Not
 * secrets: anything public, a `.length`, a CONSTANT, and a file, path or
 * directory name (where a secret is kept is not the secret).
 */
export function secretIn(subject: string): string | undefined {
  const text = subject.replace(/[\w$.#?!]+\.length\b/g, ' ');
  for (const id of text.match(/[A-Za-z_$#][\w$]*/g) ?? []) {
    if (/public|Pub(?:lic)?\b|^pub$/i.test(id) || /^[A-Z][A-Z0-9_]*$/.test(id) || /(?:File|Path|Dir)$/.test(id)) continue;
    const words = id
      .replace(/^#/, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .split(/[\s_$]+/);
    if (words.some((w) => SECRET_WORDS.has(w))) return id;
  }
  return undefined;
}

function flagged(h: Hit): boolean {
  return h.call === 'TextDecoder' || h.call === '.decode' || secretIn(h.subject) !== undefined;
}

function sources(): string[] {
  return execFileSync('git', ['ls-files', 'kiosk', 'wire'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => (f.startsWith('kiosk/') && f.endsWith('.ts')) || /^wire\/package[\w-]*\.ts$/.test(f));
}

void t.test('lint: no kiosk secret becomes a string, except where listed with a reason', (t) => {
  const files = sources();
  t.ok(files.includes('kiosk/handlers/package.ts') && files.includes('wire/package.ts') && files.includes('wire/package-content.ts'), `${files.length} files scanned, the package handlers and codec among them`);
  const hits = files.flatMap((f) => stringifyCalls(f, readFileSync(f, 'utf8')));
  t.ok(hits.length >= 20, `${hits.length} string-making calls found`);
  const bad = hits.filter(flagged);
  const allowed = (h: Hit): boolean => ALLOWED.some((a) => a.file === h.file && a.text.test(h.text));
  t.same(
    bad.filter((h) => !allowed(h)).map((h) => `${h.file}:${h.line} ${h.call}(${h.subject.trim()}): ${h.text}`),
    [],
    'no string is made from a key, plaintext, DGI value, APDU or response',
  );
  const stale = ALLOWED.filter((a) => !bad.some((h) => h.file === a.file && a.text.test(h.text)));
  t.same(stale.map((a) => `${a.file} ${String(a.text)}`), [], 'every allow-list entry still matches a flagged call (none is stale)');
  t.end();
});

void t.test('lint: the scan catches what it is for', (t) => {
  const planted = [
    'const a = toHex(sealingKey);',
    "const b = secrets.signingKey.toString('hex');",
    'const c = new TextDecoder().decode(plain);',
    'const d = content.dgis.map((g) => toHex(g.value));',
    'const e = `dek ${toHex(keys.dek)}`;',
    'const f = encodeBase64(plaintext);',
    "const g = Buffer.from(this.#pem).toString('base64');",
    'const h = apdus.map((a) => toHex(a));',
    'const i = String(secrets.sealingKey);',
  ].join('\n');
  const hits = stringifyCalls('planted.ts', planted);
  t.same([...new Set(hits.filter(flagged).map((h) => h.line))].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'every planted secret-to-string line is flagged');
  const clean = [
    'const a = toHex(epk);',
    'const b = toHex(read.atr);',
    'const c = toHex(sha256(publicKey).subarray(0, 8));',
    "const d = randomBytes(4).toString('hex');",
    'const e = `${job} ${attempt}`;',
    'const f = `a key of ${key.length} bytes, not ${KEY_BYTES}, in ${machineSecretFile}`;',
  ].join('\n');
  t.same(stringifyCalls('clean.ts', clean).filter(flagged), [], 'public keys, ATRs, random names, identifiers, lengths, constants and file names are not');
  t.same(stringifyCalls('c.ts', '// toHex(sealingKey) in a comment\n/* toHex(plain) */ const x = 1;'), [], 'comments are not code');
  t.end();
});
