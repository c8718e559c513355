import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { RoundEvent } from '../events.js';

/**
 * The plots of a run or a sweep as Vega-Lite specs (pure functions of the
 * round events), and `renderChart`, which turns a spec into an SVG string and
 * a PNG, with no browser and no network.
 *
 * Every chart takes a list of series: one for a run report, one per sweep
 * point for a sweep report. With one series, colour tells the kinds of
 * measurement apart (train, client eval, central test); with several, colour
 * tells the series apart and the dash tells the kind of measurement.
 *
 * @example
 * const spec = accuracyChart([{ label: 'run', rounds: log.rounds }]);
 * const { svg, png } = await renderChart(spec);
 */

export type ChartSpec = TopLevelSpec;

/** The rounds of one run, under the label its curves get in a legend. */
export interface Series {
  readonly label: string;
  readonly rounds: readonly RoundEvent[];
}

export const CHART_WIDTH = 560;
export const CHART_HEIGHT = 240;
/** Above this many clients, the per-client plot is a heatmap rather than one line per client. */
export const MAX_CLIENT_LINES = 10;

const FONT = 'Helvetica, Arial, "DejaVu Sans", sans-serif';

const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  title: { fontSize: 14, fontWeight: 'bold', anchor: 'start', subtitleFontSize: 11, subtitleColor: '#555', offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6', domainColor: '#888', tickColor: '#888' },
  legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', labelLimit: 220 },
  line: { strokeWidth: 2 },
  view: { stroke: '#ccc' },
} as const;

/** Legends of line charts show a short line (and its dash) rather than a dot. */
const lineLegend = { symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolSize: 240 } as const;

/** The kinds of measurement per round, in legend order, with fixed colours. */
export const SPLITS = {
  train: { label: 'train (during fit)', color: '#4c78a8' },
  evaluate: { label: 'client eval', color: '#f58518' },
  central: { label: 'central test set', color: '#54a24b' },
} as const;
export type Split = keyof typeof SPLITS;
const SPLIT_ORDER: readonly Split[] = ['train', 'evaluate', 'central'];

type Row = Record<string, string | number>;
type Metric = 'accuracy' | 'loss';

/** A metric as events.jsonl holds it: null (or absent) when it was NaN or infinite. */
const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

function splitValue(e: RoundEvent, split: Split, metric: Metric): number | null | undefined {
  switch (split) {
    case 'train':
      return metric === 'accuracy' ? e.fit.trainAccuracy : e.fit.trainLoss;
    case 'evaluate':
      return e.evaluate?.[metric];
    case 'central':
      return e.central?.[metric];
  }
}

/**
 * Values a chart can draw: finite, and accuracies in [0, 1] (the axis is
 * fixed there; a line drawn to 1e9 % would take gigabytes to render).
 */
function plottable(metric: Metric, v: number | null | undefined): v is number {
  return finite(v) && (metric !== 'accuracy' || (v >= 0 && v <= 1));
}

/** Long-form rows `{series, split, round, value}` of one metric, plottable values only. */
export function metricRows(series: readonly Series[], metric: Metric): Row[] {
  const rows: Row[] = [];
  for (const s of series) {
    for (const e of s.rounds) {
      for (const split of SPLIT_ORDER) {
        const v = splitValue(e, split, metric);
        if (plottable(metric, v)) rows.push({ series: s.label, split: SPLITS[split].label, round: e.round, value: v });
      }
    }
  }
  return rows;
}

const roundAxis = { title: 'round', format: 'd', tickMinStep: 1 } as const;

function roundX(rows: readonly Row[]): object {
  const rounds = rows.map((r) => r['round'] as number);
  const lo = Math.min(...rounds);
  const hi = Math.max(...rounds);
  // A single round gets a little room either side instead of a degenerate axis.
  const scale = rows.length > 0 && lo === hi ? { domain: [lo - 1, hi + 1] } : { nice: false };
  return { field: 'round', type: 'quantitative', axis: roundAxis, scale };
}

