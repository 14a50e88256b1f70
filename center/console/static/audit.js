// The audit-log browser (GET /api/audit?before=I&limit=N): the verification
// of the whole log as a banner (ok, or the problems found), then entries
// newest first, a page at a time ("Older" pages by the lowest index shown).
import { get } from './api.js';
import { asText, fmtTime, h, table } from './dom.js';
import { dataView } from './view.js';

const LIMIT = 25;

function banner(v) {
  if (!v) return h('div', { class: 'banner banner-warn', attrs: { role: 'status', 'data-verification': 'unknown' } }, 'Verification: not reported.');
  if (v.ok) {
    return h(
      'div',
      { class: 'banner banner-ok', attrs: { role: 'status', 'data-verification': 'ok' } },
      h('strong', {}, 'Verified: '),
      `the audit log's first ${v.treeSize} entries check out (signed head and hash chain consistent, no problems; entries added since are checked at the next verification, at most 10 s later).`,
    );
  }
  const problems = Array.isArray(v.problems) ? v.problems : [];
  return h(
    'div',
    { class: 'banner banner-bad', attrs: { role: 'alert', 'data-verification': 'problems' } },
    h('strong', {}, `Verification found ${problems.length} problem${problems.length === 1 ? '' : 's'}`),
    ` in the audit log (its first ${v.treeSize} entries). Treat the log as tampered with until this is explained:`,
    h('ul', {}, problems.map((p) => h('li', {}, asText(p)))),
  );
}

export function createAuditView(section) {
  // `before` of each page shown so far: the last is the current page (undefined = the newest).
  const pages = [undefined];

  const go = (before) => {
    if (before === 'newer') pages.pop();
    else if (before === 'newest') pages.splice(1);
    else pages.push(before);
    void view.refresh();
  };

  const render = async () => {
    const before = pages.at(-1);
    const q = new URLSearchParams({ limit: String(LIMIT) });
    if (before !== undefined) q.set('before', String(before));
    const { verification, entries } = await get(`/api/audit?${q}`);
    const rows = entries.map((e) =>
      h(
        'tr',
        { attrs: { 'data-index': e.index } },
        h('td', { class: 'num mono' }, String(e.index)),
        h('td', {}, fmtTime(e.at)),
        h('td', { class: 'mono' }, String(e.kind ?? '—')),
        h('td', {}, String(e.kiosk ?? '—')),
        h('td', { class: 'detail mono' }, e.detail === undefined || e.detail === null ? '' : asText(e.detail)),
      ),
    );
    const lowest = entries.length > 0 ? Math.min(...entries.map((e) => Number(e.index))) : 0;
    const range = entries.length > 0 ? `Entries ${lowest}–${Math.max(...entries.map((e) => Number(e.index)))}` : 'No entries';
    const pager = h(
      'nav',
      { class: 'pager', attrs: { 'aria-label': 'Audit log pages' } },
      h('button', { type: 'button', class: 'secondary', disabled: pages.length === 1, attrs: { 'data-focus-key': 'newest' }, on: { click: () => go('newest') } }, 'Newest'),
      h('button', { type: 'button', class: 'secondary', disabled: pages.length === 1, attrs: { 'data-focus-key': 'newer' }, on: { click: () => go('newer') } }, '← Newer'),
      h('span', { class: 'pager-range' }, range),
      h('button', { type: 'button', class: 'secondary', disabled: entries.length < LIMIT || lowest <= 0, attrs: { 'data-focus-key': 'older' }, on: { click: () => go(lowest) } }, 'Older →'),
    );
    return [banner(verification), pager, table(`Audit entries, newest first (${range.toLowerCase()})`, ['Index', 'Time', 'Kind', 'Kiosk', 'Detail'], rows, { captionClass: 'visually-hidden', empty: 'No entries.' })];
  };

  const view = dataView(section, render);
  return view;
}
