// The fleet: every kiosk with its status, mode, link, agent version,
// certificate expiry and readers (GET /api/fleet). Admins may revoke a
// kiosk from here (POST /api/kiosks/:id/revoke), after the confirm dialog.
import { get, post, seg } from './api.js';
import { badge, fmtAgo, fmtDate, fmtTime, h, table } from './dom.js';
import { confirmAction } from './confirm.js';
import { dataView } from './view.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const WARN_DAYS = 14;

/** The certificate's expiry cell: expired and "within 14 days" are said in words, not only in colour. */
function certCell(notAfter, now) {
  if (!notAfter) return h('span', { class: 'muted' }, 'unknown');
  const at = new Date(notAfter).getTime();
  if (Number.isNaN(at)) return String(notAfter);
  const days = Math.floor((at - now) / DAY_MS);
  if (at <= now) return h('span', { class: 'cert cert-expired', attrs: { title: fmtTime(notAfter) } }, badge('expired', 'bad'), ` ${fmtDate(notAfter)}`);
  if (days < WARN_DAYS) return h('span', { class: 'cert cert-soon', attrs: { title: fmtTime(notAfter) } }, badge(days === 0 ? 'expires today' : `in ${days} day${days === 1 ? '' : 's'}`, 'warn'), ` ${fmtDate(notAfter)}`);
  return h('span', { class: 'cert', attrs: { title: fmtTime(notAfter) } }, fmtDate(notAfter));
}

function readersCell(readers) {
  if (!Array.isArray(readers) || readers.length === 0) return h('span', { class: 'muted' }, 'none');
  const tone = { authenticated: 'ok', refused: 'bad', unknown: 'muted' };
  return h(
    'ul',
    { class: 'readers' },
    readers.map((r) =>
      h(
        'li',
        { attrs: { 'data-reader': r.id ?? '' } },
        badge(String(r.state ?? 'unknown'), tone[r.state] ?? 'muted'),
        ' ',
        h('span', { class: 'mono reader-id' }, String(r.id ?? '?')),
        r.kind || r.reason ? h('div', { class: 'reader-note' }, [r.kind ? `${r.kind} reader` : '', r.reason ? ` — ${r.reason}` : ''].join('')) : null,
      ),
    ),
  );
}

export function createFleetView(section, ctx) {
  const revoke = async (kiosk) => {
    const done = await confirmAction(
      {
        title: `Revoke kiosk ${kiosk.id}?`,
        what: `Kiosk ${kiosk.id} will be revoked: the center refuses it from now on, its live job is ended, and it can serve no customer until it is registered again. This cannot be undone from the console.`,
        reason: true,
        okLabel: `Revoke ${kiosk.id}`,
      },
      (reason) => post(`/api/kiosks/${seg(kiosk.id)}/revoke`, { reason }),
    );
    if (done === null) return;
    ctx.notify(`Kiosk ${kiosk.id} revoked.`);
    await view.refresh();
    // The Revoke button that had focus is gone: the keyboard user continues from the view's heading.
    if (!section.contains(document.activeElement)) section.querySelector('h1').focus();
  };

  const render = async () => {
    const { kiosks } = await get('/api/fleet');
    const admin = ctx.can('revoke-kiosk');
    const now = Date.now();
    const headers = ['Kiosk', 'Status', 'Mode', 'Site', 'Online', 'Agent version', 'Certificate expires', 'Last seen', 'Readers'];
    if (admin) headers.push('Actions');
    const rows = kiosks.map((k) => {
      const revoked = k.status === 'revoked';
      const cells = [
        h('th', { attrs: { scope: 'row' }, class: 'mono nowrap' }, String(k.id)),
        h('td', { class: 'status' }, badge(String(k.status ?? '—'), revoked ? 'bad' : 'ok')),
        h('td', {}, String(k.mode ?? '—')),
        h('td', {}, k.site ? String(k.site) : '—'),
        h('td', { class: 'online' }, k.online ? badge('online', 'ok') : badge('offline', 'muted')),
        h('td', { class: 'agent mono' }, String(k.agent ?? '—')),
        h('td', { class: 'cert-cell' }, certCell(k.certNotAfter, now)),
        h('td', { class: 'nowrap', attrs: { title: fmtTime(k.lastSeen) } }, fmtAgo(k.lastSeen, now)),
        h('td', { class: 'reader-cell' }, readersCell(k.readers)),
      ];
      if (admin) {
        cells.push(
          h(
            'td',
            {},
            revoked
              ? h('span', { class: 'muted' }, 'revoked')
              : h('button', { type: 'button', class: 'danger small', attrs: { 'aria-label': `Revoke kiosk ${k.id}` }, on: { click: () => void revoke(k) } }, 'Revoke…'),
          ),
        );
      }
      return h('tr', { attrs: { 'data-kiosk': k.id } }, cells);
    });
    const online = kiosks.filter((k) => k.online).length;
    return [
      h('p', { class: 'summary' }, `${kiosks.length} kiosk${kiosks.length === 1 ? '' : 's'}, ${online} online.`),
      table('Kiosks', headers, rows, { captionClass: 'visually-hidden', empty: 'No kiosks are registered.' }),
    ];
  };

  const view = dataView(section, render, { every: 10_000 });
  return view;
}
