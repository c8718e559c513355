import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { accuracyChart, bytesChart, clientLossChart, headlineSplit, lossChart, renderChart, timeChart, type ChartSpec, type Series } from './charts.js';
import { runReportHtml, sweepReportHtml, type Plot } from './html.js';
import { isRunDir, readRunConfig, readRunEvents, runName, type RunLog } from './read.js';
import { configOverrides, summarizeRun, summaryRow, type SweepPoint } from './summary.js';
import { settingLabel } from './seeds.js';

/**
 * Reports of runs and sweeps: `writeRunReport(runDir)` writes
 * `<runDir>/report.html` with its plots inline and PNG copies in
 * `<runDir>/plots/`; `writeSweepReport(sweepDir, points)` writes
 * `<sweepDir>/summary.html` with the curves of all points on shared plots.
 * Both are made from events.jsonl alone, so they can be made again at any
 * time, also while a run is still writing (`qfl report DIR`).
 */

export * from './charts.js';
export * from './html.js';
export * from './read.js';
export * from './summary.js';
export * from './stats.js';
export * from './claims.js';
export * from './seeds.js';

export const REPORT_FILE = 'report.html';
export const SWEEP_REPORT_FILE = 'summary.html';
export const SUMMARY_CSV_FILE = 'summary.csv';
export const PLOTS_DIR = 'plots';

