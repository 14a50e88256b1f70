/**
 * The keypad's udev rule (os-image/udev/99-cardline-keypad.rules.in): the
 * kiosk group gets its hidraw node, by VID/PID, 0660; the keypad's input
 * event nodes, by the same VID/PID, are marked LIBINPUT_IGNORE_DEVICE (the
 * touchscreen's compositor must not take it as a keyboard: keys would reach
 * the page twice); nothing more.
 *
 * `udevadm verify` (systemd >= 253) checks the syntax when this machine has
 * it; Debian 12 ships systemd 252 and this build machine has no udevadm at
 * all, so the rule is also parsed here, line by line, with udev's
 * `KEY[{attr}] OP "value"` grammar (udev(7)).
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hex4, parseKeypadSpec } from '../../../hardware/hid/keypad-spec.js';

const TEMPLATE = new URL('../../../os-image/udev/99-cardline-keypad.rules.in', import.meta.url);
const KIOSK_GROUP = 'cardline-kiosk';

interface Assignment {
  key: string;
  op: string;
  value: string;
}

const KEYS = /^(ACTION|SUBSYSTEM|KERNEL|ATTRS\{[A-Za-z_]+\}|OWNER|GROUP|MODE|GOTO|LABEL|TAG|ENV\{[A-Za-z_]+\})$/;
const TOKEN = /^\s*([A-Z]+(?:\{[A-Za-z_]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*$/;

/** Rule lines (comments and blank lines dropped) as their assignments; throws on a malformed one. */
function parseRules(text: string): Assignment[][] {
  const rules: Assignment[][] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.endsWith('\\')) throw new Error(`line ${i + 1}: continuation lines are not used here`);
    // Values never contain ", " in this file, so the line splits on it.
    rules.push(
      line.split(/,\s*/).map((tok) => {
        const m = TOKEN.exec(tok);
        if (!m) throw new Error(`line ${i + 1}: malformed token ${JSON.stringify(tok)}`);
        if (!KEYS.test(m[1]!)) throw new Error(`line ${i + 1}: unknown key ${m[1]}`);
        return { key: m[1]!, op: m[2]!, value: m[3]! };
      }),
    );
  }
  return rules;
}

const spec = parseKeypadSpec('hid:0C45:7403');
const render = (template: string): string => template.replaceAll('@KEYPAD_VENDOR@', hex4(spec.vendorId)).replaceAll('@KEYPAD_PRODUCT@', hex4(spec.productId));

void t.test('the parser catches malformed rules (so a pass below means something)', (t) => {
  t.throws(() => parseRules('SUBSYSTEM=="hidraw", MODE=0660'), /malformed/);
  t.throws(() => parseRules('SUBSYSTEM=="hidraw", FOO="x"'), /unknown key/);
  t.throws(() => parseRules('SUBSYSTEM=="hidraw" MODE="0660"'), /malformed/);
  t.end();
});

void t.test('the rule: hidraw, the keypad VID/PID, 0660, the kiosk group', (t) => {
  const template = readFileSync(TEMPLATE, 'utf8');
  const rendered = render(template);
  t.notMatch(rendered, /@[A-Z_]+@/, 'every placeholder is replaced');
  const rules = parseRules(rendered);
  const grant = rules.filter((r) => r.some((a) => a.key === 'MODE'));
  t.equal(grant.length, 1, 'one rule sets a mode');
  const rule = grant[0]!;
  const get = (key: string, op: string): string | undefined => rule.find((a) => a.key === key && a.op === op)?.value;
  t.equal(get('SUBSYSTEM', '=='), 'hidraw', 'matches hidraw nodes only (not the input event device)');
  t.equal(get('ATTRS{idVendor}', '=='), '0c45', 'by USB vendor ID, as the spec and DeviceDescriptor.vendor write it');
  t.equal(get('ATTRS{idProduct}', '=='), '7403', 'by USB product ID');
  t.equal(get('MODE', '='), '0660', 'owner and group only');
  t.equal(get('GROUP', '='), KIOSK_GROUP, 'the kiosk service group');
  t.equal(get('OWNER', '='), 'root');
  t.notOk(rules.flat().some((a) => a.key === 'TAG' || a.key === 'RUN'), 'no uaccess tag, no programs');
  t.notOk(rule.some((a) => a.key.startsWith('ENV')), 'no environment on the hidraw node');
  t.ok(rules.flat().some((a) => a.key === 'ACTION' && a.op === '==' && a.value === 'remove'), 'skips remove events');
  const gotos = rules.flat().filter((a) => a.key === 'GOTO').map((a) => a.value);
  const labels = rules.flat().filter((a) => a.key === 'LABEL').map((a) => a.value);
  t.same(gotos, labels, 'every GOTO has its LABEL');
  t.end();
});

void t.test('the keypad as a keyboard: its input event nodes, by the same VID/PID, are ignored by libinput (cage), nothing else', (t) => {
  const rules = parseRules(render(readFileSync(TEMPLATE, 'utf8')));
  const envs = rules.filter((r) => r.some((a) => a.key.startsWith('ENV')));
  t.equal(envs.length, 1, 'one rule sets a property');
  const rule = envs[0]!;
  const get = (key: string, op: string): string | undefined => rule.find((a) => a.key === key && a.op === op)?.value;
  t.equal(get('SUBSYSTEM', '=='), 'input', 'the input subsystem');
  t.equal(get('KERNEL', '=='), 'event[0-9]*', 'the event nodes libinput opens');
  t.equal(get('ATTRS{idVendor}', '=='), '0c45', 'the keypad’s USB vendor ID, as the hidraw rule');
  t.equal(get('ATTRS{idProduct}', '=='), '7403', 'and product ID');
  t.same(
    rule.filter((a) => !['==', '!='].includes(a.op)),
    [{ key: 'ENV{LIBINPUT_IGNORE_DEVICE}', op: '=', value: '1' }],
    'it sets LIBINPUT_IGNORE_DEVICE=1 and nothing else (no owner, group or mode on the input nodes)',
  );
  // After the remove skip, before its label: set on add and change.
  const at = (pred: (r: Assignment[]) => boolean): number => rules.findIndex(pred);
  t.ok(at((r) => r.some((a) => a.key === 'ACTION')) < at((r) => r === rule) && at((r) => r === rule) < at((r) => r.some((a) => a.key === 'LABEL')), 'between the remove skip and its label');
  t.end();
});

void t.test('udevadm verify, when this machine has it', (t) => {
  const probe = spawnSync('udevadm', ['verify', '--help'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    t.pass('skipped', { skip: probe.error !== undefined ? 'udevadm is not installed here; the rule is checked by the parser above' : 'this udevadm has no verify (systemd < 253); the rule is checked by the parser above' });
    t.end();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cardline-udev-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, '99-cardline-keypad.rules');
  writeFileSync(file, render(readFileSync(TEMPLATE, 'utf8')));
  const r = spawnSync('udevadm', ['verify', file], { encoding: 'utf8' });
  t.equal(r.status, 0, 'udevadm verify accepts the rule', { stdout: r.stdout, stderr: r.stderr });
  t.end();
});
