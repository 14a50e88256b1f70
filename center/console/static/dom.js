// DOM helpers for the console: every element is built with the DOM API and
// every piece of data goes in as text (textContent), never as markup — the
// page's CSP forbids inline script and style, and no server string is ever
// parsed as HTML (docs/screens.md, common rules).

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Builds an HTML element. `props`: `class`, `text`, `attrs` (set with
 * setAttribute), `on` (event listeners); other keys are set as properties.
 * Children are nodes or strings (strings become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** Builds an SVG element; `attrs` are set with setAttribute. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

function applyProps(el, props) {
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) el.setAttribute(a, String(av));
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else el[k] = v;
  }
}

/** Replaces all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** A table with a caption, header cells (scope=col) and body rows (arrays of cells: node or string). */
export function table(caption, headers, rows, opts = {}) {
  const t = h('table', { class: opts.class ?? 'data' });
  t.append(h('caption', { class: opts.captionClass ?? '' }, caption));
  t.append(h('thead', {}, h('tr', {}, headers.map((x) => h('th', { attrs: { scope: 'col' } }, x)))));
  const body = h('tbody');
  if (rows.length === 0) body.append(h('tr', {}, h('td', { class: 'empty', attrs: { colspan: headers.length } }, opts.empty ?? 'Nothing to show.')));
  for (const r of rows) body.append(r instanceof HTMLTableRowElement ? r : h('tr', {}, r.map((c) => h('td', {}, c ?? ''))));
  t.append(body);
  return h('div', { class: 'table-wrap' }, t);
}

/** A timestamp (ISO string, epoch ms or Date) as `YYYY-MM-DD HH:MM:SSZ`; '—' when absent or invalid. */
export function fmtTime(v) {
  if (v === null || v === undefined || v === '') return '—';
  const d = v instanceof Date ? v : new Date(v);
  if (Number.isNaN(d.getTime())) return String(v);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** A date alone (`YYYY-MM-DD`, UTC); '—' when absent. */
export function fmtDate(v) {
  if (v === null || v === undefined || v === '') return '—';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().slice(0, 10);
}

/** How long ago, in words (`just now`, `5 min ago`, `3 h ago`, `2 days ago`), against `now` (ms). */
export function fmtAgo(v, now) {
  if (v === null || v === undefined || v === '') return 'never';
  const t = new Date(v).getTime();
  if (Number.isNaN(t)) return String(v);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  const d = Math.floor(s / 86400);
  return `${d} day${d === 1 ? '' : 's'} ago`;
}

/** A short clock time (HH:MM) for chart axes. */
export function fmtClock(v) {
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().slice(11, 16);
}

/** Any value as display text: objects as compact JSON. */
export function asText(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A small badge: text always says the state, the class only adds colour. */
export function badge(text, tone) {
  return h('span', { class: `badge ${tone ? `badge-${tone}` : ''}` }, text);
}
