/**
 * One set of scripting conventions for every fleet command group
 * (docs/provisioning.md §7): the stock, enrolment, pki and fleet commands
 * all go through fleetOutput (cli/commands/fleet-output.ts), so the same
 * error code gets the same exit code — 3 for "retry later" (RETRY_LATER),
 * 1 otherwise — and the same `{ ok: false, error: { code, message } }`,
 * the message without its code prefix, whichever group threw it.
 */
import t from 'tap';
import { UsageError, type Command, type CommandContext } from '../../../cli/command.js';
import { enrolOutput } from '../../../cli/commands/enrol-output.js';
import { fleetOutput, JSON_OPTION, RETRY_LATER } from '../../../cli/commands/fleet-output.js';
import { pkiRun } from '../../../cli/commands/pki-output.js';
import { scripted } from '../../../cli/commands/stock-output.js';
import { EnrolClientError } from '../../../kiosk/enrol/errors.js';
import { PkiError } from '../../../provisioning/pki/errors.js';
import { runCommands } from '../../fixtures/cli-run.js';

/** A typed error as the store, the CA or the registry throw them (`CODE: message` or the bare message). */
class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    override readonly name = 'StoreError',
  ) {
    super(message);
  }
}

type Wrapper = (ctx: CommandContext, json: boolean, fail: () => Promise<never>) => Promise<number>;
const wrappers: Record<string, Wrapper> = {
  fleet: (ctx, json, fail) => fleetOutput(ctx, 'center kiosks revoke', json, fail),
  stock: (ctx, json, fail) => scripted(ctx, 'center stock register', json, fail),
  enrol: (ctx, json, fail) => enrolOutput(ctx, 'kiosk enrol', json, fail),
  pki: (ctx, json, fail) => pkiRun(() => fail())(ctx, json ? { json: true } : {}, []),
};

async function run(w: Wrapper, e: Error, json = true): Promise<{ code: number; out: string; err: string }> {
  const cmd: Command = { path: ['probe'], summary: 'probe', usage: 'probe [--json]', options: JSON_OPTION, run: (ctx) => w(ctx, json, () => Promise.reject(e)) };
  return runCommands(json ? ['probe', '--json'] : ['probe'], [cmd]);
}

void t.test('the retry-later codes are one documented set', (t) => {
  t.same([...RETRY_LATER].sort(), ['BUSY', 'LOCKED', 'LOCK_TIMEOUT', 'UNREACHABLE']);
  t.end();
});

for (const [group, w] of Object.entries(wrappers)) {
  void t.test(`${group} commands: the same exit code and error object for the same error`, async (t) => {
    for (const code of RETRY_LATER) {
      const r = await run(w, new CodedError(code, `${code}: try again soon`));
      t.equal(r.code, 3, `${code}: exit 3 (retry later)`);
      t.same(JSON.parse(r.out), { ok: false, error: { code, message: 'try again soon' } }, `${code}: the message without its code`);
    }
    const refused = await run(w, new CodedError('KIOSK_UNKNOWN', 'KIOSK_UNKNOWN: no kiosk kiosk-9', 'CenterError'));
    t.equal(refused.code, 1, 'a refusal: exit 1');
    t.same(JSON.parse(refused.out), { ok: false, error: { code: 'KIOSK_UNKNOWN', message: 'no kiosk kiosk-9' } });
    const busyCa = await run(w, new PkiError('BUSY', 'ca/revoked.json.lock is held by another writer; retry later'), false);
    t.equal(busyCa.code, 3, 'the CA busy: exit 3');
    t.equal(busyCa.out, '');
    t.match(busyCa.err, /^cardline [a-z ]+: BUSY: ca\/revoked\.json\.lock is held by another writer; retry later\n$/, 'one line on stderr: command, code, message');
    const center = await run(w, new EnrolClientError('REFUSED', 'the token was used', 'token-refused'));
    t.equal(center.code, 1);
    t.same(JSON.parse(center.out), { ok: false, error: { code: 'token-refused', message: 'the token was used' } }, "a center's refusal carries the center's code");
    const down = await run(w, new EnrolClientError('UNREACHABLE', 'no answer from the center'));
    t.equal(down.code, 3, 'the endpoint unreachable: exit 3');
    const usage = await run(w, new UsageError('--kiosk is required'));
    t.equal(usage.code, 2, 'usage stays exit 2');
    const plain = await run(w, new Error('something broke'));
    t.equal(plain.code, 1);
    t.same(JSON.parse(plain.out), { ok: false, error: { code: 'INTERNAL', message: 'something broke' } });
  });
}
