import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml } from './html.js';
import { meanCi, type Interval } from './stats.js';

/**
 * A paper's claim checked against our runs: the claim, the paper's number,
 * our per-seed values, a test on their 95 % t-interval, and the verdict that
 * follows from the interval alone:
 * - `above t`: supported when the whole interval lies above t, not supported
 *   when it lies wholly below, inconclusive when it contains t;
 * - `below t`: the mirror image;
 * - `near v +- tol`: supported when the interval lies inside [v - tol, v + tol],
 *   not supported when it misses that band, inconclusive when it straddles an edge.
 * Fewer than two values give no interval: inconclusive. A claim with no
 * values at all is `not measured`.
 */

export const VERDICTS = ['supported', 'not supported', 'inconclusive', 'not measured'] as const;
export type Verdict = (typeof VERDICTS)[number];

export type ClaimTest =
  | { readonly kind: 'above'; readonly threshold: number }
  | { readonly kind: 'below'; readonly threshold: number }
  | { readonly kind: 'near'; readonly value: number; readonly tolerance: number };

/** How a claim's values read: percentages (0.85 -> 85.00 %), percentage points (differences), or plain numbers. */
export type ClaimUnit = 'pct' | 'pp' | 'number';

export interface Claim {
  /** The paper's statement, in its words where possible. */
  readonly claim: string;
  /** The paper's number as it reports it ("0.85", "97 %", "qualitative"). */
  readonly paper: string;
  /** What one value of ours is (one per seed). */
  readonly measure: string;
  readonly values: readonly number[];
  readonly test: ClaimTest;
  readonly unit: ClaimUnit;
  /** Anything a reader must know to read the verdict (a confound, a caveat). */
  readonly note?: string;
}

export interface ClaimResult extends Claim {
  readonly ci?: Interval;
  readonly verdict: Verdict;
}

/** The verdict a test gives on an interval (see the module comment). */
export function verdictOf(ci: Interval | undefined, test: ClaimTest): Verdict {
  if (ci === undefined) return 'not measured';
  if (ci.lo === undefined || ci.hi === undefined) return 'inconclusive';
  const { lo, hi } = ci;
  switch (test.kind) {
    case 'above':
      return lo > test.threshold ? 'supported' : hi < test.threshold ? 'not supported' : 'inconclusive';
    case 'below':
      return hi < test.threshold ? 'supported' : lo > test.threshold ? 'not supported' : 'inconclusive';
    case 'near': {
      const a = test.value - test.tolerance;
      const b = test.value + test.tolerance;
      return lo >= a && hi <= b ? 'supported' : hi < a || lo > b ? 'not supported' : 'inconclusive';
    }
  }
}

export function judge(claim: Claim): ClaimResult {
  const ci = meanCi(claim.values);
  return { ...claim, ...(ci && { ci }), verdict: verdictOf(ci, claim.test) };
}

/** A value in a claim's unit. */
export function formatValue(v: number, unit: ClaimUnit): string {
  switch (unit) {
    case 'pct':
      return `${(100 * v).toFixed(2)} %`;
    case 'pp':
      return `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)} pp`;
    case 'number':
      return Number(v.toPrecision(4)).toString();
  }
}

/** "84.00 % +- 3.93 (95 % CI, n = 5)", or the single value when there is no interval. */
export function formatCi(ci: Interval | undefined, unit: ClaimUnit): string {
  if (ci === undefined) return '–';
  if (ci.half === undefined) return `${formatValue(ci.mean, unit)} (n = ${ci.n}, no interval)`;
  const half = unit === 'number' ? Number(ci.half.toPrecision(3)).toString() : (100 * ci.half).toFixed(2);
  return `${formatValue(ci.mean, unit)} ± ${half}${unit === 'number' ? '' : unit === 'pp' ? ' pp' : ''} (95 % CI, n = ${ci.n})`;
}

