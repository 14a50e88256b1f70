/**
 * The common HTTP rules both screens share (common/http-guard.ts): each
 * refusal with its code and status, the header set (HSTS only under TLS),
 * the body limit by Content-Length and by the bytes as they come (the read
 * chunks overwritten either way), JSON answers and refusals, and the
 * session cookie's parsing and building.
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  buildCookie,
  checkHost,
  checkWrite,
  HSTS,
  HTTP_GUARD_STATUS,
  HttpGuardError,
  isHttpGuardError,
  isJsonContentType,
  originsOf,
  readBody,
  readCookie,
  SECURITY_HEADERS,
  sendJson,
  sendJsonError,
  setSecurityHeaders,
} from '../../../common/http-guard.js';

/** A request as the guards see it: headers, and a body that yields these chunks. */
function fakeReq(headers: Record<string, string>, chunks: Buffer[] = [], onRead?: () => void): IncomingMessage {
  function* body(): Generator<Buffer> {
    onRead?.();
    for (const c of chunks) yield c;
  }
  return Object.assign(Readable.from(body(), { objectMode: true }), { headers }) as unknown as IncomingMessage;
}

function refusal(code: keyof typeof HTTP_GUARD_STATUS): { name: string; code: string; status: number } {
  return { name: 'HttpGuardError', code, status: HTTP_GUARD_STATUS[code] };
}

void t.test('HttpGuardError: each code with its status', (t) => {
  t.same(HTTP_GUARD_STATUS, { 'host-refused': 421, 'unsupported-media-type': 415, origin: 403, 'too-large': 413 });
  const e = new HttpGuardError('origin', 'x');
  t.ok(e instanceof Error);
  t.equal(e.status, 403);
  t.ok(isHttpGuardError(e) && isHttpGuardError(e, 'origin'));
  t.notOk(isHttpGuardError(e, 'too-large'));
  t.notOk(isHttpGuardError(new Error('origin')));
  t.end();
});

void t.test('Host: one of the allowed names (case aside), else 421 host-refused', (t) => {
  const allowed = new Set(['127.0.0.1:8080', 'localhost:8080']);
  t.equal(checkHost(fakeReq({ host: '127.0.0.1:8080' }), allowed), '127.0.0.1:8080');
  t.equal(checkHost(fakeReq({ host: 'LocalHost:8080' }), allowed), 'localhost:8080', 'resolves with the lower-case name');
  for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1', '127.0.0.1:8081', '']) {
    t.throws(() => checkHost(fakeReq({ host }), allowed), refusal('host-refused'), host);
  }
  t.throws(() => checkHost(fakeReq({}), allowed), refusal('host-refused'), 'no Host at all');
  t.end();
});

void t.test('writes: application/json (optionally charset=utf-8) from an allowed origin', (t) => {
  const origins = originsOf('http', ['127.0.0.1:8080', 'localhost:8080']);
  t.same([...origins], ['http://127.0.0.1:8080', 'http://localhost:8080']);
  t.same([...originsOf('https', ['Console.Example.org'])], ['https://console.example.org']);
  for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json ; charset=utf-8 ']) {
    t.ok(isJsonContentType(type), type);
    t.doesNotThrow(() => checkWrite(fakeReq({ 'content-type': type, origin: 'http://127.0.0.1:8080' }), origins), type);
  }
  for (const type of [undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/json; foo=bar', 'application/jsonx', 'application/json, text/plain']) {
    t.notOk(isJsonContentType(type), String(type));
    const headers: Record<string, string> = { origin: 'http://127.0.0.1:8080', ...(type !== undefined ? { 'content-type': type } : {}) };
    t.throws(() => checkWrite(fakeReq(headers), origins), refusal('unsupported-media-type'), String(type));
  }
  for (const origin of [undefined, 'null', 'http://evil.example', 'http://127.0.0.1:8081', 'https://127.0.0.1:8080', 'http://127.0.0.1']) {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(origin !== undefined ? { origin } : {}) };
    t.throws(() => checkWrite(fakeReq(headers), origins), refusal('origin'), String(origin));
  }
  t.doesNotThrow(() => checkWrite(fakeReq({ 'content-type': 'application/json', origin: 'http://LOCALHOST:8080' }), origins), 'Origin compared case aside');
  t.end();
});

void t.test('body: read whole within the limit; the chunks read are overwritten', async (t) => {
  const chunks = [Buffer.from('{"pin":'), Buffer.from('"123456"}')];
  const body = await readBody(fakeReq({ 'content-length': '16' }, chunks), 16);
  t.equal(body.toString('utf8'), '{"pin":"123456"}');
  for (const c of chunks) t.ok(c.every((b) => b === 0), 'chunk zeroed');
  t.equal((await readBody(fakeReq({}, []), 16)).length, 0, 'no body: empty');
});

void t.test('body: refused by Content-Length before a byte is read', async (t) => {
  let read = false;
  const req = fakeReq({ 'content-length': '17' }, [Buffer.alloc(17, 0x41)], () => (read = true));
  await t.rejects(readBody(req, 16), { ...refusal('too-large'), message: 'the body is limited to 16 bytes' });
  t.notOk(read, 'nothing read');
});

