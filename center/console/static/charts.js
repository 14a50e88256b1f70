// Charts from GET /api/stats?minutes=M: issuances per minute (issued and
// failed, stacked) and the latency from the customer's request to ISSUED (p50,
// p90, p99). Drawn as SVG built with DOM calls (dom.js `s`): no chart
// library, nothing inline. Each chart has a title and a text summary for
// screen readers, and every bar its own <title>.
import { get } from './api.js';
import { fmtClock, h, s } from './dom.js';
import { dataView } from './view.js';

const WINDOWS = [15, 60, 180, 1440];
const W = 720;
const H = 240;
const PAD = { top: 16, right: 16, bottom: 36, left: 44 };
const MINUTE_MS = 60_000;

/** A "nice" axis top (1, 2 or 5 × 10^k) at or above v, and its tick step. */
function niceMax(v) {
  if (v <= 4) return { max: Math.max(1, Math.ceil(v)), step: 1 };
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return { max: m * p, step: (m * p) / (m === 1 || m === 10 ? 5 : m === 2 ? 4 : 5) };
  return { max: v, step: v / 4 };
}

/** Minutes in order, with the gaps between the first and the last filled with zeros. */
function series(perMinute) {
  const rows = perMinute
    .map((r) => ({ t: new Date(r.minute).getTime(), issued: Number(r.issued) || 0, failed: Number(r.failed) || 0, label: r.minute }))
    .filter((r) => !Number.isNaN(r.t))
    .sort((a, b) => a.t - b.t);
  if (rows.length === 0) return [];
  const byT = new Map(rows.map((r) => [r.t, r]));
  const out = [];
  for (let t = rows[0].t; t <= rows.at(-1).t && out.length < 1440; t += MINUTE_MS) out.push(byT.get(t) ?? { t, issued: 0, failed: 0 });
  return out;
}

function perMinuteChart(perMinute) {
  const data = series(perMinute);
  const issued = data.reduce((n, d) => n + d.issued, 0);
  const failed = data.reduce((n, d) => n + d.failed, 0);
  const summary = `${issued} issued and ${failed} failed in ${data.length} minute${data.length === 1 ? '' : 's'}${data.length ? `, the busiest minute with ${Math.max(...data.map((d) => d.issued + d.failed))}` : ''}.`;
  const { max, step } = niceMax(Math.max(0, ...data.map((d) => d.issued + d.failed)));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + ih - (v / max) * ih;
  const slot = data.length ? iw / data.length : iw;
  const bw = Math.max(1, Math.min(40, slot * 0.7));

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': 'chart-pm-title chart-pm-desc', 'data-issued': issued, 'data-failed': failed });
  svg.append(s('title', { id: 'chart-pm-title' }, 'Issuances per minute'), s('desc', { id: 'chart-pm-desc' }, summary));
  for (let v = 0; v <= max + 1e-9; v += step) {
    svg.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: 'grid' }), s('text', { x: PAD.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(v * 100) / 100)));
  }
  const labelEvery = Math.max(1, Math.ceil(data.length / 8));
  data.forEach((d, i) => {
    const x = PAD.left + i * slot + (slot - bw) / 2;
    const g = s('g', { class: 'bar' }, s('title', {}, `${fmtClock(d.t)}: ${d.issued} issued, ${d.failed} failed`));
    if (d.issued > 0) g.append(s('rect', { x, y: y(d.issued), width: bw, height: y(0) - y(d.issued), class: 'bar-issued', 'data-n': d.issued }));
    if (d.failed > 0) g.append(s('rect', { x, y: y(d.issued + d.failed), width: bw, height: y(d.issued) - y(d.issued + d.failed), class: 'bar-failed', 'data-n': d.failed }));
    svg.append(g);
    if (i % labelEvery === 0) svg.append(s('text', { x: x + bw / 2, y: H - PAD.bottom + 18, class: 'axis', 'text-anchor': 'middle' }, fmtClock(d.t)));
  });
  svg.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: 'baseline' }));
  if (data.length === 0) svg.append(s('text', { x: W / 2, y: H / 2, class: 'axis', 'text-anchor': 'middle' }, 'No issuances in this window'));

  return h(
    'figure',
    { class: 'chart-box', attrs: { id: 'chart-per-minute' } },
    h('figcaption', {}, h('h2', {}, 'Issuances per minute'), h('p', { class: 'chart-summary' }, summary)),
    h('ul', { class: 'legend', attrs: { 'aria-hidden': 'true' } }, h('li', {}, h('span', { class: 'swatch swatch-issued' }), 'issued'), h('li', {}, h('span', { class: 'swatch swatch-failed' }), 'failed')),
    svg,
  );
}

function latencyChart(latency) {
  const count = Number(latency?.count) || 0;
  const marks = ['p50', 'p90', 'p99'].map((k) => ({ k, v: Number(latency?.[k]) }));
  const known = count > 0 && marks.every((m) => Number.isFinite(m.v));
  const ms = (v) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
  const summary = known ? `${count} issuance${count === 1 ? '' : 's'}: ${marks.map((m) => `${m.k} ${ms(m.v)}`).join(', ')}.` : 'No issuances in this window, so no latency.';
  const LH = 150;
  const left = 56;
  const right = 96;
  const top = Math.max(1, ...marks.map((m) => (Number.isFinite(m.v) ? m.v : 0)));
  const svg = s('svg', { viewBox: `0 0 ${W} ${LH}`, class: 'chart', role: 'img', 'aria-labelledby': 'chart-lat-title chart-lat-desc', 'data-count': count });
  svg.append(s('title', { id: 'chart-lat-title' }, 'Latency, request to issued'), s('desc', { id: 'chart-lat-desc' }, summary));
  marks.forEach((m, i) => {
    const yy = 16 + i * 42;
    svg.append(s('text', { x: left - 10, y: yy + 20, class: 'axis', 'text-anchor': 'end' }, m.k));
    if (!known) return;
    const w = Math.max(2, (m.v / top) * (W - left - right));
    svg.append(s('rect', { x: left, y: yy, width: w, height: 28, class: `lat lat-${m.k}`, 'data-ms': m.v }, s('title', {}, `${m.k}: ${ms(m.v)}`)));
    svg.append(s('text', { x: left + w + 8, y: yy + 20, class: 'value' }, ms(m.v)));
  });
  if (!known) svg.append(s('text', { x: W / 2, y: LH / 2, class: 'axis', 'text-anchor': 'middle' }, 'No issuances in this window'));
  return h('figure', { class: 'chart-box', attrs: { id: 'chart-latency' } }, h('figcaption', {}, h('h2', {}, 'Latency (request → issued)'), h('p', { class: 'chart-summary' }, summary)), svg);
}

export function createChartsView(section) {
  let minutes = 60;
  const picker = h(
    'select',
    { id: 'charts-window', on: { change: () => ((minutes = Number(picker.value)), void view.refresh()) } },
    WINDOWS.map((m) => h('option', { value: String(m), selected: m === minutes }, m < 120 ? `last ${m} minutes` : `last ${m / 60} hours`)),
  );
  const controls = h('div', { class: 'controls' }, h('label', { attrs: { for: 'charts-window' } }, 'Window'), picker);
  section.querySelector('.content').before(controls);

  const render = async () => {
    const stats = await get(`/api/stats?minutes=${minutes}`);
    return [perMinuteChart(Array.isArray(stats.perMinute) ? stats.perMinute : []), latencyChart(stats.latency)];
  };
  const view = dataView(section, render, { every: 30_000 });
  return view;
}