/** Colour per series: tableau10, tableau20 past ten series (no colour repeats up to twenty); legends never truncate. */
function seriesColor(series: readonly Series[]): object {
  const scheme = series.length > 10 ? 'tableau20' : 'tableau10';
  return { field: 'series', type: 'nominal', title: 'run', sort: series.map((s) => s.label), scale: { scheme }, legend: { ...lineLegend, labelLimit: 0, ...(series.length > 6 && { orient: 'bottom', columns: 2 }) } };
}

export interface MetricChartOptions {
  /**
   * The kinds of measurement to draw. Default: all for one series; for
   * several, only the headline one (central test, else client eval, else
   * train), so that colour alone tells the series apart.
   */
  readonly splits?: readonly Split[];
}

/** The best kind of measurement the series hold: central test, else client eval, else train. */
export function headlineSplit(series: readonly Series[], metric: Metric = 'accuracy'): Split {
  const rows = metricRows(series, metric);
  for (const split of ['central', 'evaluate'] as const) if (rows.some((r) => r['split'] === SPLITS[split].label)) return split;
  return 'train';
}

/** Lines of one metric per round, for every kind of measurement asked for and present. */
function metricChart(series: readonly Series[], metric: Metric, options: MetricChartOptions): ChartSpec {
  const many = series.length > 1;
  const wanted = options.splits ?? (many ? [headlineSplit(series, metric)] : SPLIT_ORDER);
  const wantedLabels = new Set<string>(wanted.map((s) => SPLITS[s].label));
  const rows = metricRows(series, metric).filter((r) => wantedLabels.has(r['split'] as string));
  const present = SPLIT_ORDER.filter((s) => rows.some((r) => r['split'] === SPLITS[s].label));
  const splitDomain = present.map((s) => SPLITS[s].label);
  const y =
    metric === 'accuracy'
      ? { field: 'value', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 1] }, axis: { format: '.0%' } }
      : { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } };
  const splitColor = {
    field: 'split',
    type: 'nominal',
    title: 'measured on',
    sort: splitDomain,
    scale: { domain: splitDomain, range: present.map((s) => SPLITS[s].color) },
    legend: lineLegend,
  };
  const encoding: Record<string, object> = {
    x: roundX(rows),
    y,
    color: many ? seriesColor(series) : splitColor,
    tooltip: [{ field: 'series', title: 'run' }, { field: 'split', title: 'measured on' }, { field: 'round' }, { field: 'value', format: metric === 'accuracy' ? '.2%' : '.4f' }],
  };
  if (many) {
    encoding['detail'] = { field: 'split' };
    if (present.length > 1) encoding['strokeDash'] = { field: 'split', type: 'nominal', title: 'measured on', sort: splitDomain, legend: lineLegend };
  }
  const what = metric === 'accuracy' ? 'Accuracy' : 'Loss';
  const subtitle = !many
    ? 'train: mean over clients while they trained; eval and central: the new global model'
    : present.length === 1
      ? `measured on: ${splitDomain[0]}`
      : 'colour: run; dash: what it was measured on';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${what} per round`, subtitle },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'line', point: { size: 24 } },
    encoding,
  } as ChartSpec;
}

/** Accuracy per round: train, client eval and central test, whichever the run recorded (see MetricChartOptions). */
export const accuracyChart = (series: readonly Series[], options: MetricChartOptions = {}): ChartSpec => metricChart(series, 'accuracy', options);

/** Loss per round: train, client eval and central test, whichever the run recorded (see MetricChartOptions). */
export const lossChart = (series: readonly Series[], options: MetricChartOptions = {}): ChartSpec => metricChart(series, 'loss', options);

/** Each client's train loss per round: one line per client, or a heatmap (round by client) above `maxLines` clients. */
export function clientLossChart(rounds: readonly RoundEvent[], maxLines = MAX_CLIENT_LINES): ChartSpec {
  const rows: Row[] = [];
  for (const e of rounds) for (const c of e.clients) if (finite(c.trainLoss)) rows.push({ round: e.round, id: c.id, client: `client ${c.id}`, loss: c.trainLoss });
  const ids = [...new Set(rows.map((r) => r['id'] as number))].sort((a, b) => a - b);
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: CHART_WIDTH, config: CONFIG, data: { values: rows } };
  if (ids.length <= maxLines) {
    return {
      ...base,
      title: { text: 'Train loss per client', subtitle: 'mean loss of each sampled client during its local training' },
      height: CHART_HEIGHT,
      mark: { type: 'line', point: { size: 20 } },
      encoding: {
        x: roundX(rows),
        y: { field: 'loss', type: 'quantitative', title: 'train loss', scale: { zero: false } },
        color: { field: 'client', type: 'nominal', title: 'client', sort: ids.map((i) => `client ${i}`), scale: { scheme: 'tableau10' }, legend: lineLegend },
        tooltip: [{ field: 'client' }, { field: 'round' }, { field: 'loss', format: '.4f' }],
      },
    } as ChartSpec;
  }
  const lo = rows.length ? Math.min(...rows.map((r) => r['round'] as number)) : 0;
  const hi = rows.length ? Math.max(...rows.map((r) => r['round'] as number)) : 1;
  return {
    ...base,
    title: { text: 'Train loss per client', subtitle: `${ids.length} clients; blank: the client was not sampled that round` },
    height: Math.min(480, Math.max(CHART_HEIGHT, ids.length * 4)),
    transform: [
      { calculate: 'datum.round - 0.5', as: 'r0' },
      { calculate: 'datum.round + 0.5', as: 'r1' },
      { calculate: 'datum.id - 0.5', as: 'c0' },
      { calculate: 'datum.id + 0.5', as: 'c1' },
    ],
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'r0', type: 'quantitative', axis: roundAxis, scale: { domain: [lo - 0.5, hi + 0.5], nice: false } },
      x2: { field: 'r1' },
      y: { field: 'c0', type: 'quantitative', title: 'client id', axis: { format: 'd', tickMinStep: 1 }, scale: { domain: [ids[0]! - 0.5, ids[ids.length - 1]! + 0.5], nice: false, reverse: true } },
      y2: { field: 'c1' },
      color: { field: 'loss', type: 'quantitative', title: 'train loss', scale: { scheme: 'viridis', reverse: true } },
      tooltip: [{ field: 'client' }, { field: 'round' }, { field: 'loss', format: '.4f' }],
    },
  } as ChartSpec;
}

/** The binary unit that keeps the largest value between 1 and 1024. */
export function byteUnit(max: number): { readonly name: string; readonly factor: number } {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (i < units.length - 1 && max >= 1024 ** (i + 1)) i++;
  return { name: units[i]!, factor: 1024 ** i };
}

/** Bytes sent to clients (down) and received from them (up), per round. */
export function bytesChart(series: readonly Series[]): ChartSpec {
  const raw: { series: string; direction: string; round: number; bytes: number }[] = [];
  for (const s of series) {
    for (const e of s.rounds) {
      if (finite(e.bytes.up)) raw.push({ series: s.label, direction: 'up (clients to server)', round: e.round, bytes: e.bytes.up });
      if (finite(e.bytes.down)) raw.push({ series: s.label, direction: 'down (server to clients)', round: e.round, bytes: e.bytes.down });
    }
  }
  const unit = byteUnit(Math.max(0, ...raw.map((r) => r.bytes)));
  const rows: Row[] = raw.map((r) => ({ ...r, value: r.bytes / unit.factor }));
  const many = series.length > 1;
  const dirDomain = ['up (clients to server)', 'down (server to clients)'];
  const encoding: Record<string, object> = {
    x: roundX(rows),
    y: { field: 'value', type: 'quantitative', title: `bytes per round (${unit.name})` },
    color: many ? seriesColor(series) : { field: 'direction', type: 'nominal', title: 'direction', sort: dirDomain, scale: { domain: dirDomain, range: ['#e45756', '#4c78a8'] }, legend: lineLegend },
    tooltip: [{ field: 'series', title: 'run' }, { field: 'direction' }, { field: 'round' }, { field: 'bytes', format: ',d' }],
  };
  if (many) encoding['strokeDash'] = { field: 'direction', type: 'nominal', title: 'direction', sort: dirDomain, legend: lineLegend };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Communication per round', subtitle: 'all clients together, as counted on the wire' },
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    config: CONFIG,
    data: { values: rows },
    mark: { type: 'line', point: { size: 24 } },
    encoding,
  } as ChartSpec;
}

const TIME_PARTS = [
  { key: 'fit', label: 'fit (local training)', color: '#4c78a8' },
  { key: 'evaluate', label: 'evaluate', color: '#f58518' },
  { key: 'aggregate', label: 'aggregate', color: '#54a24b' },
  { key: 'other', label: 'other', color: '#bab0ac' },
] as const;

/**
 * Wall time per round. One run: stacked bars of fit, evaluate, aggregate and
 * the rest of the round (total minus the parts). Several: the total per run.
 */
export function timeChart(series: readonly Series[]): ChartSpec {
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: CHART_WIDTH, height: CHART_HEIGHT, config: CONFIG } as const;
  if (series.length > 1) {
    const rows: Row[] = [];
    for (const s of series) for (const e of s.rounds) if (finite(e.seconds.total)) rows.push({ series: s.label, round: e.round, seconds: e.seconds.total });
    return {
      ...base,
      title: { text: 'Round time', subtitle: 'wall time of each round' },
      data: { values: rows },
      mark: { type: 'line', point: { size: 24 } },
      encoding: {
        x: roundX(rows),
        y: { field: 'seconds', type: 'quantitative', title: 'time per round (s)' },
        color: seriesColor(series),
        tooltip: [{ field: 'series', title: 'run' }, { field: 'round' }, { field: 'seconds', format: '.3f' }],
      },
    } as ChartSpec;
  }
  const rows: Row[] = [];
  for (const e of series[0]?.rounds ?? []) {
    const s = e.seconds;
    const parts = { fit: s.fit, evaluate: s.evaluate, aggregate: s.aggregate } as Record<string, number | null>;
    const known = Object.values(parts).reduce<number>((a, v) => a + (finite(v) ? v : 0), 0);
    const other = finite(s.total) ? Math.max(0, s.total - known) : 0;
    let y0 = 0;
    for (const p of TIME_PARTS) {
      const v = p.key === 'other' ? other : parts[p.key];
      if (!finite(v) || v <= 0) continue;
      rows.push({ round: e.round, part: p.label, seconds: v, y0, y1: y0 + v, r0: e.round - 0.4, r1: e.round + 0.4 });
      y0 += v;
    }
  }
  const lo = rows.length ? Math.min(...rows.map((r) => r['round'] as number)) : 0;
  const hi = rows.length ? Math.max(...rows.map((r) => r['round'] as number)) : 1;
  const partDomain = TIME_PARTS.filter((p) => rows.some((r) => r['part'] === p.label));
  return {
    ...base,
    title: { text: 'Round time', subtitle: 'wall time of each round, by part' },
    data: { values: rows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'r0', type: 'quantitative', axis: roundAxis, scale: { domain: [lo - 0.6, hi + 0.6], nice: false } },
      x2: { field: 'r1' },
      y: { field: 'y0', type: 'quantitative', title: 'time per round (s)' },
      y2: { field: 'y1' },
      color: { field: 'part', type: 'nominal', title: 'part', sort: partDomain.map((p) => p.label), scale: { domain: partDomain.map((p) => p.label), range: partDomain.map((p) => p.color) } },
      tooltip: [{ field: 'round' }, { field: 'part' }, { field: 'seconds', format: '.3f' }],
    },
  } as ChartSpec;
}

export interface RenderedChart {
  readonly svg: string;
  readonly png: Buffer;
}

export interface RenderOptions {
  /** Pixels per SVG unit in the PNG (2 for sharp text on high-density screens). Default 2. */
  readonly pngScale?: number;
}

/** Renders a Vega-Lite spec to an SVG string and a PNG (headless: no browser, no network). */
export async function renderChart(spec: ChartSpec, options: RenderOptions = {}): Promise<RenderedChart> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled as vega.Spec), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const png = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: options.pngScale ?? 2 },
    background: 'white',
  })
    .render()
    .asPng();
  return { svg, png };
}
