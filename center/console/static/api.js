// The console's JSON API client (docs/screens.md, "The center console").
// The session's CSRF token lives in this module's variable only: never in
// localStorage, sessionStorage or a cookie written from JavaScript. The
// session cookie itself (cl_session) is HttpOnly and sent by the browser.

/** An API refusal: `code` is the server's stable error code (e.g. bad-credentials, forbidden, conflict). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let csrf = null;
let onUnauthorized = () => {};

/** Called when a request answers 401 while a session was believed open (idle or expired session). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

async function send(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (method === 'POST') {
    init.headers['Content-Type'] = 'application/json';
    if (csrf) init.headers['X-CSRF-Token'] = csrf;
    init.body = typeof body === 'string' ? body : JSON.stringify(body ?? {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The center did not answer. Check that the console server is running.');
  }
  let data = null;
  const text = await res.text();
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const code = data && typeof data.error === 'string' ? data.error : `http-${res.status}`;
    const message = data && typeof data.message === 'string' ? data.message : `HTTP ${res.status}`;
    const err = new ApiError(res.status, code, message);
    if (res.status === 401 && csrf !== null && path !== '/api/login') {
      csrf = null;
      onUnauthorized(err);
    }
    throw err;
  }
  return data;
}

export const get = (path) => send('GET', path);
export const post = (path, body) => send('POST', path, body);

/** The open session `{ username, role }`, or null when there is none (401). */
export async function resume() {
  try {
    const s = await get('/api/session');
    csrf = s.csrf;
    return { username: s.username, role: s.role };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function login(username, password) {
  const s = await post('/api/login', { username, password });
  csrf = s.csrf;
  return { username: s.username, role: s.role };
}

export async function logout() {
  try {
    await post('/api/logout', {});
  } finally {
    csrf = null;
  }
}

/** Encodes one path segment (kiosk and job IDs). */
export const seg = (id) => encodeURIComponent(id);
