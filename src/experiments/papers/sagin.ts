import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from '../report/charts.js';
import { claimsTableHtml, judge, writeClaimsFile, type Claim } from '../report/claims.js';
import { escapeHtml, page, pct, plotsSection } from '../report/html.js';
import { describeValue, groupBySeed, pointSeed, withoutSeed } from '../report/seeds.js';
import { pairedDifferences } from '../report/stats.js';
import { ciBarChart, ciCurveChart, ciRows } from './ci-charts.js';
import { renderPlots } from '../report/index.js';
import { readRunConfig, readRunEvents } from '../report/read.js';
import { linkIntervals, type LinkParamOverrides } from '../../qnet/sagin/links.js';
import { positionAt, validateNodes, type SaginNode } from '../../qnet/sagin/topology.js';
import type { NetworkConfig } from '../network.js';
import type { SweepPoint } from '../report/summary.js';

/**
 * Ground tracks sampled at 240 instants over [0, end] s, one line segment per
 * node and pass: where a track wraps from +180 to -180 degrees (a jump of more
 * than 180 degrees between samples) a new segment starts, so no line crosses the map.
 */
export function groundTracks(nodes: readonly SaginNode[], end: number, epoch: Parameters<typeof positionAt>[2]): { node: string; kind: string; segment: string; lon: number; lat: number; k: number }[] {
  const out: { node: string; kind: string; segment: string; lon: number; lat: number; k: number }[] = [];
  const steps = 240;
  for (const n of nodes) {
    let seg = 0;
    let prev: number | undefined;
    for (let k = 0; k <= steps; k++) {
      const g = positionAt(n, (end * k) / steps, epoch).geodetic;
      if (prev !== undefined && Math.abs(g.lonDeg - prev) > 180) seg++;
      prev = g.lonDeg;
      out.push({ node: n.id, kind: n.kind, segment: `${n.id}#${seg}`, lon: g.lonDeg, lat: g.latDeg, k });
    }
  }
  return out;
}

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
  const track = groundTracks(nodes, end, net.epoch);
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
          detail: { field: 'segment', type: 'nominal' },
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


/** One finished run of the space-air-ground sweep. */
interface SaginRun {
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly classical: boolean;
  readonly model: string;
  readonly accuracy: number | undefined;
  readonly curve: readonly { round: number; hours: number; accuracy: number }[];
  readonly rounds: NonNullable<ReturnType<typeof readRunEvents>['rounds']>;
}

const CLASSICAL = new Set(['mlp', 'lenet5']);

function readRuns(sweepDir: string, points: readonly SweepPoint[], baseSeed: number): SaginRun[] {
  const runs: SaginRun[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    const cfg = readRunConfig(dir)?.value as { model?: { kind?: string } } | undefined;
    const model = (p.overrides['model'] as { kind?: string } | undefined) ?? cfg?.model ?? {};
    const last = log.rounds.at(-1);
    runs.push({
      overrides: p.overrides,
      seed: pointSeed(p, baseSeed),
      classical: CLASSICAL.has(String(model.kind)),
      model: describeValue(model),
      accuracy: log.end?.final?.accuracy ?? last?.central?.accuracy,
      curve: log.rounds.filter((r) => r.central).map((r) => ({ round: r.round, hours: r.network ? r.network.endS / 3600 : NaN, accuracy: r.central!.accuracy })),
      rounds: log.rounds,
    });
  }
  return runs;
}

/** A setting's name: quantum or classical, its model, and whatever else it varies. */
function settingName(r: Pick<SaginRun, 'classical' | 'model' | 'overrides'>): string {
  const rest = Object.entries(withoutSeed(r.overrides)).filter(([k]) => k !== 'model' && k !== 'local.lr');
  const extra = rest.map(([k, v]) => `${k.split('.').pop()}=${describeValue(v)}`).join(', ');
  return `${r.classical ? 'classical FL' : 'QFL'}: ${r.model}${extra ? `; ${extra}` : ''}`;
}

/** What a setting shares with its comparison partner: everything but the model (and its learning rate). */
const contextKey = (o: Readonly<Record<string, unknown>>): string =>
  JSON.stringify(Object.entries(withoutSeed(o)).filter(([k]) => k !== 'model' && k !== 'local.lr'));

const PAPER_QFL = 0.85;
const PAPER_CLASSICAL = 0.7;
const TOLERANCE = 0.05;

/** Paper 003's claims: QFL near 0.85, classical FL near 0.70, and QFL ahead of classical FL (paired by seed). */
export function saginClaims(runs: readonly SaginRun[]): Claim[] {
  const groups = groupBySeed(runs, (r) => r.overrides, (r) => r, (r) => r.seed);
  const claims: Claim[] = [];
  for (const g of groups) {
    const first = [...g.bySeed.values()][0]!;
    const values = [...g.bySeed.values()].map((r) => r.accuracy ?? NaN);
    claims.push({
      claim: first.classical ? 'Classical FL on the same network reaches about 0.70 test accuracy.' : 'QFL over the space-air-ground network reaches about 0.85 test accuracy.',
      paper: first.classical ? '0.70' : '0.85',
      measure: `final test accuracy, ${settingName(first)}`,
      values,
      test: { kind: 'near', value: first.classical ? PAPER_CLASSICAL : PAPER_QFL, tolerance: TOLERANCE },
      unit: 'pct',
    });
  }
  for (const q of groups) {
    const qr = [...q.bySeed.values()][0]!;
    if (qr.classical) continue;
    for (const c of groups) {
      const cr = [...c.bySeed.values()][0]!;
      if (!cr.classical || contextKey(q.overrides) !== contextKey(c.overrides)) continue;
      const acc = (m: ReadonlyMap<number, SaginRun>) => new Map([...m].map(([s, r]) => [s, r.accuracy ?? NaN]));
      claims.push({
        claim: 'QFL outperforms classical FL (paper: 0.85 vs 0.70, +15 points).',
        paper: '+15 pp',
        measure: `QFL minus classical, paired by seed: ${qr.model} vs ${cr.model}`,
        values: pairedDifferences(acc(q.bySeed), acc(c.bySeed)),
        test: { kind: 'above', threshold: 0 },
        unit: 'pp',
      });
    }
  }
  return claims;
}