export function testText(t: ClaimTest, unit: ClaimUnit): string {
  switch (t.kind) {
    case 'above':
      return `interval above ${formatValue(t.threshold, unit)}`;
    case 'below':
      return `interval below ${formatValue(t.threshold, unit)}`;
    case 'near':
      return `interval within ${formatValue(t.value, unit)} ± ${unit === 'number' ? t.tolerance : `${(100 * t.tolerance).toFixed(0)} ${unit === 'pct' ? 'points' : 'pp'}`}`;
  }
}

const VERDICT_COLOR: Record<Verdict, string> = { supported: '#1b7a33', 'not supported': '#a33', inconclusive: '#8a6d00', 'not measured': '#666' };

/** The claims table of a paper report: claim, paper's number, ours (mean +- CI), test, verdict. */
export function claimsTableHtml(results: readonly ClaimResult[]): string {
  const rows = results.map((r) => {
    const few = r.ci && r.ci.n < 5 ? ' <span class="warn">(fewer than 5 seeds)</span>' : '';
    const note = r.note ? `<br><small>${escapeHtml(r.note)}</small>` : '';
    return (
      `<tr><td>${escapeHtml(r.claim)}${note}</td><td>${escapeHtml(r.paper)}</td>` +
      `<td>${escapeHtml(r.measure)}: <b>${escapeHtml(formatCi(r.ci, r.unit))}</b>${few}</td>` +
      `<td>${escapeHtml(testText(r.test, r.unit))}</td><td><b style="color:${VERDICT_COLOR[r.verdict]}">${r.verdict}</b></td></tr>`
    );
  });
  return `<table>
<thead><tr><th>the paper's claim</th><th>paper</th><th>ours (mean ± 95 % t-interval over seeds)</th><th>supported when</th><th>verdict</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
<p><small>Verdicts follow from the interval alone: supported when the whole 95 % interval satisfies the test, not supported when none of it does, inconclusive when it straddles the boundary (or when there is only one seed).</small></p>`;
}

export const CLAIMS_FILE = 'claims.json';

/** What papers.html reads back from a report's directory. */
export interface ClaimsFile {
  readonly paper: string;
  readonly title: string;
  readonly report: string;
  readonly claims: readonly { claim: string; paper: string; ours: string; verdict: Verdict }[];
}

/** Writes `<dir>/claims.json` for the papers index. */
export function writeClaimsFile(dir: string, file: Omit<ClaimsFile, 'claims'>, results: readonly ClaimResult[]): void {
  const out: ClaimsFile = { ...file, claims: results.map((r) => ({ claim: r.claim, paper: r.paper, ours: `${r.measure}: ${formatCi(r.ci, r.unit)}`, verdict: r.verdict })) };
  writeFileSync(join(dir, CLAIMS_FILE), `${JSON.stringify(out, null, 2)}\n`);
}

/**
 * Vega-Lite layers that draw the paper's numbers on a plot: a dashed rule at
 * each value on `axis` with its label beside it.
 */
export function paperRules(marks: readonly { value: number; label: string }[], axis: 'x' | 'y'): object[] {
  if (marks.length === 0) return [];
  const values = marks.map((m) => ({ paperValue: m.value, paperLabel: m.label }));
  const pos = { field: 'paperValue', type: 'quantitative' };
  // One text layer per mark, each a line lower than the last, so that labels of close values do not overprint.
  const labels = marks.map((m, i) => ({
    data: { values: [{ paperValue: m.value, paperLabel: m.label }] },
    mark: axis === 'y' ? { type: 'text', align: 'left', dx: 4, dy: -6, fontSize: 10, color: '#333' } : { type: 'text', align: 'left', dx: 3, dy: 2 + 12 * i, fontSize: 10, color: '#333', baseline: 'top' },
    encoding: axis === 'y' ? { y: pos, x: { value: 0 }, text: { field: 'paperLabel' } } : { x: pos, y: { value: 0 }, text: { field: 'paperLabel' } },
  }));
  return [{ data: { values }, mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { [axis]: pos } }, ...labels];
}
