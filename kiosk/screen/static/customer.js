// The customer's screen: start → application ID → one-time code (masked) → live steps → result → start.
// Keys come from the on-screen keypad or, through the server's event stream, from a HID keypad.
// Nothing typed is kept beyond this customer: reset() overwrites it, and nothing is ever stored in the browser.
import { applyLanguage, reasonText, text } from './messages.js';
import { postJson } from './api.js';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MAX = { id: 64, code: 32 };
/** How soon the page asks for its event stream again after a refusal. */
const STREAM_RETRY_MS = 2000;
const $ = (id) => document.getElementById(id);

const state = {
  lang: 'en',
  ready: false,
  settings: { idleMs: 60000, resultMs: 15000, keypad: false, cardSource: 'hopper' },
  screen: 'loading',
  field: 'id',
  application: '',
  code: '',
  letters: false,
  live: undefined,
  result: undefined,
  stuck: false,
  idleTimer: undefined,
  resultTimer: undefined,
  resultEnds: 0,
};

const t = (key, vars) => text(state.lang, key, vars);

function show(screen) {
  state.screen = screen;
  document.body.dataset.screen = screen;
  const section = screen === 'id' || screen === 'code' ? 'entry' : screen;
  for (const el of document.querySelectorAll('.screen')) el.hidden = el.id !== `screen-${section}`;
  render();
  const focus = { start: 'start', result: 'finish' }[screen];
  if (focus) $(focus).focus();
  else if (section === 'entry') document.querySelector('#screen-entry [data-key="1"]').focus();
}

function render() {
  applyLanguage(document, state.lang);
  $('start').disabled = !state.ready;
  $('out-of-service').hidden = state.ready;
  if (state.screen === 'id' || state.screen === 'code') {
    const id = state.screen === 'id';
    $('entry-prompt').textContent = t(id ? 'enterId' : 'enterCode');
    $('entry-hint').textContent = id ? '' : t('codeHint');
    $('entry-display').textContent = id ? state.application : '•'.repeat(state.code.length);
    document.querySelector('[data-action="enter"]').textContent = t(id ? 'next' : 'ok');
    $('keys-letters').hidden = !state.letters;
    $('keys-digits').hidden = state.letters;
    document.querySelector('#keys-letters [data-action="letters"]').textContent = t('digits');
  }
  $('live').textContent = state.live ? t(state.live.key, state.live.vars) : '';
  if (state.screen === 'result') renderResult();
}

function renderResult() {
  const r = state.result;
  if (r.outcome === 'issued') {
    $('result-title').textContent = t('successTitle');
    $('result-text').textContent = '';
    $('result-next').textContent = t(state.stuck ? 'stuckNext' : 'successNext');
  } else {
    const { text: why, next } = reasonText(state.lang, r.reason ?? r.outcome);
    $('result-title').textContent = t('failureTitle');
    $('result-text').textContent = r.attemptsLeft !== undefined ? `${why} ${t('attemptsLeft', { n: r.attemptsLeft })}` : why;
    $('result-next').textContent = next;
  }
  document.body.dataset.outcome = r.outcome;
  const s = Math.max(0, Math.ceil((state.resultEnds - Date.now()) / 1000));
  $('result-countdown').textContent = t('backToStart', { s });
}

/** Back to the start: what was typed is overwritten, timers stop, the language goes back to the default. */
function reset() {
  state.application = '';
  state.code = '';
  state.letters = false;
  state.live = undefined;
  state.result = undefined;
  state.stuck = false;
  state.lang = 'en';
  $('entry-display').textContent = '';
  delete document.body.dataset.outcome;
  clearTimeout(state.idleTimer);
  clearInterval(state.resultTimer);
  show('start');
}

function armIdle() {
  clearTimeout(state.idleTimer);
  state.idleTimer = setTimeout(reset, state.settings.idleMs);
}

function begin() {
  if (!state.ready) return;
  state.field = 'id';
  show('id');
  armIdle();
}

/** One key, from the screen or the HID keypad: a character, or back / clear / cancel / enter. */
function key(k) {
  if (state.screen === 'start') {
    if (k === 'enter') begin();
    return;
  }
  if (state.screen === 'result') {
    if (k === 'enter' || k === 'cancel') reset();
    return;
  }
  if (state.screen !== 'id' && state.screen !== 'code') return;
  armIdle();
  const field = state.screen === 'id' ? 'application' : 'code';
  const max = MAX[state.screen];
  if (k === 'cancel') return reset();
  if (k === 'back') state[field] = state[field].slice(0, -1);
  else if (k === 'clear') state[field] = '';
  else if (k === 'enter') return enter();
  else if (/^[0-9A-Z]$/.test(k) || (k === '-' && field === 'application')) {
    if (state[field].length < max) state[field] += k;
  }
  render();
}

