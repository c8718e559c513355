import { stringify as yamlStringify } from 'yaml';
import type { SkippedLine, RunConfig } from './read.js';
import { byteUnit } from './charts.js';
import { cellText, type RunSummary, type SummaryRow } from './summary.js';

/**
 * The HTML of run and sweep reports: pure functions from what was read and
 * rendered to one self-contained page (SVGs inline, CSS inline, no script,
 * nothing fetched from the network).
 */

/** A rendered plot: `svg` goes inline, `png` is the path of its PNG copy relative to the page. */
export interface Plot {
  readonly name: string;
  readonly svg: string;
  readonly png?: string;
}

export function escapeHtml(s: string): string {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/**
 * Prefixes every `id` of an SVG, and the references to them, so that several
 * SVGs inlined in one page cannot capture each other's clip paths or gradients.
 */
export function uniqueSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/(\s)id="([^"]+)"/g, (_, sp: string, id: string) => `${sp}id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${prefix}-${id}"`);
}

export const pct = (v: number | undefined): string => (v === undefined ? '–' : `${(100 * v).toFixed(2)}%`);
export const fixed = (v: number | undefined, digits = 4): string => (v === undefined ? '–' : Number(v.toPrecision(digits)).toString());

export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '–';
  if (s < 60) return `${s.toFixed(2)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${(s - 60 * m).toFixed(0)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatBytes(b: number): string {
  const u = byteUnit(b);
  return u.factor === 1 ? `${b} B` : `${(b / u.factor).toFixed(2)} ${u.name}`;
}

const CSS = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; max-width: 960px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin: 0 0 .2em; word-break: break-all; }
h2 { font-size: 1.2em; margin: 1.8em 0 .6em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
.meta { color: #666; margin: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .25em .9em .25em 0; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; }
td.n { text-align: right; }
.scroll { overflow-x: auto; }
figure { margin: 0 0 1.6em; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: .85em; color: #666; }
pre { background: #f6f6f6; padding: .8em 1em; overflow-x: auto; font-size: 13px; line-height: 1.35; }
.warn { color: #a33; }
a { color: #2a5d9f; }
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

export function plotsSection(plots: readonly Plot[]): string {
  if (plots.length === 0) return '<h2>Plots</h2>\n<p>No rounds recorded yet: nothing to plot.</p>';
  const figs = plots.map((p) => {
    const caption = p.png ? `<figcaption><a href="${escapeHtml(p.png)}">${escapeHtml(p.png)}</a></figcaption>` : '';
    return `<figure id="plot-${escapeHtml(p.name)}">\n${uniqueSvgIds(p.svg, `p-${p.name}`)}\n${caption}</figure>`;
  });
  return `<h2>Plots</h2>\n${figs.join('\n')}`;
}

export function keyValueTable(rows: readonly (readonly [string, string])[]): string {
  const trs = rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`);
  return `<table>\n${trs.join('\n')}\n</table>`;
}

const STATUS_TEXT: Record<RunSummary['status'], string> = {
  finished: 'finished',
  incomplete: 'incomplete: no end event (the run stopped, or is still running)',
  'no rounds': 'no rounds recorded',
  'no events': 'no events.jsonl',
};

/** The final-metrics table of a run, as label and text pairs. */
export function metricsRows(s: RunSummary): [string, string][] {
  const rows: [string, string][] = [['status', STATUS_TEXT[s.status]]];
  rows.push(['rounds', s.plannedRounds !== undefined ? `${s.rounds} of ${s.plannedRounds}` : String(s.rounds)]);
  if (s.clients !== undefined) rows.push(['clients', String(s.clients)]);
  if (s.parameters !== undefined) rows.push(['parameters', String(s.parameters)]);
  rows.push(['final accuracy', pct(s.finalAccuracy)], ['final loss', fixed(s.finalLoss)]);
  if (s.bestAccuracy !== undefined) rows.push(['best accuracy', `${pct(s.bestAccuracy)} (round ${s.bestRound})`]);
  if (s.lastRound !== undefined) {
    const r = `round ${s.lastRound}`;
    rows.push([`train loss / accuracy, ${r}`, `${fixed(s.trainLoss)} / ${pct(s.trainAccuracy)}`]);
    if (s.evalLoss !== undefined || s.evalAccuracy !== undefined) rows.push([`client-eval loss / accuracy, ${r}`, `${fixed(s.evalLoss)} / ${pct(s.evalAccuracy)}`]);
    if (s.centralLoss !== undefined || s.centralAccuracy !== undefined) rows.push([`central-test loss / accuracy, ${r}`, `${fixed(s.centralLoss)} / ${pct(s.centralAccuracy)}`]);
  }
  rows.push(['wall time', formatSeconds(s.seconds)], ['bytes up (clients to server)', formatBytes(s.bytesUp)], ['bytes down (server to clients)', formatBytes(s.bytesDown)]);
  rows.push(['client failures', String(s.failures)]);
  if (s.resumes > 0) rows.push(['resumed', `${s.resumes} time${s.resumes > 1 ? 's' : ''}`]);
  return rows;
}

/** The resolved config, pretty-printed as YAML (as written when it does not parse). */
export function prettyConfig(config: RunConfig): string {
  if (config.value === undefined) return config.text;
  try {
    return yamlStringify(config.value, { indent: 2, lineWidth: 0 });
  } catch {
    return config.text;
  }
}

function skippedSection(skipped: readonly SkippedLine[]): string {
  if (skipped.length === 0) return '';
  const items = skipped.slice(0, 20).map((s) => `<li>line ${s.line}: ${escapeHtml(s.reason)}</li>`);
  const more = skipped.length > 20 ? `<li>and ${skipped.length - 20} more</li>` : '';
  return `<h2 class="warn">Skipped lines of events.jsonl</h2>\n<ul class="warn">${items.join('')}${more}</ul>`;
}

export interface RunReportInput {
  readonly name: string;
  readonly dir: string;
  /** When the report was made (ISO 8601). */
  readonly generated: string;
  readonly summary: RunSummary;
  readonly config?: RunConfig;
  readonly plots: readonly Plot[];
  readonly skipped: readonly SkippedLine[];
}

/** The page of one run: name, final metrics, plots, resolved config. */
export function runReportHtml(r: RunReportInput): string {
  const config = r.config ? `<pre>${escapeHtml(prettyConfig(r.config))}</pre>` : '<p>No config.yaml in the run directory.</p>';
  const body = `<header>
<h1>${escapeHtml(r.name)}</h1>
<p class="meta">Run directory <code>${escapeHtml(r.dir)}</code>; report made ${escapeHtml(r.generated)} by <code>qfl report</code>.</p>
</header>
<h2>Final metrics</h2>
${keyValueTable(metricsRows(r.summary))}
${plotsSection(r.plots)}
<h2>Resolved config</h2>
${config}
${skippedSection(r.skipped)}`;
  return page(`${r.name}: qfl run report`, body);
}

/** A summary table column: its key in the rows, its heading, how its cells read. */
interface Column {
  readonly key: string;
  readonly title: string;
  readonly numeric: boolean;
  readonly format: (v: unknown) => string;
}

const asNum = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const SWEEP_COLUMNS: readonly Column[] = [
  { key: 'status', title: 'status', numeric: false, format: cellText },
  { key: 'rounds', title: 'rounds', numeric: true, format: cellText },
  { key: 'final_accuracy', title: 'final accuracy', numeric: true, format: (v) => pct(asNum(v)) },
  { key: 'best_accuracy', title: 'best accuracy', numeric: true, format: (v) => pct(asNum(v)) },
  { key: 'final_loss', title: 'final loss', numeric: true, format: (v) => fixed(asNum(v)) },
  { key: 'train_loss', title: 'train loss', numeric: true, format: (v) => fixed(asNum(v)) },
  { key: 'seconds', title: 'wall time', numeric: true, format: (v) => formatSeconds(asNum(v)) },
  { key: 'bytes_up', title: 'bytes up', numeric: true, format: (v) => (asNum(v) === undefined ? '–' : formatBytes(v as number)) },
  { key: 'bytes_down', title: 'bytes down', numeric: true, format: (v) => (asNum(v) === undefined ? '–' : formatBytes(v as number)) },
  { key: 'failures', title: 'failures', numeric: true, format: cellText },
];

export interface SweepReportInput {
  readonly name: string;
  readonly dir: string;
  readonly generated: string;
  /** Summary rows (see summaryRow), one per point. */
  readonly rows: readonly SummaryRow[];
  /** The override keys, in order: one column each after the label. */
  readonly overrideKeys: readonly string[];
  /** Per row, the page of that point's own report relative to the sweep page, if it has one. */
  readonly links: readonly (string | undefined)[];
  readonly plots: readonly Plot[];
  /** Relative path of summary.csv, when the sweep has one. */
  readonly csv?: string;
}

/** The page of a sweep: the summary table and the curves of all points on shared plots. */
export function sweepReportHtml(s: SweepReportInput): string {
  const head = ['point', ...s.overrideKeys, ...SWEEP_COLUMNS.map((c) => c.title)].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = s.rows.map((row, i) => {
    const label = escapeHtml(cellText(row['label']));
    const link = s.links[i];
    const cells = [`<td>${link ? `<a href="${escapeHtml(link)}">${label}</a>` : label}</td>`];
    for (const k of s.overrideKeys) cells.push(`<td>${escapeHtml(cellText(row[k]))}</td>`);
    for (const c of SWEEP_COLUMNS) cells.push(`<td${c.numeric ? ' class="n"' : ''}>${escapeHtml(c.format(row[c.key]))}</td>`);
    return `<tr>${cells.join('')}</tr>`;
  });
  const csv = s.csv ? ` The same runs as CSV: <a href="${escapeHtml(s.csv)}">${escapeHtml(s.csv)}</a>.` : '';
  const body = `<header>
<h1>${escapeHtml(s.name)}</h1>
<p class="meta">Sweep directory <code>${escapeHtml(s.dir)}</code>, ${s.rows.length} point${s.rows.length === 1 ? '' : 's'}; report made ${escapeHtml(s.generated)} by <code>qfl report</code>.</p>
</header>
<h2>Summary</h2>
<p>Final accuracy: the run's final evaluation, else the last round's central test accuracy, else its client-eval accuracy.${csv}</p>
<div class="scroll"><table>
<thead><tr>${head}</tr></thead>
<tbody>
${trs.join('\n')}
</tbody>
</table></div>
${plotsSection(s.plots)}`;
  return page(`${s.name}: qfl sweep report`, body);
}
