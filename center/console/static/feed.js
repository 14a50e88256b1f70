// The live issuance feed: SSE from GET /api/feed, `event: job` with
// `{ id, application, state, kiosk, reason, at }` for every job change.
// The stream runs for the whole session (not only while the view is shown),
// newest first, capped; other views subscribe to know when jobs change.
import { fmtTime, h, replace } from './dom.js';
import { stateBadge } from './states.js';

const CAP = 100;
const RETRY_MS = 5000;

export function createFeed(section, ctx) {
  const content = section.querySelector('.content');
  const stateEl = section.querySelector('#feed-state');
  const body = h('tbody');
  const empty = h('tr', { class: 'empty-row' }, h('td', { class: 'empty', attrs: { colspan: 6 } }, 'No job changes since you signed in.'));
  body.append(empty);
  const tbl = h(
    'table',
    { class: 'data', attrs: { id: 'feed-table' } },
    h('caption', { class: 'visually-hidden' }, 'Job changes, newest first'),
    h('thead', {}, h('tr', {}, ['Time', 'Job', 'Application', 'State', 'Kiosk', 'Reason'].map((x) => h('th', { attrs: { scope: 'col' } }, x)))),
    body,
  );
  replace(content, h('div', { class: 'table-wrap' }, tbl));

  const listeners = new Set();
  let source = null;
  let retry = null;

  const setState = (text, tone) => {
    stateEl.textContent = text;
    stateEl.className = `badge badge-${tone}`;
  };

  const add = (job) => {
    empty.remove();
    const row = h(
      'tr',
      { attrs: { 'data-job': job.id ?? '' } },
      h('td', {}, fmtTime(job.at)),
      h('td', { class: 'mono' }, String(job.id ?? '—')),
      h('td', { class: 'mono' }, String(job.application ?? '—')),
      h('td', {}, stateBadge(job.state)),
      h('td', {}, String(job.kiosk ?? '—')),
      h('td', {}, String(job.reason ?? '')),
    );
    body.prepend(row);
    while (body.rows.length > CAP) body.lastElementChild.remove();
    for (const fn of listeners) fn(job);
  };

  const onJob = (ev) => {
    let job;
    try {
      job = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (job && typeof job === 'object') add(job);
  };

  const open = () => {
    clearTimeout(retry);
    setState('connecting', 'muted');
    source = new EventSource('/api/feed');
    source.addEventListener('open', () => setState('live', 'ok'));
    source.addEventListener('job', onJob);
    source.addEventListener('error', () => {
      // EventSource retries by itself while CONNECTING; CLOSED means it gave up (e.g. the session ended).
      if (source && source.readyState === EventSource.CLOSED) {
        source.close();
        source = null;
        setState('disconnected', 'bad');
        if (ctx.user) retry = setTimeout(open, RETRY_MS);
      } else {
        setState('reconnecting', 'warn');
      }
    });
  };

  return {
    start() {
      if (!source) open();
    },
    stop() {
      clearTimeout(retry);
      source?.close();
      source = null;
      setState('off', 'muted');
      replace(body, empty);
    },
    /** Calls fn(job) on every job change; returns an unsubscribe function. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    show() {},
    hide() {},
  };
}
