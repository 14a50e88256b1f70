// The center console's entry point: resumes or opens a session, then shows
// one view at a time from the nav (the URL's hash names it, so Back works
// and a view can be linked). Data views load when shown and on Refresh.
import { ApiError, login, logout, resume, setUnauthorizedHandler } from './api.js';
import { atLeast, can } from './roles.js';
import { createFeed } from './feed.js';
import { createFleetView } from './fleet.js';
import { createJobsView } from './jobs.js';
import { createAuditView } from './audit.js';
import { createChartsView } from './charts.js';
import { createApplicationsView } from './applications.js';

const $ = (id) => document.getElementById(id);
const VIEWS = ['fleet', 'feed', 'jobs', 'audit', 'charts', 'applications'];
const DEFAULT_VIEW = 'fleet';

/** Shared by the views: the user, what the role may do, and the notice line. */
const ctx = {
  user: null,
  can: (action) => ctx.user !== null && can(ctx.user.role, action),
  notify,
};

let noticeTimer = null;
/** A short message in the polite live region under the nav (outcomes of actions, refusals). */
function notify(text, tone = 'ok') {
  const n = $('notice');
  n.textContent = text;
  n.className = `notice notice-${tone}`;
  n.hidden = false;
  clearTimeout(noticeTimer);
  if (tone === 'ok') noticeTimer = setTimeout(() => (n.hidden = true), 8000);
}

const feed = createFeed($('view-feed'), ctx);
const views = {
  fleet: createFleetView($('view-fleet'), ctx),
  feed,
  jobs: createJobsView($('view-jobs'), ctx, feed),
  audit: createAuditView($('view-audit'), ctx),
  charts: createChartsView($('view-charts'), ctx),
  applications: createApplicationsView($('view-applications'), ctx),
};
let current = null;

function showOnly(sectionId) {
  for (const s of document.querySelectorAll('main > .view')) s.hidden = s.id !== sectionId;
}

function route() {
  if (!ctx.user) return;
  let name = location.hash.slice(1);
  const link = document.querySelector(`#nav a[data-view="${VIEWS.includes(name) ? name : ''}"]`);
  if (!VIEWS.includes(name) || !link || link.parentElement.hidden) name = DEFAULT_VIEW;
  if (current && current !== name) views[current].hide();
  current = name;
  showOnly(`view-${name}`);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${$(`${name}-title`).textContent} · Cardline console`;
  views[name].show();
}

function enter(user) {
  ctx.user = user;
  $('who-text').textContent = `${user.username} (${user.role})`;
  $('who').hidden = false;
  $('nav').hidden = false;
  // Views the role may not use are not offered at all.
  for (const a of document.querySelectorAll('#nav a[data-needs]')) a.parentElement.hidden = !atLeast(user.role, a.dataset.needs);
  feed.start();
  route();
  $('main').focus();
}

function leave(message, tone = 'ok') {
  if (current) views[current].hide();
  current = null;
  ctx.user = null;
  feed.stop();
  $('who').hidden = true;
  $('nav').hidden = true;
  document.title = 'Sign in · Cardline console';
  showOnly('view-login');
  $('login-password').value = '';
  if (message) notify(message, tone);
  $('login-username').focus();
}

const LOGIN_MESSAGES = {
  'bad-credentials': 'Wrong username or password. After 5 failures the account is locked for 15 minutes.',
};

async function onLogin(ev) {
  ev.preventDefault();
  const err = $('login-error');
  const username = $('login-username').value.trim();
  const password = $('login-password').value;
  if (username === '' || password === '') {
    err.textContent = 'Enter your username and password.';
    err.hidden = false;
    return;
  }
  const button = $('login-submit');
  button.disabled = true;
  err.hidden = true;
  try {
    const user = await login(username, password);
    $('login-password').value = '';
    $('notice').hidden = true;
    enter(user);
  } catch (e) {
    err.textContent = e instanceof ApiError ? (LOGIN_MESSAGES[e.code] ?? `Sign-in refused: ${e.message} (${e.code})`) : 'Sign-in failed.';
    err.dataset.code = e instanceof ApiError ? e.code : 'error';
    err.hidden = false;
    $('login-password').value = '';
    $('login-password').focus();
  } finally {
    button.disabled = false;
  }
}

async function onLogout() {
  try {
    await logout();
    leave('You are signed out.');
  } catch (e) {
    leave(`Signed out here; the center answered: ${e.message}`, 'warn');
  }
}

setUnauthorizedHandler(() => leave('Your session has ended (idle or expired). Sign in again.', 'warn'));
$('login-form').addEventListener('submit', (ev) => void onLogin(ev));
$('logout').addEventListener('click', () => void onLogout());
window.addEventListener('hashchange', route);

try {
  const user = await resume();
  if (user) enter(user);
  else leave();
} catch (e) {
  leave(`The center did not answer: ${e.message}`, 'bad');
}
