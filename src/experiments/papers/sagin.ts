import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from '../report/charts.js';
import { escapeHtml, page, pct, plotsSection } from '../report/html.js';
import { renderPlots } from '../report/index.js';
import { readRunConfig, readRunEvents } from '../report/read.js';
import { linkIntervals, type LinkParamOverrides } from '../../qnet/sagin/links.js';
import { positionAt, validateNodes } from '../../qnet/sagin/topology.js';
import type { NetworkConfig } from '../network.js';
import type { SweepPoint } from '../report/summary.js';

/**
 * A map of the nodes' ground tracks over the run and the availability of each
 * client's direct links (to the server and to the satellites), from the first
 * point's network config and simulated duration.
 */
function networkCharts(sweepDir: string, points: readonly SweepPoint[]): { name: string; spec: ChartSpec }[] {
  const first = points.find((p) => existsSync(join(sweepDir, p.dir, 'events.jsonl')));
  if (!first) return [];
  const dir = join(sweepDir, first.dir);
  const config = readRunConfig(dir)?.value as { network?: NetworkConfig } | undefined;
  const net = config?.network;
  const last = readRunEvents(dir).rounds.at(-1)?.network;
  if (!net || !last) return [];
  const nodes = validateNodes(net.nodes as never, 'network.nodes');
  const end = Math.max(60, last.endS);
  const track: object[] = [];
  for (let k = 0; k <= 60; k++) {
    const t = (end * k) / 60;
    for (const n of nodes) {
      const g = positionAt(n, t, net.epoch).geodetic;
      track.push({ node: n.id, kind: n.kind, lon: g.lonDeg, lat: g.latDeg, k });
    }
  }
  const params = { params: (net.links ?? {}) as LinkParamOverrides };
  const server = nodes.find((n) => n.id === net.server)!;
  const satellites = nodes.filter((n) => n.kind === 'satellite');
  const bars: object[] = [];
  for (const id of net.clients) {
    const client = nodes.find((n) => n.id === id)!;
    for (const other of [server, ...satellites]) {
      for (const iv of linkIntervals(client, other, [0, end], Math.max(10, end / 400), net.epoch, params)) {
        bars.push({ link: `${id} - ${other.id}`, start: iv.startS / 3600, end: iv.endS / 3600 });
      }
    }
  }
  return [
    {
      name: 'sagin-map',
      spec: {
        title: { text: 'Ground tracks of the nodes over the run', subtitle: 'longitude / latitude; satellites circle the globe, UAVs patrol near the ground station' },
        width: 520,
        height: 260,
        data: { values: track },
        mark: { type: 'line', point: { size: 6 } },
        encoding: {
          x: { field: 'lon', type: 'quantitative', title: 'longitude (deg)', scale: { domain: [-180, 180] } },
          y: { field: 'lat', type: 'quantitative', title: 'latitude (deg)', scale: { domain: [-90, 90] } },
          detail: { field: 'node', type: 'nominal' },
          order: { field: 'k', type: 'quantitative' },
          color: { field: 'kind', type: 'nominal', title: null },
        },
      },
    },
    {
      name: 'sagin-link-availability',
      spec: {
        title: { text: 'Direct link availability', subtitle: 'each client to the server and to each satellite; bars are up intervals' },
        width: 520,
        height: Math.max(120, 14 * new Set(bars.map((b) => (b as { link: string }).link)).size),
        data: { values: bars },
        mark: 'bar',
        encoding: {
          y: { field: 'link', type: 'nominal', title: null },
          x: { field: 'start', type: 'quantitative', title: 'simulated hours', scale: { domain: [0, end / 3600] } },
          x2: { field: 'end' },
        },
      },
    },
  ];
}

/**
 * The space-air-ground report (paper 003): accuracy and loss per round and
 * per simulated hour for each model on the same network, the round-time
 * breakdown (transfer, compute, waiting for links), link availability over
 * time, and the paper's result (QFL 0.85 vs classical FL 0.70) beside ours.
 */