export interface ReportOptions {
  /** Also write a PNG of each plot under plots/ (default true). */
  readonly png?: boolean;
  /** The time stamped on the page (ISO 8601); default now. */
  readonly generated?: string;
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Renders the charts with data (`hasData` false skips one), writes their
 * PNGs to `<dir>/plots/<name>.png`, and returns them for a page.
 */
export async function renderPlots(
  dir: string,
  charts: readonly { name: string; spec: ChartSpec; hasData?: boolean }[],
  options: ReportOptions = {},
): Promise<Plot[]> {
  const plots: Plot[] = [];
  const png = options.png ?? true;
  if (png) mkdirSync(join(dir, PLOTS_DIR), { recursive: true });
  for (const c of charts) {
    if (c.hasData === false) continue;
    const r = await renderChart(c.spec);
    if (png) {
      const file = `${PLOTS_DIR}/${c.name}.png`;
      writeAtomic(join(dir, file), r.png);
      plots.push({ name: c.name, svg: r.svg, png: file });
    } else {
      plots.push({ name: c.name, svg: r.svg });
    }
  }
  return plots;
}

const hasAny = (series: readonly Series[], pick: (s: Series) => boolean): boolean => series.some(pick);

/** The charts of one run or of a sweep's points, and whether each has anything to show. */
function chartsFor(series: readonly Series[], perClient: boolean): { name: string; spec: ChartSpec; hasData: boolean }[] {
  const rounds = hasAny(series, (s) => s.rounds.length > 0);
  const charts = [
    { name: 'accuracy', spec: accuracyChart(series), hasData: rounds },
    { name: 'loss', spec: lossChart(series), hasData: rounds },
  ];
  // Several series show only the headline measurement; the train loss gets a plot of its own.
  if (series.length > 1 && headlineSplit(series, 'loss') !== 'train') {
    charts.push({ name: 'train-loss', spec: lossChart(series, { splits: ['train'] }), hasData: rounds });
  }
  if (perClient && series[0]) {
    const withClients = series[0].rounds.some((e) => e.clients.length > 0);
    charts.push({ name: 'client-loss', spec: clientLossChart(series[0].rounds), hasData: withClients });
  }
  charts.push({ name: 'bytes', spec: bytesChart(series), hasData: rounds }, { name: 'time', spec: timeChart(series), hasData: rounds });
  return charts;
}

/**
 * Writes `<runDir>/report.html` (self-contained: plots inline as SVG, no
 * network) and `<runDir>/plots/*.png`; returns the report's path. Throws a
 * QflError naming the directory when it holds no events.jsonl.
 *
 * @example
 * const path = await writeRunReport('runs/fedavg-mnist'); // 'runs/fedavg-mnist/report.html'
 */
export async function writeRunReport(runDir: string, options: ReportOptions = {}): Promise<string> {
  const dir = resolve(runDir);
  const log = readRunEvents(dir);
  const config = readRunConfig(dir);
  const name = runName(dir, log);
  const plots = await renderPlots(dir, chartsFor([{ label: name, rounds: log.rounds }], true), options);
  const html = runReportHtml({
    name,
    dir,
    generated: options.generated ?? new Date().toISOString(),
    summary: summarizeRun(log),
    ...(config && { config }),
    plots,
    skipped: log.skipped,
  });
  const path = join(dir, REPORT_FILE);
  writeAtomic(path, html);
  return path;
}

/** Reads a point's events; undefined when it has none yet (a point that failed or has not started). */
function readPoint(dir: string): RunLog | undefined {
  if (!isRunDir(dir)) return undefined;
  try {
    return readRunEvents(dir);
  } catch {
    return undefined;
  }
}

function legendLabel(overrides: Readonly<Record<string, unknown>>): string {
  const seed = overrides['seed'];
  const base = settingLabel(overrides);
  return seed === undefined ? base : base === 'base' ? `seed=${String(seed)}` : `${base}, seed=${String(seed)}`;
}

/** Makes labels unique (a legend cannot tell two equal labels apart). */
function uniqueLabels(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}

/**
 * Writes `<sweepDir>/summary.html`: a table of every point's final metrics
 * (label, overrides, status, accuracy, loss, time, bytes) and the curves of
 * all points on shared plots, coloured by label; PNG copies go to
 * `<sweepDir>/plots/`. A point's `dir` is taken relative to `sweepDir`. A
 * point without events is listed with status 'no events'. summary.csv is
 * left as the sweep wrote it (see `summaryCsv`); the page links to it.
 * Returns the page's path.
 */
export async function writeSweepReport(sweepDir: string, points: readonly SweepPoint[], options: ReportOptions = {}): Promise<string> {
  const dir = resolve(sweepDir);
  // Legends name a point by what it varies, shortly (`name=fedadam, alpha=0.1, seed=2`), not by its directory.
  const labels = uniqueLabels(points.map((p) => p.label));
  const legend = uniqueLabels(points.map((p) => (Object.keys(p.overrides).length ? legendLabel(p.overrides) : p.label)));
  const read = points.map((p, i) => {
    const pointDir = resolve(dir, p.dir);
    return { point: { ...p, label: labels[i]! }, legend: legend[i]!, pointDir, log: readPoint(pointDir) };
  });
  const series: Series[] = read.filter((r) => r.log !== undefined).map((r) => ({ label: r.legend, rounds: r.log!.rounds }));
  mkdirSync(dir, { recursive: true });
  const plots = await renderPlots(dir, chartsFor(series, false), options);
  const overrideKeys: string[] = [];
  for (const p of points) for (const k of Object.keys(p.overrides)) if (!overrideKeys.includes(k)) overrideKeys.push(k);
  const html = sweepReportHtml({
    name: basename(dir),
    dir,
    generated: options.generated ?? new Date().toISOString(),
    rows: read.map((r) => summaryRow(r.point, summarizeRun(r.log))),
    overrideKeys,
    links: read.map((r) => (existsSync(join(r.pointDir, REPORT_FILE)) ? relative(dir, join(r.pointDir, REPORT_FILE)).split(sep).join('/') : undefined)),
    plots,
    ...(existsSync(join(dir, SUMMARY_CSV_FILE)) && { csv: SUMMARY_CSV_FILE }),
  });
  const path = join(dir, SWEEP_REPORT_FILE);
  writeAtomic(path, html);
  return path;
}

/**
 * The sweep points found in a directory: its subdirectories that hold an
 * events.jsonl, labelled by name (in natural order: p2 before p10), with the
 * config keys that differ between their config.yaml files as overrides.
 */
export function findSweepPoints(sweepDir: string): SweepPoint[] {
  const dir = resolve(sweepDir);
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && isRunDir(join(dir, d.name)))
    .map((d) => d.name)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const overrides = configOverrides(names.map((n) => readRunConfig(join(dir, n))?.value));
  return names.map((n, i) => ({ label: n, dir: n, overrides: overrides[i] ?? {} }));
}
