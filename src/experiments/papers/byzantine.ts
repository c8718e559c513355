import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from '../report/charts.js';
import { renderPlots } from '../report/index.js';
import { claimsTableHtml, judge, writeClaimsFile, type Claim } from '../report/claims.js';
import { escapeHtml, page, pct, plotsSection } from '../report/html.js';
import { readRunEvents } from '../report/read.js';
import { describeValue, pointSeed } from '../report/seeds.js';
import { meanCi, pairedDifferences } from '../report/stats.js';
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
  readonly seed: number;
}

/** An aggregator or attack as a reader names it (nested options such as a trigger spelled out); the attackers' share is a column of its own. */
const nameOf = (v: unknown): string => {
  if (v && typeof v === 'object' && !Array.isArray(v)) return describeValue(Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'clients')));
  return describeValue(v);
};

export function readByzantineCells(sweepDir: string, points: readonly SweepPoint[], baseSeed = 0): ByzantineCell[] {
  const cells: ByzantineCell[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    const last = log.rounds[log.rounds.length - 1];
    if (!last) continue;
    const o = p.overrides as Record<string, unknown>;
    cells.push({
      aggregator: nameOf(o['strategy.aggregator'] ?? { name: 'mean' }),
      attack: nameOf(o['attacks.0']),
      fraction: Number(o['attacks.0.clients'] ?? 0),
      accuracy: log.end?.final?.accuracy ?? last.central?.accuracy,
      backdoor: last.backdoor?.successRate,
      seed: pointSeed(p, baseSeed),
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

/** The cells averaged over seeds (heatmaps show the mean). */
function meanCells(cells: readonly ByzantineCell[]): ByzantineCell[] {
  const m = new Map<string, ByzantineCell[]>();
  for (const c of cells) {
    const k = `${c.aggregator}|${c.attack}|${c.fraction}`;
    m.set(k, [...(m.get(k) ?? []), c]);
  }
  return [...m.values()].map((cs) => ({
    ...cs[0]!,
    accuracy: meanCi(cs.map((c) => c.accuracy ?? NaN))?.mean,
    backdoor: cs.some((c) => c.backdoor !== undefined) ? meanCi(cs.map((c) => c.backdoor ?? NaN))?.mean : undefined,
  }));
}

/**
 * The review's integrity claims as tests on our runs: at the largest attacker
 * fraction, the best robust rule keeps more accuracy than the plain mean
 * (paired by seed); a backdoor's success exceeds what the trigger alone
 * achieves with no attacker (its 0 % column).
 */
export function byzantineClaims(cells: readonly ByzantineCell[]): Claim[] {
  const claims: Claim[] = [];
  const top = Math.max(...cells.map((c) => c.fraction));
  const seedMap = (cs: readonly ByzantineCell[], f: (c: ByzantineCell) => number) => new Map(cs.map((c) => [c.seed, f(c)]));
  for (const a of [...new Set(cells.map((c) => c.attack))]) {
    const at = cells.filter((c) => c.attack === a && c.fraction === top);
    const plain = at.filter((c) => c.aggregator.startsWith('mean'));
    const rules = [...new Set(at.filter((c) => !c.aggregator.startsWith('mean')).map((c) => c.aggregator))];
    const best = rules
      .map((r) => ({ r, m: meanCi(at.filter((c) => c.aggregator === r).map((c) => c.accuracy ?? NaN))?.mean ?? -1 }))
      .sort((x, y) => y.m - x.m)[0];
    if (plain.length && best && top > 0) {
      claims.push({
        claim: `Robust aggregation resists ${a} better than the mean.`,
        paper: 'qualitative (review)',
        measure: `accuracy, ${best.r} minus mean, ${pct(top)} attackers, paired by seed`,
        values: pairedDifferences(seedMap(at.filter((c) => c.aggregator === best.r), (c) => c.accuracy ?? NaN), seedMap(plain, (c) => c.accuracy ?? NaN)),
        test: { kind: 'above', threshold: 0 },
        unit: 'pp',
        note: 'the best rule is chosen on the same runs, so this interval is optimistic',
      });
    }
    const bd = cells.filter((c) => c.attack === a && c.backdoor !== undefined && c.aggregator.startsWith('mean'));
    const none = bd.filter((c) => c.fraction === 0);
    const most = bd.filter((c) => c.fraction === top);
    if (none.length && most.length && top > 0) {
      claims.push({
        claim: `A backdoor (${a}) planted by ${pct(top)} of clients succeeds beyond the trigger's own effect.`,
        paper: 'qualitative (review)',
        measure: 'backdoor success with the mean, attackers minus no attackers, paired by seed',
        values: pairedDifferences(seedMap(most, (c) => c.backdoor ?? NaN), seedMap(none, (c) => c.backdoor ?? NaN)),
        test: { kind: 'above', threshold: 0 },
        unit: 'pp',
        note: 'with no attacker the trigger alone already sends some images to the target class; only the excess is the attack',
      });
    }
  }
  return claims;
}

export async function writeByzantineReport(sweepDir: string, points: readonly SweepPoint[], baseSeed = 0): Promise<string> {
  const all = readByzantineCells(sweepDir, points, baseSeed);
  const results = byzantineClaims(all).map(judge);
  const cells = meanCells(all);
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
<h2>The review's claims against ours</h2>
${claimsTableHtml(results)}
<p>Heatmaps and the table below show means over seeds. Backdoor success is read against its 0 % column: with no attacker at all, the trigger alone already sends that share of images to the target class.</p>
<h2>FedAvg beside the best robust rule, at the largest attacker fraction</h2>
<table><tr><th>attack</th><th>attackers</th><th>mean (FedAvg)</th><th>best robust rule</th></tr>
${rows.join('\n')}</table>
${plotsSection(plots)}`;
  const path = join(sweepDir, 'byzantine.html');
  writeFileSync(path, page('Byzantine report', body));
  writeClaimsFile(sweepDir, { paper: '001', title: 'Byzantine clients and robust aggregation', report: 'byzantine.html' }, results);
  return path;
}