export async function writeSaginReport(sweepDir: string, points: readonly SweepPoint[]): Promise<string> {
  const curve: object[] = [];
  const breakdown: object[] = [];
  const links: object[] = [];
  const finals: { label: string; accuracy: number | undefined; loss: number | undefined; hours: number }[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    const model = (p.overrides as Record<string, unknown>)['model'] as { kind?: string } | undefined;
    const label = model?.kind === 'mlp' ? 'classical FL (MLP)' : 'QFL (4-qubit circuit)';
    for (const r of log.rounds) {
      const net = r.network;
      const hours = net ? net.endS / 3600 : NaN;
      if (r.central) curve.push({ model: label, round: r.round, hours, accuracy: r.central.accuracy, loss: r.central.loss });
      if (net) {
        const clients = net.clients;
        const max = (f: (c: (typeof clients)[number]) => number) => Math.max(0, ...clients.map(f).filter(Number.isFinite));
        breakdown.push({ model: label, round: r.round, part: 'model down', seconds: max((c) => c.downS) });
        breakdown.push({ model: label, round: r.round, part: 'local training', seconds: max((c) => c.computeS) });
        breakdown.push({ model: label, round: r.round, part: 'update up', seconds: max((c) => c.upS) });
        breakdown.push({ model: label, round: r.round, part: 'waiting for links', seconds: net.waitS });
        breakdown.push({ model: label, round: r.round, part: 'waiting for QKD key', seconds: net.keyWaitS ?? 0 });
        links.push({ model: label, hours, up: net.linksUp, missed: net.missed.length });
      }
    }
    const last = log.rounds[log.rounds.length - 1];
    finals.push({ label, accuracy: last?.central?.accuracy, loss: last?.central?.loss, hours: last?.network ? last.network.endS / 3600 : NaN });
  }
  const line = (x: string, xTitle: string, y: string, yTitle: string, title: string, data: object[], fmt?: string): ChartSpec => ({
    title: { text: title },
    width: 420,
    height: 220,
    data: { values: data },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle },
      y: { field: y, type: 'quantitative', title: yTitle, ...(fmt ? { axis: { format: fmt } } : {}) },
      color: { field: 'model', type: 'nominal', title: null },
    },
  });
  const geo = networkCharts(sweepDir, points);
  const plots = await renderPlots(sweepDir, [
    ...geo,
    { name: 'sagin-accuracy-round', spec: line('round', 'round', 'accuracy', 'test accuracy', 'Accuracy per round', curve, '%') },
    { name: 'sagin-accuracy-hours', spec: line('hours', 'simulated hours', 'accuracy', 'test accuracy', 'Accuracy per simulated hour', curve, '%') },
    { name: 'sagin-loss-round', spec: line('round', 'round', 'loss', 'test loss', 'Loss per round', curve) },
    {
      name: 'sagin-round-time',
      spec: {
        title: { text: 'Round time in simulated seconds', subtitle: 'slowest client per part' },
        data: { values: breakdown },
        facet: { row: { field: 'model', type: 'nominal', title: null } },
        spec: {
          width: 420,
          height: 120,
          mark: 'bar',
          encoding: {
            x: { field: 'round', type: 'ordinal', title: 'round' },
            y: { field: 'seconds', type: 'quantitative', title: 'seconds', stack: 'zero' },
            color: { field: 'part', type: 'nominal', title: null },
          },
        },
      },
    },
    { name: 'sagin-links', spec: line('hours', 'simulated hours', 'up', 'links up', 'Links up at each round start', links) },
  ]);
  const rows = finals.map((f) => `<tr><td>${escapeHtml(f.label)}</td><td>${pct(f.accuracy)}</td><td>${f.loss?.toFixed(3) ?? '–'}</td><td>${f.hours.toFixed(2)} h</td></tr>`).join('\n');
  const body = `<header><h1>Federated learning over a space-air-ground network</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>. Paper: arXiv 2411.01312 (paper 003). Model parameters travel over classical links; quantum links carry keys and quantum states, never the model.</p></header>
<table><tr><th>run</th><th>final accuracy</th><th>final loss</th><th>simulated time</th></tr>
${rows}
<tr><td>paper 003 (50 epochs)</td><td>QFL 0.85, classical FL 0.70</td><td>QFL 0.6, classical 0.7</td><td>–</td></tr></table>
${plotsSection(plots)}`;
  const path = join(sweepDir, 'sagin.html');
  writeFileSync(path, page('Space-air-ground report', body));
  return path;
}
