/**
 * center/broker/acl.ts: roles from certificate subjects, client IDs tied to
 * them, and the topic rules of DESIGN §3 step 1 / §5, each refusal with its
 * reason code.
 */
import t from 'tap';
import { checkClientId, checkPublish, checkSubscribe, roleOf, type Role } from '../../../center/broker/acl.js';

const kiosk: Role = { kind: 'kiosk', id: 'kiosk-1' };
const center: Role = { kind: 'center' };

void t.test('roles from the subject', (t) => {
  t.same(roleOf({ CN: 'kiosk-1', OU: 'kiosk', O: 'Cardline' } as never), { ok: true, role: kiosk });
  t.same(roleOf({ CN: 'cardline-center', OU: 'center' }), { ok: true, role: center });
  t.same(roleOf({ CN: 'kiosk-1', OU: 'center' }), { ok: false, reason: 'role-unknown' }, 'OU=center needs the center CN');
  t.same(roleOf({ CN: 'cardline-broker', OU: 'broker' }), { ok: false, reason: 'role-unknown' });
  t.same(roleOf({ CN: 'kiosk-1' }), { ok: false, reason: 'role-unknown' }, 'no OU');
  t.same(roleOf({ CN: 'kiosk-1', OU: ['kiosk', 'center'] }), { ok: false, reason: 'role-unknown' }, 'two OUs');
  t.same(roleOf({ CN: ['a', 'b'], OU: 'kiosk' }), { ok: false, reason: 'role-unknown' }, 'two CNs');
  for (const cn of ['kiosk/1', 'k+', '#', '', '-k', 'x'.repeat(65), 'cardline-center', 'CARDLINE-x']) {
    t.same(roleOf({ CN: cn, OU: 'kiosk' }), { ok: false, reason: 'kiosk-id-invalid' }, JSON.stringify(cn));
  }
  t.end();
});

void t.test('client IDs: a kiosk uses its CN, the center cardline-center[-suffix]', (t) => {
  t.same(checkClientId(kiosk, 'kiosk-1'), { ok: true });
  for (const id of ['kiosk-2', '', 'kiosk-1x', 'cardline-center']) t.same(checkClientId(kiosk, id), { ok: false, reason: 'client-id-mismatch' }, JSON.stringify(id));
  t.same(checkClientId(center, 'cardline-center'), { ok: true });
  t.same(checkClientId(center, 'cardline-center-4711'), { ok: true });
  for (const id of ['kiosk-1', '', 'cardline-centerX', `cardline-center-${'x'.repeat(200)}`]) t.same(checkClientId(center, id), { ok: false, reason: 'client-id-mismatch' }, JSON.stringify(id.slice(0, 30)));
  t.end();
});

void t.test('kiosk PUBLISH: own up and state only; RETAIN on state only', (t) => {
  t.same(checkPublish(kiosk, 'kiosk/kiosk-1/up', false), { ok: true });
  t.same(checkPublish(kiosk, 'kiosk/kiosk-1/state', true), { ok: true });
  t.same(checkPublish(kiosk, 'kiosk/kiosk-1/state', false), { ok: true });
  for (const topic of ['kiosk/kiosk-2/up', 'kiosk/kiosk-2/state', 'kiosk/kiosk-1/down', 'kiosk/kiosk-1/up/x', 'kiosk/kiosk-1', '$SYS/x', 'other', '', 'KIOSK/kiosk-1/up']) {
    t.same(checkPublish(kiosk, topic, false), { ok: false, reason: 'topic-not-allowed' }, topic);
  }
  t.same(checkPublish(kiosk, 'kiosk/kiosk-1/up', true), { ok: false, reason: 'retain-not-allowed' });
  t.end();
});

void t.test('kiosk SUBSCRIBE: exactly its down topic; wildcards refused as such', (t) => {
  t.same(checkSubscribe(kiosk, 'kiosk/kiosk-1/down'), { ok: true });
  for (const f of ['kiosk/#', '#', 'kiosk/+/down', 'kiosk/kiosk-1/+', 'kiosk/kiosk-1/#', '$SYS/#', '+/kiosk-1/down']) t.same(checkSubscribe(kiosk, f), { ok: false, reason: 'wildcard' }, f);
  for (const f of ['kiosk/kiosk-2/down', 'kiosk/kiosk-1/up', 'kiosk/kiosk-1/state', '$share/center/kiosk/kiosk-1/down', 'x']) t.same(checkSubscribe(kiosk, f), { ok: false, reason: 'topic-not-allowed' }, f);
  t.end();
});

void t.test('center: subscribes to up/state (all, one, shared), publishes down without RETAIN', (t) => {
  for (const f of ['kiosk/+/up', 'kiosk/+/state', '$share/center/kiosk/+/up', 'kiosk/kiosk-7/up', 'kiosk/kiosk-7/state']) t.same(checkSubscribe(center, f), { ok: true }, f);
  for (const f of ['kiosk/#', '#', 'kiosk/+/down', '+/+/+', '$SYS/#', '$share/other/kiosk/+/up']) t.same(checkSubscribe(center, f), { ok: false, reason: 'wildcard' }, f);
  for (const f of ['kiosk/kiosk-7/down', 'kiosk/a/b/c', '$SYS/broker']) t.same(checkSubscribe(center, f), { ok: false, reason: 'topic-not-allowed' }, f);
  t.same(checkPublish(center, 'kiosk/kiosk-7/down', false), { ok: true });
  for (const topic of ['kiosk/kiosk-7/up', 'kiosk/kiosk-7/state', 'kiosk/bad id/down', 'kiosk//down', 'x']) t.same(checkPublish(center, topic, false), { ok: false, reason: 'topic-not-allowed' }, topic);
  t.same(checkPublish(center, 'kiosk/kiosk-7/down', true), { ok: false, reason: 'retain-not-allowed' });
  t.end();
});
