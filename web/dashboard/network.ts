import type { NetworkNode, NetworkView } from '../../src/ui/protocol.js';
import type { ClientCell } from '../../src/ui/run-model.js';
import { TIME_PARTS, type RoundTime } from '../../src/ui/series.js';
import { PALETTE } from './charts.js';
import { fill, h, s } from './dom.js';
import { seconds } from './format.js';

/**
 * Space-air-ground views, drawn as SVG: the nodes on an equirectangular map
 * (the whole globe with the satellites' ground tracks, and a close-up of the
 * ground stations and UAVs), each client's direct-link availability over the
 * simulated time, and each round's simulated time by part.
 */

const KIND_COLOR = { ground: '#0f172a', uav: '#2563eb', satellite: '#9333ea' } as const;
const STATUS_COLOR: Record<string, string> = { training: '#3b82f6', done: '#22c55e', failed: '#ef4444', dropped: '#94a3b8', flagged: '#f59e0b', idle: '#cbd5e1' };

interface Box {
  readonly lon0: number;
  readonly lon1: number;
  readonly lat0: number;
  readonly lat1: number;
}

/** Splits a track where it crosses the antimeridian, so no line runs across the whole map. */
function segments(track: readonly (readonly [number, number])[]): (readonly [number, number])[][] {
  const out: (readonly [number, number])[][] = [];
  let cur: (readonly [number, number])[] = [];
  for (const p of track) {
    const prev = cur[cur.length - 1];
    if (prev && Math.abs(p[0] - prev[0]) > 180) {
      out.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) out.push(cur);
  return out;
}

function marker(n: NetworkNode, x: number, y: number, r: number, cells: readonly ClientCell[]): SVGElement {
  const status = n.client !== undefined ? cells.find((c) => c.id === n.client)?.status : undefined;
  const color = status ? STATUS_COLOR[status]! : KIND_COLOR[n.kind];
  const title = s('title', {}, `${n.id} (${n.kind}${n.role !== 'relay' ? `, ${n.role}${n.client !== undefined ? ` ${n.client}` : ''}` : ''})${status ? `: ${status}` : ''}`);
  if (n.role === 'server') return s('rect', { x: x - r, y: y - r, width: 2 * r, height: 2 * r, fill: '#0f172a', class: 'node' }, title);
  if (n.kind === 'satellite') return s('path', { d: `M${x} ${y - r * 1.3}L${x + r * 1.3} ${y}L${x} ${y + r * 1.3}L${x - r * 1.3} ${y}Z`, fill: color, class: 'node' }, title);
  return s('circle', { cx: x, cy: y, r, fill: color, stroke: '#fff', 'stroke-width': 1.2, class: 'node' }, title);
}

function mapSvg(view: NetworkView, box: Box, width: number, height: number, cells: readonly ClientCell[], opts: { tracks: 'all' | 'mobile'; graticule: number; labels: boolean }): SVGElement {
  const x = (lon: number) => ((lon - box.lon0) / (box.lon1 - box.lon0)) * width;
  const y = (lat: number) => ((box.lat1 - lat) / (box.lat1 - box.lat0)) * height;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'map', role: 'img' });
  svg.append(s('rect', { x: 0, y: 0, width, height, fill: '#f0f6ff' }));
  const g = opts.graticule;
  for (let lon = Math.ceil(box.lon0 / g) * g; lon <= box.lon1; lon += g) svg.append(s('line', { x1: x(lon), x2: x(lon), y1: 0, y2: height, class: 'grat' }));
  for (let lat = Math.ceil(box.lat0 / g) * g; lat <= box.lat1; lat += g) svg.append(s('line', { y1: y(lat), y2: y(lat), x1: 0, x2: width, class: 'grat' }));
  if (opts.tracks === 'all') svg.append(s('line', { y1: y(0), y2: y(0), x1: 0, x2: width, class: 'equator' }));
  for (const n of view.nodes) {
    if (n.track.length < 2 || (opts.tracks === 'mobile' && n.kind === 'satellite')) continue;
    for (const seg of segments(n.track)) {
      svg.append(s('polyline', { points: seg.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' '), class: `track k-${n.kind}` }));
    }
  }
  const at = new Map(view.nodes.map((n) => [n.id, n.now]));
  for (const [a, b] of view.linksUp) {
    const p = at.get(a);
    const q = at.get(b);
    if (!p || !q || Math.abs(p[0] - q[0]) > 180) continue;
    svg.append(s('line', { x1: x(p[0]), y1: y(p[1]), x2: x(q[0]), y2: y(q[1]), class: 'link' }));
  }
  const r = Math.max(3.5, Math.min(6, width / 110));
  for (const n of view.nodes) {
    const [lon, lat] = n.now;
    if (lon < box.lon0 || lon > box.lon1 || lat < box.lat0 || lat > box.lat1) continue;
    svg.append(marker(n, x(lon), y(lat), r, cells));
    if (opts.labels) svg.append(s('text', { x: x(lon) + r + 3, y: y(lat) + 4, class: 'label' }, n.id));
  }
  return svg;
}