void t.test('body: without (or with a lying) Content-Length, cut off as the bytes come; what was read is overwritten', async (t) => {
  for (const headers of [{}, { 'content-length': '4' }, { 'content-length': 'nonsense' }] as Record<string, string>[]) {
    const chunks = [Buffer.alloc(10, 0x31), Buffer.alloc(10, 0x32), Buffer.alloc(10, 0x33)];
    let after = false;
    const req = fakeReq(headers, chunks);
    req.on('end', () => (after = true));
    await t.rejects(readBody(req, 16), refusal('too-large'), JSON.stringify(headers));
    t.ok(chunks[0]!.every((b) => b === 0) && chunks[1]!.every((b) => b === 0), 'the chunks read are zeroed');
    t.notOk(chunks[2]!.every((b) => b === 0), 'the rest was never read');
    t.notOk(after, 'not read to the end');
  }
  const exact = await readBody(fakeReq({}, [Buffer.alloc(8, 1), Buffer.alloc(8, 2)]), 16);
  t.equal(exact.length, 16, 'exactly the limit passes');
});

void t.test('cookies: parse the named one, build HttpOnly SameSite=Strict session cookies', (t) => {
  t.equal(readCookie('a=1; cl_op=tok_en-1; b=2', 'cl_op'), 'tok_en-1');
  t.equal(readCookie('cl_op=abc=def', 'cl_op'), 'abc=def', 'a value may hold =');
  t.equal(readCookie(' cl_op = spaced ', 'cl_op'), 'spaced');
  t.equal(readCookie('x_cl_op=1; cl_op=2', 'cl_op'), '2', 'a name is matched whole');
  t.equal(readCookie('cl_op=first; cl_op=second', 'cl_op'), 'first');
  t.equal(readCookie('cl_op=', 'cl_op'), '');
  t.equal(readCookie('other=1; =cl_op; cl_op', 'cl_op'), undefined);
  t.equal(readCookie(undefined, 'cl_op'), undefined);
  t.equal(buildCookie('cl_session', 'tok'), 'cl_session=tok; HttpOnly; SameSite=Strict; Path=/');
  t.equal(buildCookie('cl_session', 'tok', { secure: true }), 'cl_session=tok; HttpOnly; SameSite=Strict; Path=/; Secure');
  t.equal(buildCookie('cl_session', 'tok', { clear: true }), 'cl_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0', 'cleared: no value');
  t.equal(buildCookie('cl_session', '', { clear: true, secure: true }), 'cl_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure');
  t.end();
});

/** A loopback server whose every answer is `fn`'s; resolves with its URL. */
async function serve(t: Test, fn: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => fn(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/** The answer to one GET of a server answering with `fn`. */
async function answer(t: Test, fn: (res: ServerResponse) => void): Promise<{ status: number; headers: Headers; text: string }> {
  const r = await fetch(await serve(t, fn));
  return { status: r.status, headers: r.headers, text: await r.text() };
}

void t.test('headers: the strict set on every answer, HSTS only under TLS', async (t) => {
  t.match(SECURITY_HEADERS['Content-Security-Policy'], /^default-src 'none'; script-src 'self';.*frame-ancestors 'none'$/);
  t.notMatch(SECURITY_HEADERS['Content-Security-Policy'], /unsafe-inline|unsafe-eval/);
  t.same(Object.keys(SECURITY_HEADERS).sort(), [
    'Cache-Control',
    'Content-Security-Policy',
    'Cross-Origin-Opener-Policy',
    'Cross-Origin-Resource-Policy',
    'Referrer-Policy',
    'X-Content-Type-Options',
    'X-Frame-Options',
  ]);
  const plain = await answer(t, (res) => {
    setSecurityHeaders(res, { tls: false });
    sendJson(res, 200, { ok: true });
  });
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) t.equal(plain.headers.get(k), v, k);
  t.equal(plain.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
  const tls = await answer(t, (res) => {
    setSecurityHeaders(res, { tls: true });
    res.end();
  });
  t.equal(tls.headers.get('strict-transport-security'), HSTS);
  t.equal(tls.headers.get('x-frame-options'), 'DENY');
});

void t.test('JSON answers and refusals: type and length fixed, extra headers added', async (t) => {
  const ok = await answer(t, (res) => sendJson(res, 201, { name: 'é' }, { 'Set-Cookie': 'a=b', 'Content-Type': 'text/html' }));
  t.equal(ok.status, 201);
  t.equal(ok.headers.get('content-type'), 'application/json; charset=utf-8', 'a caller cannot change the type');
  t.equal(ok.headers.get('content-length'), String(Buffer.byteLength('{"name":"é"}')));
  t.same(ok.headers.getSetCookie(), ['a=b']);
  t.same(JSON.parse(ok.text), { name: 'é' });
  const refused = await answer(t, (res) => sendJsonError(res, 429, 'locked', 'wait', { 'Retry-After': '30' }));
  t.equal(refused.status, 429);
  t.equal(refused.headers.get('retry-after'), '30');
  t.same(JSON.parse(refused.text), { error: 'locked', message: 'wait' });
});

void t.test('a refusal after the answer started (a stream) cuts the connection', async (t) => {
  const url = await serve(t, (res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.write(': open\n\n');
    sendJsonError(res, 500, 'internal', 'late');
  });
  // However far the stream got, the connection ends cut, never with a JSON error inside the stream.
  await t.rejects(fetch(url).then((r) => r.text()));
});