/**
 * The space-air-ground report (paper 003): the paper's claims checked on
 * 95 % t-intervals over seeds, accuracy per round and per simulated hour
 * (mean and band per model), final accuracy bars with the paper's numbers,
 * the round-time breakdown (transfer, compute, waiting for links and key) of
 * the first seed, the ground tracks and link availability.
 */
export async function writeSaginReport(sweepDir: string, points: readonly SweepPoint[], baseSeed = 0): Promise<string> {
  const runs = readRuns(sweepDir, points, baseSeed);
  const results = saginClaims(runs).map(judge);
  const curve = runs.flatMap((r) => r.curve.map((c) => ({ setting: settingName(r), seed: r.seed, ...c })));
  const finals = ciRows(groupBySeed(runs, (r) => r.overrides, (r) => r, (r) => r.seed).map((g) => ({ setting: settingName([...g.bySeed.values()][0]!), values: [...g.bySeed.values()].map((r) => r.accuracy ?? NaN) })));
  const paper = [
    { value: PAPER_QFL, label: 'paper: QFL 0.85' },
    { value: PAPER_CLASSICAL, label: 'paper: classical 0.70' },
  ];
  const firstSeed = Math.min(...runs.map((r) => r.seed));
  const breakdown: object[] = [];
  for (const r of runs.filter((x) => x.seed === firstSeed)) {
    for (const e of r.rounds) {
      const net = e.network;
      if (!net) continue;
      const clients = net.clients;
      const max = (f: (c: (typeof clients)[number]) => number) => Math.max(0, ...clients.map(f).filter(Number.isFinite));
      const model = settingName(r);
      breakdown.push({ model, round: e.round, part: 'model down', seconds: max((c) => c.downS) });
      breakdown.push({ model, round: e.round, part: 'local training', seconds: max((c) => c.computeS) });
      breakdown.push({ model, round: e.round, part: 'update up', seconds: max((c) => c.upS) });
      breakdown.push({ model, round: e.round, part: 'waiting for links', seconds: net.waitS });
      breakdown.push({ model, round: e.round, part: 'waiting for QKD key', seconds: net.keyWaitS ?? 0 });
    }
  }
  const geo = networkCharts(sweepDir, points);
  const plots = await renderPlots(sweepDir, [
    { name: 'sagin-final-accuracy', spec: ciBarChart({ title: 'Final test accuracy per model', rows: finals, xTitle: 'test accuracy', percent: true, paper }) },
    { name: 'sagin-accuracy-round', spec: ciCurveChart({ title: 'Test accuracy per round', points: curve.map((c) => ({ setting: c.setting, x: c.round, y: c.accuracy })), xTitle: 'round', yTitle: 'test accuracy', percent: true, paper }) },
    {
      name: 'sagin-accuracy-hours',
      spec: ciCurveChart({ title: 'Test accuracy per simulated hour', subtitle: 'first seed only (simulated time differs per seed); dashed: the paper', points: curve.filter((c) => Number.isFinite(c.hours) && c.seed === firstSeed).map((c) => ({ setting: c.setting, x: c.hours, y: c.accuracy })), xTitle: 'simulated hours', yTitle: 'test accuracy', percent: true, paper }),
      hasData: curve.some((c) => Number.isFinite(c.hours)),
    },
    ...geo,
    {
      name: 'sagin-round-time',
      hasData: breakdown.length > 0,
      spec: {
        title: { text: 'Round time in simulated seconds', subtitle: `slowest client per part, seed ${firstSeed}` },
        data: { values: breakdown },
        facet: { row: { field: 'model', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelLimit: 400 } } },
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
      } as ChartSpec,
    },
  ]);
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const table = finals.map((f) => `<tr><td>${escapeHtml(f.setting)}</td><td>${pct(f.mean)}</td><td>[${pct(f.lo)}, ${pct(f.hi)}]</td><td>${f.n}</td></tr>`).join('\n');
  const body = `<header><h1>Federated learning over a space-air-ground network</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>; ${runs.length} runs, seeds ${seeds.join(', ')}. Paper: arXiv 2411.01312 (paper 003): 4-qubit RX/RY/RZ/CRX circuit, Adam lr 0.001, MNIST, 50 epochs; QFL 0.85 vs classical FL 0.70. Model parameters travel over classical links; quantum links carry keys, never the model.</p></header>
<h2>The paper's claims against ours</h2>
${claimsTableHtml(results)}
<h2>Final accuracy per model</h2>
<table><tr><th>model</th><th>mean</th><th>95 % t-interval</th><th>seeds</th></tr>
${table}</table>
${plotsSection(plots)}`;
  const path = join(sweepDir, 'sagin.html');
  writeFileSync(path, page('Space-air-ground report', body));
  writeClaimsFile(sweepDir, { paper: '003', title: 'Space-air-ground QFL vs classical FL', report: 'sagin.html' }, results);
  return path;
}