function enter() {
  if (state.screen === 'id' && state.application !== '') {
    state.letters = false;
    show('code');
  } else if (state.screen === 'code' && state.code !== '') {
    void submit();
  }
}

async function submit() {
  clearTimeout(state.idleTimer);
  const body = { application: state.application, code: state.code };
  // The page keeps neither once they are sent.
  state.application = '';
  state.code = '';
  state.live = { key: 'liveSent' };
  for (const li of document.querySelectorAll('.steps li')) li.className = '';
  $('write-progress').hidden = true;
  show('progress');
  step('check', 'active');
  let result;
  try {
    const res = await postJson('/api/request', body);
    const json = await res.json();
    result = res.ok ? json : { outcome: 'refused', reason: json.error };
  } catch {
    result = { outcome: 'failed', reason: 'network' };
  }
  body.code = '';
  showResult(result);
}

function showResult(result) {
  state.result = result;
  state.resultEnds = Date.now() + state.settings.resultMs;
  clearInterval(state.resultTimer);
  state.resultTimer = setInterval(() => {
    if (Date.now() >= state.resultEnds) reset();
    else if (state.screen === 'result') renderResult();
  }, 250);
  show('result');
}

function step(name, how) {
  const order = ['check', 'card', 'write', 'verify'];
  for (const li of document.querySelectorAll('.steps li')) {
    const i = order.indexOf(li.dataset.step);
    const at = order.indexOf(name);
    li.className = i < at ? 'done' : i === at ? how : '';
    if (i === at && how === 'active') li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  }
}

/** A KioskEvent (kiosk/events.ts) while this customer's request runs. */
function progress(e) {
  if (state.screen !== 'progress') return;
  const bar = $('write-progress');
  switch (e.type) {
    case 'insert-card':
      step('card', 'active');
      // A plain reader has no hopper: the customer inserts the card (settings.cardSource, from the station's kind).
      state.live = { key: e.recover ? 'liveRecover' : state.settings.cardSource === 'customer' ? 'liveInsertCustomer' : 'liveInsert' };
      break;
    case 'card-read':
      state.live = { key: 'liveCardRead' };
      break;
    case 'card-refused':
      step('card', 'active');
      state.live = { key: 'liveCardRefused' };
      break;
    case 'card-authenticated':
      step('write', 'active');
      state.live = { key: 'liveAuthenticated' };
      break;
    case 'writing':
      step('write', 'active');
      bar.hidden = false;
      bar.max = e.total;
      bar.value = e.index;
      state.live = { key: 'liveWriting', vars: { k: e.index, n: e.total } };
      break;
    case 'verifying':
      step('verify', 'active');
      bar.hidden = true;
      state.live = { key: 'liveVerifying' };
      break;
    case 'issued':
      step('verify', 'done');
      state.stuck = !e.ok;
      state.live = { key: 'liveIssued' };
      break;
    default:
      return;
  }
  render();
}

function buildLetters() {
  const box = $('keys-letters');
  for (const c of LETTERS) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.key = c;
    b.textContent = c;
    box.append(b);
  }
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.dataset.action = 'letters';
  box.append(toggle);
}

function listen() {
  const events = new EventSource('/api/events');
  events.addEventListener('state', (m) => {
    state.ready = JSON.parse(m.data).ready === true;
    render();
  });
  events.addEventListener('kiosk', (m) => progress(JSON.parse(m.data)));
  events.addEventListener('key', (m) => key(JSON.parse(m.data).key));
  events.addEventListener('error', () => {
    state.ready = false;
    render();
    // A refused stream (503 too-many-streams: the slots are taken) is not retried by EventSource: retry here.
    if (events.readyState === EventSource.CLOSED) setTimeout(listen, STREAM_RETRY_MS);
  });
}

async function main() {
  buildLetters();
  document.addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (b.id === 'lang') {
      state.lang = state.lang === 'en' ? 'ja' : 'en';
      if (state.screen === 'id' || state.screen === 'code') armIdle();
      return render();
    }
    if (b.id === 'start') return begin();
    if (b.id === 'finish') return reset();
    if (b.dataset.action === 'letters') {
      state.letters = !state.letters;
      armIdle();
      render();
      document.querySelector(state.letters ? '#keys-letters [data-key="A"]' : '#keys-digits [data-key="1"]').focus();
      return;
    }
    const k = b.dataset.key ?? b.dataset.action;
    if (k) key(k);
  });
  try {
    const res = await fetch('/api/config');
    if (res.ok) state.settings = await res.json();
  } catch {
    // The defaults stand.
  }
  listen();
  reset();
}

void main();
