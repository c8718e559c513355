import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from '../report/charts.js';
import { renderPlots } from '../report/index.js';
import { escapeHtml, page, pct, plotsSection } from '../report/html.js';
import { readRunEvents } from '../report/read.js';
import type { SweepPoint } from '../report/summary.js';

/**
 * The Byzantine report: final accuracy per aggregator x attack x attacker
 * fraction as heatmaps, backdoor success where a backdoor was planted, and
 * how the plain mean (FedAvg) fares beside the robust rules.
 */
export interface ByzantineCell {
  readonly aggregator: string;
  readonly attack: string;
  readonly fraction: number;
  readonly accuracy: number | undefined;
  readonly backdoor: number | undefined;
}

const nameOf = (v: unknown, key: string): string => {
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const extra = Object.entries(o).filter(([k]) => k !== key && k !== 'clients').map(([k, x]) => `${k}=${String(x)}`);
    return `${String(o[key])}${extra.length ? ` (${extra.join(', ')})` : ''}`;
  }
  return String(v);
};

export function readByzantineCells(sweepDir: string, points: readonly SweepPoint[]): ByzantineCell[] {
  const cells: ByzantineCell[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    const last = log.rounds[log.rounds.length - 1];
    if (!last) continue;
    const o = p.overrides as Record<string, unknown>;
    cells.push({
      aggregator: nameOf(o['strategy.aggregator'] ?? { name: 'mean' }, 'name'),
      attack: nameOf(o['attacks.0'], 'kind'),
      fraction: Number(o['attacks.0.clients'] ?? 0),
      accuracy: log.end?.final?.accuracy ?? last.central?.accuracy,
      backdoor: last.backdoor?.successRate,
    });
  }
  return cells;
}

function heatmap(title: string, subtitle: string, values: object[], field: string): ChartSpec {
  return {
    title: { text: title, subtitle },
    data: { values },
    facet: { column: { field: 'attack', type: 'nominal', title: null } },
    spec: {
      width: 170,
      height: 150,
      encoding: {
        x: { field: 'fraction', type: 'ordinal', title: 'attacker fraction', axis: { format: '.0%' } },
        y: { field: 'aggregator', type: 'nominal', title: null, sort: null, axis: { labelLimit: 260 } },
      },
      layer: [
        { mark: 'rect', encoding: { color: { field, type: 'quantitative', title: field, scale: { domain: [0, 1], scheme: field === 'backdoor' ? 'reds' : 'viridis' } } } },
        { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field, type: 'quantitative', format: '.0%' }, color: { value: field === 'backdoor' ? 'black' : 'white' } } },
      ],
    },
  };
}

export async function writeByzantineReport(sweepDir: string, points: readonly SweepPoint[]): Promise<string> {
  const cells = readByzantineCells(sweepDir, points);
  const charts: { name: string; spec: ChartSpec }[] = [
    { name: 'byzantine-accuracy', spec: heatmap('Final accuracy under Byzantine clients', 'central test set, last round; one panel per attack', cells.map((c) => ({ ...c })), 'accuracy') },
  ];
  const bd = cells.filter((c) => c.backdoor !== undefined);
  if (bd.length > 0) charts.push({ name: 'byzantine-backdoor', spec: heatmap('Backdoor success rate', 'triggered non-target test images sent to the target class', bd.map((c) => ({ ...c })), 'backdoor') });
  const plots = await renderPlots(sweepDir, charts);
  // FedAvg (the plain mean) beside the best robust rule at the largest attacker fraction of each attack.
  const attacks = [...new Set(cells.map((c) => c.attack))];
  const top = Math.max(...cells.map((c) => c.fraction));
  const rows = attacks.map((a) => {
    const at = cells.filter((c) => c.attack === a && c.fraction === top);
    const mean = at.find((c) => c.aggregator.startsWith('mean'));
    const best = at.filter((c) => !c.aggregator.startsWith('mean')).sort((x, y) => (y.accuracy ?? 0) - (x.accuracy ?? 0))[0];
    return `<tr><td>${escapeHtml(a)}</td><td>${pct(top)}</td><td>${pct(mean?.accuracy)}</td><td>${escapeHtml(best?.aggregator ?? '–')}: ${pct(best?.accuracy)}</td></tr>`;
  });
  const body = `<header><h1>Byzantine clients and robust aggregation</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>; ${cells.length} runs. Review: arXiv 2508.11848 (paper 001) asks for integrity attacks and robust aggregation to be measured on quantum models.</p></header>
<p>Backdoor success is read against its 0 % column: with no attacker at all, the trigger alone already sends that share of images to the target class.</p>
<h2>FedAvg beside the best robust rule, at the largest attacker fraction</h2>
<table><tr><th>attack</th><th>attackers</th><th>mean (FedAvg)</th><th>best robust rule</th></tr>
${rows.join('\n')}</table>
${plotsSection(plots)}`;
  const path = join(sweepDir, 'byzantine.html');
  writeFileSync(path, page('Byzantine report', body));
  return path;
}