/** The close-up box: the ground stations' and UAVs' tracks with a margin, or undefined when there are none. */
function closeUp(view: NetworkView): Box | undefined {
  const pts = view.nodes.filter((n) => n.kind !== 'satellite').flatMap((n) => n.track);
  if (pts.length === 0) return undefined;
  let lon0 = Math.min(...pts.map((p) => p[0]));
  let lon1 = Math.max(...pts.map((p) => p[0]));
  let lat0 = Math.min(...pts.map((p) => p[1]));
  let lat1 = Math.max(...pts.map((p) => p[1]));
  const mid = (lat0 + lat1) / 2;
  const k = Math.cos((mid * Math.PI) / 180) || 1;
  // Keep the map's aspect 2:1 in kilometres: widen the narrower side.
  const w = Math.max(lon1 - lon0, 0.2) * 1.3;
  const hgt = Math.max(lat1 - lat0, 0.1) * 1.3;
  const half = Math.max(w * k, 2 * hgt) / 2;
  const cLon = (lon0 + lon1) / 2;
  lon0 = cLon - half / k;
  lon1 = cLon + half / k;
  lat0 = mid - half / 2;
  lat1 = mid + half / 2;
  return { lon0, lon1, lat0, lat1 };
}

export function renderMap(el: HTMLElement, view: NetworkView, cells: readonly ClientCell[]): void {
  const world = mapSvg(view, { lon0: -180, lon1: 180, lat0: -90, lat1: 90 }, 720, 360, cells, { tracks: 'all', graticule: 30, labels: false });
  const box = closeUp(view);
  const local = box ? mapSvg(view, box, 720, 360, cells, { tracks: 'mobile', graticule: niceStep((box.lat1 - box.lat0) / 4), labels: true }) : undefined;
  fill(
    el,
    h('div', { class: 'maps' }, h('figure', {}, h('figcaption', {}, 'Whole globe: satellite ground tracks'), world), local ? h('figure', {}, h('figcaption', {}, 'Ground stations and UAVs (lines: links up)'), local) : null),
    h('p', { class: 'note' }, `Positions and up links at simulated ${seconds(view.nowS)} (start of the last round), computed from the config's nodes; tracks over ${seconds(Math.max(600, view.endS))}. Clients are coloured by their status.`),
  );
}

const niceStep = (x: number): number => {
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= x) ?? 10 * p;
};

export function renderAvailability(el: HTMLElement, view: NetworkView): void {
  const rows = view.availability;
  const window = Math.max(600, view.endS);
  const hours = window >= 7200;
  const unit = hours ? 3600 : 60;
  const labelW = 150;
  const width = Math.max(480, el.clientWidth || 720);
  const rowH = 14;
  const height = rows.length * rowH + 26;
  const x = (t: number) => labelW + (t / window) * (width - labelW - 10);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'gantt', role: 'img' });
  rows.forEach((r, i) => {
    const y = i * rowH;
    svg.append(s('text', { x: labelW - 6, y: y + rowH - 3, class: 'label', 'text-anchor': 'end' }, `${r.from} – ${r.to}`));
    svg.append(s('rect', { x: labelW, y: y + 2, width: width - labelW - 10, height: rowH - 4, fill: '#f1f5f9' }));
    for (const [a, b] of r.intervals) svg.append(s('rect', { x: x(a), y: y + 2, width: Math.max(1, x(b) - x(a)), height: rowH - 4, fill: '#22c55e' }, s('title', {}, `${r.from} – ${r.to}: up ${seconds(a)} to ${seconds(b)}`)));
  });
  const axisY = rows.length * rowH + 4;
  const step = niceStep(window / unit / 6);
  for (let t = 0; t <= window / unit + 1e-9; t += step) {
    svg.append(s('line', { x1: x(t * unit), x2: x(t * unit), y1: 0, y2: axisY, class: 'grat' }));
    svg.append(s('text', { x: x(t * unit), y: axisY + 14, class: 'label', 'text-anchor': 'middle' }, `${+t.toPrecision(3)}${hours ? ' h' : ' min'}`));
  }
  svg.append(s('line', { x1: x(view.nowS), x2: x(view.nowS), y1: 0, y2: axisY, class: 'now' }));
  fill(el, svg);
}

export function renderTimes(el: HTMLElement, times: readonly RoundTime[]): void {
  const shown = times.slice(-80);
  const width = Math.max(320, el.clientWidth || 720);
  const height = 200;
  const left = 70;
  const bottom = 22;
  const max = Math.max(1e-9, ...shown.map((t) => TIME_PARTS.reduce((sum, p) => sum + t.parts[p], 0)));
  const bw = (width - left - 8) / Math.max(1, shown.length);
  const top = 8;
  const y = (v: number) => top + (height - bottom - top) * (1 - v / max);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'bars', role: 'img' });
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    svg.append(s('line', { x1: left, x2: width, y1: y(v), y2: y(v), class: 'grat' }));
    svg.append(s('text', { x: left - 4, y: y(v) + 4, class: 'label', 'text-anchor': 'end' }, seconds(v)));
  }
  shown.forEach((t, i) => {
    let acc = 0;
    TIME_PARTS.forEach((p, k) => {
      const v = t.parts[p];
      if (!(v > 0)) return;
      svg.append(s('rect', { x: left + i * bw + bw * 0.1, width: bw * 0.8, y: y(acc + v), height: Math.max(0.5, y(acc) - y(acc + v)), fill: PALETTE[k]! }, s('title', {}, `round ${t.round}: ${p} ${seconds(v)}`)));
      acc += v;
    });
    if (shown.length <= 30 || i % Math.ceil(shown.length / 20) === 0) svg.append(s('text', { x: left + (i + 0.5) * bw, y: height - 6, class: 'label', 'text-anchor': 'middle' }, t.round));
  });
  fill(el, svg, h('div', { class: 'legend-row' }, ...TIME_PARTS.map((p, k) => h('span', { class: 'key' }, h('i', { class: 'swatch', style: `background:${PALETTE[k]}` }), p))));
}
