// Jobs by state: the count in every state, and the newest jobs of the chosen
// state (GET /api/jobs?state=S&limit=N). Operators and admins may void a job
// that is not final (POST /api/jobs/:id/void), after the confirm dialog. The
// view reloads (debounced) when the live feed reports a job change.
import { get, post } from './api.js';
import { fmtTime, h, table } from './dom.js';
import { confirmAction } from './confirm.js';
import { JOB_STATES, VOIDABLE, stateBadge } from './states.js';
import { dataView } from './view.js';

const LIMIT = 100;
const FEED_DEBOUNCE_MS = 500;

export function createJobsView(section, ctx, feed) {
  let filter = '';

  const voidJob = async (job) => {
    const done = await confirmAction(
      {
        title: `Void job ${job.id}?`,
        what: `Job ${job.id} (application ${job.application}, now ${job.state}${job.kiosk ? ` at kiosk ${job.kiosk}` : ''}) will be voided: no card will be issued for it, and a kiosk working on it is told to stop.`,
        reason: true,
        okLabel: 'Void the job',
      },
      (reason) => post(`/api/jobs/${encodeURIComponent(job.id)}/void`, { reason }),
    );
    if (done === null) return;
    ctx.notify(`Job ${job.id} voided.`);
    await view.refresh();
    // The Void button that had focus is gone: the keyboard user continues from the view's heading.
    if (!section.contains(document.activeElement)) section.querySelector('h1').focus();
  };

  const countsBar = (counts) => {
    const total = JOB_STATES.reduce((n, st) => n + (Number(counts[st]) || 0), 0);
    const item = (state, label, n) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            class: 'count',
            attrs: { 'aria-pressed': String(filter === state), 'data-state': state || 'ALL', 'data-focus-key': `count-${state || 'ALL'}` },
            on: {
              click: () => {
                filter = state;
                void view.refresh();
              },
            },
          },
          h('span', { class: 'count-label' }, label),
          h('span', { class: 'count-n' }, String(n)),
        ),
      );
    return h(
      'div',
      { class: 'counts-wrap' },
      h('h2', { class: 'visually-hidden' }, 'Jobs per state (choose one to filter the table)'),
      h('ul', { class: 'counts', attrs: { 'aria-label': 'Jobs per state' } }, item('', 'All', total), JOB_STATES.map((st) => item(st, st, Number(counts[st]) || 0))),
    );
  };

  const render = async () => {
    const q = new URLSearchParams({ limit: String(LIMIT) });
    if (filter) q.set('state', filter);
    const { counts, jobs } = await get(`/api/jobs?${q}`);
    const mayVoid = ctx.can('void-job');
    const headers = ['Job', 'Application', 'State', 'Kiosk', 'Attempt', 'Reason', 'Updated'];
    if (mayVoid) headers.push('Actions');
    const rows = jobs.map((j) => {
      const cells = [
        h('td', { class: 'mono' }, String(j.id)),
        h('td', { class: 'mono' }, String(j.application ?? '—')),
        h('td', {}, stateBadge(j.state)),
        h('td', {}, String(j.kiosk ?? '—')),
        h('td', { class: 'num' }, String(j.attempt ?? '—')),
        h('td', {}, String(j.reason ?? '')),
        h('td', {}, fmtTime(j.updatedAt)),
      ];
      if (mayVoid) {
        cells.push(
          h(
            'td',
            {},
            VOIDABLE.includes(j.state)
              ? h('button', { type: 'button', class: 'danger small', attrs: { 'aria-label': `Void job ${j.id}` }, on: { click: () => void voidJob(j) } }, 'Void…')
              : null,
          ),
        );
      }
      return h('tr', { attrs: { 'data-job': j.id, 'data-state': j.state } }, cells);
    });
    const caption = filter ? `Newest jobs in state ${filter} (up to ${LIMIT})` : `Newest jobs in any state (up to ${LIMIT})`;
    return [countsBar(counts ?? {}), h('h2', { class: 'table-title' }, caption), table(caption, headers, rows, { captionClass: 'visually-hidden', empty: 'No jobs in this state.' })];
  };

  const view = dataView(section, render, { every: 15_000 });
  let pending = null;
  feed.subscribe(() => {
    if (!view.shown || pending) return;
    pending = setTimeout(() => {
      pending = null;
      void view.refresh();
    }, FEED_DEBOUNCE_MS);
  });
  return view;
}
