// The operator's view: a PIN, then the kiosk's exchanges with the center, its reader and hopper, its last errors — live.
// The server replays the last exchanges and errors when the stream opens. Nothing is stored in the browser;
// the session is an HttpOnly cookie this script never sees.
import { applyLanguage, text } from './messages.js';
import { postJson } from './api.js';

const MAX_EXCHANGES = 100;
const MAX_ERRORS = 20;
const $ = (id) => document.getElementById(id);
const state = { lang: 'en', view: 'loading', events: undefined, status: undefined, loginError: undefined };
const t = (key, vars) => text(state.lang, key, vars);

function show(view) {
  state.view = view;
  document.body.dataset.view = view;
  for (const el of document.querySelectorAll('.screen')) el.hidden = el.id !== `view-${view}`;
  render();
  if (view === 'login') $('pin').focus();
}

function render() {
  applyLanguage(document, state.lang);
  $('login-error').textContent = state.loginError ? t(`op.${state.loginError.code}`, state.loginError.vars) : '';
  const s = state.status;
  if (s) {
    $('st-phase').textContent = s.phase;
    $('st-link').textContent = t(`op.${s.link}`);
    $('st-reader').textContent = `${s.reader.id}: ${t(`op.${s.reader.state}`)}${s.reader.reason ? ` (${s.reader.reason})` : ''}`;
    $('st-hopper').textContent = `${t(`op.${s.hopper.state}`)}${s.hopper.remaining !== undefined ? `, ${t('op.remaining', { n: s.hopper.remaining })}` : ''}`;
  }
}

const time = (at) => new Date(at).toLocaleTimeString('en-GB');

function row(cells, cls = {}) {
  const tr = document.createElement('tr');
  for (const [name, value] of cells) {
    const td = document.createElement('td');
    td.textContent = value === undefined ? '' : String(value);
    td.dataset.col = name;
    if (cls[name]) td.className = cls[name];
    tr.append(td);
  }
  return tr;
}

function prepend(tbody, tr, max) {
  tbody.prepend(tr);
  while (tbody.rows.length > max) tbody.deleteRow(-1);
}

function exchange(x) {
  const tr = row(
    [['at', time(x.at)], ['direction', x.direction], ['type', x.type ?? '?'], ['seq', x.seq], ['job', x.job], ['outcome', x.outcome], ['reason', x.reason]],
    { outcome: x.outcome === 'refused' ? 'refused' : '' },
  );
  tr.dataset.type = x.type ?? '';
  tr.dataset.outcome = x.outcome;
  prepend($('exchanges').tBodies[0], tr, MAX_EXCHANGES);
}

function error(e) {
  prepend($('errors').tBodies[0], row([['at', time(e.at)], ['code', e.code], ['what', e.what]]), MAX_ERRORS);
}

function dashboard() {
  for (const id of ['exchanges', 'errors']) $(id).tBodies[0].replaceChildren();
  state.status = undefined;
  show('dash');
  const events = new EventSource('/api/operator/events');
  state.events = events;
  events.addEventListener('exchange', (m) => exchange(JSON.parse(m.data)));
  events.addEventListener('status', (m) => {
    state.status = JSON.parse(m.data);
    render();
  });
  events.addEventListener('error', (m) => {
    // `event: error` from the server is a MessageEvent; the stream's own failures are plain Events.
    if (m instanceof MessageEvent && m.data) return error(JSON.parse(m.data));
    void checkSession();
  });
}

function stopEvents() {
  state.events?.close();
  state.events = undefined;
}

async function checkSession() {
  let res;
  try {
    res = await fetch('/api/operator/session', { cache: 'no-store' });
  } catch {
    return;
  }
  if (res.ok) {
    if (state.view !== 'dash') dashboard();
    return;
  }
  const body = await res.json().catch(() => ({}));
  stopEvents();
  if (body.error === 'operator-disabled') return show('disabled');
  if (state.view === 'dash') state.loginError = { code: 'ended' };
  show('login');
}

async function login(ev) {
  ev.preventDefault();
  const pin = $('pin').value;
  $('pin').value = '';
  let res;
  try {
    res = await postJson('/api/operator/login', { pin });
  } catch {
    state.loginError = { code: 'other' };
    return render();
  }
  if (res.ok) {
    state.loginError = undefined;
    return dashboard();
  }
  const body = await res.json().catch(() => ({}));
  const code = ['bad-pin', 'locked', 'operator-disabled'].includes(body.error) ? body.error : 'other';
  state.loginError = { code, vars: { s: res.headers.get('Retry-After') ?? '' } };
  render();
  $('pin').focus();
}

async function logout() {
  stopEvents();
  await postJson('/api/operator/logout', {}).catch(() => undefined);
  state.status = undefined;
  state.loginError = undefined;
  show('login');
}

function main() {
  $('login-form').addEventListener('submit', (ev) => void login(ev));
  $('logout').addEventListener('click', () => void logout());
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (b.id === 'lang') {
      state.lang = state.lang === 'en' ? 'ja' : 'en';
      return render();
    }
    const pin = $('pin');
    if (b.dataset.key && pin.value.length < 12) pin.value += b.dataset.key;
    else if (b.dataset.action === 'back') pin.value = pin.value.slice(0, -1);
    else if (b.dataset.action === 'clear') pin.value = '';
  });
  void checkSession();
}

main();
