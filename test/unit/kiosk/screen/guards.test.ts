/**
 * The common rules of docs/screens.md on the kiosk's screen server: strict
 * headers on every answer (refusals too), the Host check against DNS
 * rebinding (421), writes only as JSON from our own Origin within the size
 * limit, JSON errors with their code, and each refusal logged with its code
 * and never the body.
 */
import t from 'tap';
import { HTTP_GUARD_STATUS, SECURITY_HEADERS } from '../../../../common/http-guard.js';
import { statusOf } from '../../../../kiosk/screen/errors.js';
import { call, post, setup } from './helpers.js';

const CODE = '73914682';

void t.test('every answer carries the strict headers, pages and refusals alike', async (t) => {
  const s = await setup(t);
  for (const [method, path, host] of [
    ['GET', '/', undefined],
    ['GET', '/operator', undefined],
    ['GET', '/static/customer.js', undefined],
    ['GET', '/nope', undefined],
    ['GET', '/', 'evil.example:80'],
  ] as const) {
    const r = await call(s, method, path, host ? { headers: { Host: host } } : {});
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) t.equal(r.headers[k.toLowerCase()], v, `${path} ${k}`);
    t.equal(r.headers['strict-transport-security'], undefined, `${path}: no HSTS over plain HTTP`);
  }
  t.match(SECURITY_HEADERS['Content-Security-Policy'], /script-src 'self';/);
  t.notMatch(SECURITY_HEADERS['Content-Security-Policy'], /unsafe-inline/);
  for (const [code, status] of Object.entries(HTTP_GUARD_STATUS)) t.equal(statusOf(code as keyof typeof HTTP_GUARD_STATUS), status, `${code}: the common rules' status`);
});

void t.test('Host: our own address only (DNS rebinding) → 421 host-refused, logged with its code', async (t) => {
  const s = await setup(t);
  t.equal((await call(s, 'GET', '/')).status, 200);
  t.equal((await call(s, 'GET', '/', { headers: { Host: `localhost:${s.server.port}` } })).status, 200);
  for (const host of ['evil.example', `evil.example:${s.server.port}`, '127.0.0.1', `127.0.0.1:${s.server.port + 1}`, `192.168.1.2:${s.server.port}`]) {
    const r = await call(s, 'GET', '/api/config', { headers: { Host: host } });
    t.equal(r.status, 421, host);
    t.same(r.json.error, 'host-refused');
  }
  t.match(s.logs.join(''), /"msg":"request refused","code":"host-refused"/);
  t.notMatch(s.logs.join(''), /evil\.example/, 'the hostile Host is not logged');
});

void t.test('writes: JSON content type, same Origin, size limit — refused before the agent sees anything', async (t) => {
  const s = await setup(t);
  const body = JSON.stringify({ application: 'APP-1', code: CODE });
  const cases: [Record<string, string>, string | undefined, number, string][] = [
    [{ 'Content-Type': 'text/plain', Origin: s.origin }, body, 415, 'unsupported-media-type'],
    [{ 'Content-Type': 'application/x-www-form-urlencoded', Origin: s.origin }, body, 415, 'unsupported-media-type'],
    [{ Origin: s.origin }, body, 415, 'unsupported-media-type'],
    [{ 'Content-Type': 'application/json; charset=latin1', Origin: s.origin }, body, 415, 'unsupported-media-type'],
    [{ 'Content-Type': 'application/json' }, body, 403, 'origin'],
    [{ 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body, 403, 'origin'],
    [{ 'Content-Type': 'application/json', Origin: 'null' }, body, 403, 'origin'],
    [{ 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${s.server.port + 1}` }, body, 403, 'origin'],
    [{ 'Content-Type': 'application/json', Origin: s.origin }, JSON.stringify({ application: 'A', code: 'x'.repeat(2000) }), 413, 'too-large'],
    [{ 'Content-Type': 'application/json', Origin: s.origin }, `{"application":"A","code":"${CODE}"`, 400, 'bad-json'],
    [{ 'Content-Type': 'application/json', Origin: s.origin }, '[1,2]', 400, 'bad-json'],
  ];
  for (const [headers, b, status, code] of cases) {
    const r = await call(s, 'POST', '/api/request', { headers, ...(b !== undefined ? { body: b } : {}) });
    t.equal(r.status, status, `${code}: ${JSON.stringify(headers)}`);
    t.equal(r.json.error, code);
    t.type(r.json.message, 'string');
    t.match(r.headers['content-type'], /^application\/json/);
  }
  // A body larger than the limit, sent without Content-Length (chunked): cut off as it comes.
  const chunked = await call(s, 'POST', '/api/request', { headers: { 'Content-Type': 'application/json', Origin: s.origin, 'Transfer-Encoding': 'chunked' }, body: `{"application":"A","code":"${'1'.repeat(4000)}"}` });
  t.equal(chunked.status, 413);
  t.same(s.agent.requests, [], 'the agent saw no request');
  const logs = s.logs.join('');
  for (const code of ['unsupported-media-type', 'origin', 'too-large', 'bad-json']) t.match(logs, `"code":"${code}"`);
  t.notMatch(logs, CODE, 'no body in the logs');
  t.notMatch(logs, 'evil.example');
});

void t.test('unknown paths 404, wrong methods 405, static files by exact name only', async (t) => {
  const s = await setup(t);
  t.equal((await call(s, 'GET', '/nope')).json.error, 'not-found');
  t.equal((await call(s, 'GET', '/static/../server.ts')).status, 404);
  t.equal((await call(s, 'GET', '/static/%2e%2e%2fserver.ts')).status, 404);
  t.equal((await call(s, 'GET', '/static/messages.js')).headers['content-type'], 'text/javascript; charset=utf-8');
  t.equal((await call(s, 'GET', '/static/style.css')).headers['content-type'], 'text/css; charset=utf-8');
  const r = await call(s, 'GET', '/api/request');
  t.equal(r.status, 405);
  t.equal(r.json.error, 'method-not-allowed');
  t.equal((await post(s, '/', {})).status, 405);
});

void t.test('the pages have no inline script or style and load nothing from outside', async (t) => {
  const s = await setup(t);
  for (const path of ['/', '/operator']) {
    const html = (await call(s, 'GET', path)).text;
    t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${path}: no inline script`);
    t.notMatch(html, /<style|\sstyle=|\son[a-z]+=/i, `${path}: no inline style or handlers`);
    t.notMatch(html, /(src|href)="(https?:)?\/\//, `${path}: nothing from another origin`);
  }
  for (const f of ['customer.js', 'operator.js', 'messages.js', 'api.js']) {
    const js = (await call(s, 'GET', `/static/${f}`)).text;
    t.notMatch(js, /localStorage|sessionStorage|indexedDB|serviceWorker|innerHTML|eval\(/, `${f}: no storage, no HTML injection`);
  }
});
