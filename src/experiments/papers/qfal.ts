import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RoundEvent } from '../events.js';
import type { ChartSpec } from '../report/charts.js';
import { claimsTableHtml, formatCi, judge, writeClaimsFile, type Claim } from '../report/claims.js';
import { renderPlots } from '../report/index.js';
import { escapeHtml, page, plotsSection } from '../report/html.js';
import { readRunEvents } from '../report/read.js';
import { pointSeed } from '../report/seeds.js';
import { meanCi } from '../report/stats.js';
import type { SweepPoint } from '../report/summary.js';
import { ciCurveChart } from './ci-charts.js';

/**
 * The QFAL report (paper 000, arXiv 2502.21171): from a sweep over client
 * counts x adversarial-training coverage x seeds, the paper's four key
 * results checked on 95 % t-intervals over seeds (paired by seed), a
 * gradient-masking check (FGSM against PGD, accuracy against epsilon), clean
 * accuracy vs clients and robust accuracy vs epsilon with error bands.
 *
 * One clean accuracy per point: the eps = 0 accuracy on the attacked test
 * subset when the run measured one (so clean and robust numbers are on the
 * same images), else the central test accuracy.
 */
export interface QfalPoint {
  readonly label: string;
  readonly seed: number;
  readonly clients: number;
  readonly coverage: number;
  /** Anything else the point varies (embedding, layers), as a readable tag; 'base' for the first. */
  readonly variant: string;
  readonly clean: number;
  /** What `clean` was measured on. */
  readonly cleanOn: 'attacked subset' | 'central test set';
  /** attack -> [{eps, accuracy}] at the last round, eps > 0 only. */
  readonly robust: Readonly<Record<string, readonly { eps: number; accuracy: number }[]>>;
}

const MODERATE = [0.05, 0.1];
const STRONG = [0.3, 0.5];
const SKIP = new Set(['federation.clients', 'adversarial.coverage', 'seed']);

/** Reads the last round of every finished point of a QFAL sweep. */
export function readQfalPoints(sweepDir: string, points: readonly SweepPoint[], baseSeed = 0): QfalPoint[] {
  const out: QfalPoint[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    const last = [...log.rounds].reverse().find((r: RoundEvent) => r.robust && r.central);
    if (!last) continue;
    const o = p.overrides as Record<string, unknown>;
    const variant = Object.entries(o)
      .filter(([k]) => !SKIP.has(k))
      .map(([k, v]) => `${k.split('.').pop()}=${JSON.stringify(v)}`)
      .join(' ');
    const zero = last.robust!.flatMap((r) => r.points.filter((q) => q.eps === 0).map((q) => q.accuracy));
    out.push({
      label: p.label,
      seed: pointSeed(p, baseSeed),
      clients: Number(o['federation.clients'] ?? log.start?.clients ?? NaN),
      coverage: Number(o['adversarial.coverage'] ?? 0),
      variant: variant || 'base',
      clean: zero[0] ?? last.central!.accuracy,
      cleanOn: zero.length > 0 ? 'attacked subset' : 'central test set',
      robust: Object.fromEntries(last.robust!.map((r) => [r.attack, r.points.filter((q) => q.eps > 0)])),
    });
  }
  // The first point's variant (embedding, depth) is the base the paper's claims are checked on.
  const base = out[0]?.variant;
  return out.map((p) => (p.variant === base ? { ...p, variant: 'base' } : p));
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
export const robustAt = (p: QfalPoint, attack: string, eps: readonly number[]) =>
  mean((p.robust[attack] ?? []).filter((q) => eps.some((e) => near(e, q.eps))).map((q) => q.accuracy));

/** The base points by seed, with a lookup by (clients, coverage). */
function bySeed(points: readonly QfalPoint[]) {
  const base = points.filter((p) => p.variant === 'base');
  const seeds = [...new Set(base.map((p) => p.seed))].sort((a, b) => a - b);
  const clients = [...new Set(base.map((p) => p.clients))].sort((a, b) => a - b);
  const coverages = [...new Set(base.map((p) => p.coverage))].sort((a, b) => a - b);
  const at = (seed: number, n: number, c: number) => base.find((p) => p.seed === seed && p.clients === n && near(p.coverage, c));
  /** Per seed, the mean over client counts of f(n) (NaN where a point is missing). */
  const perSeed = (f: (seed: number, n: number) => number | undefined) => seeds.map((s) => mean(clients.map((n) => f(s, n) ?? NaN)));
  return { base, seeds, clients, coverages, at, perSeed };
}

/**
 * The paper's four key results as claims on per-seed values (each seed's
 * value averages over the client counts where the claim is not about them).
 * `attack` is the paper's test-time attack (FGSM).
 */
export function qfalClaims(points: readonly QfalPoint[], attack = 'fgsm'): Claim[] {
  const { seeds, clients, coverages, at, perSeed } = bySeed(points);
  const claims: Claim[] = [];
  const lo = clients[0];
  const hi = clients[clients.length - 1];
  if (lo !== undefined && hi !== undefined && lo !== hi) {
    claims.push({
      claim: 'Fewer clients yield higher clean-data accuracy.',
      paper: 'qualitative (5 > 10 > 15 clients)',
      measure: `clean accuracy, ${lo} minus ${hi} clients, coverage 0 %, paired by seed`,
      values: seeds.map((s) => (at(s, lo, 0)?.clean ?? NaN) - (at(s, hi, 0)?.clean ?? NaN)),
      test: { kind: 'above', threshold: 0 },
      unit: 'pp',
    });
  }
  for (const c of coverages.filter((c) => c > 0 && c < 1)) {
    claims.push({
      claim: `Partial adversarial training (${c * 100} % of clients) improves resilience to moderate perturbations ...`,
      paper: 'qualitative',
      measure: `${attack.toUpperCase()} accuracy at eps ${MODERATE.join('-')}, coverage ${c * 100} % minus 0 %, mean over client counts, paired by seed`,
      values: perSeed((s, n) => {
        const p = at(s, n, c);
        const p0 = at(s, n, 0);
        return p && p0 ? robustAt(p, attack, MODERATE) - robustAt(p0, attack, MODERATE) : undefined;
      }),
      test: { kind: 'above', threshold: 0 },
      unit: 'pp',
    });
    claims.push({
      claim: `... at the cost of baseline (clean) accuracy (${c * 100} %).`,
      paper: 'qualitative',
      measure: `clean accuracy, coverage 0 % minus ${c * 100} %, mean over client counts, paired by seed`,
      values: perSeed((s, n) => {
        const p = at(s, n, c);
        const p0 = at(s, n, 0);
        return p && p0 ? p0.clean - p.clean : undefined;
      }),
      test: { kind: 'above', threshold: 0 },
      unit: 'pp',
    });
  }
  const partial = coverages.filter((c) => c > 0 && c < 1);
  if (coverages.includes(1) && partial.length > 0) {
    claims.push({
      claim: 'Full adversarial training (100 %) may regain high clean accuracy ...',
      paper: 'qualitative',
      measure: `clean accuracy, coverage 100 % minus the mean of ${partial.map((c) => `${c * 100} %`).join(' and ')}, mean over client counts, paired by seed`,
      values: perSeed((s, n) => {
        const f = at(s, n, 1);
        const ps = partial.map((c) => at(s, n, c)?.clean ?? NaN);
        return f ? f.clean - mean(ps) : undefined;
      }),
      test: { kind: 'above', threshold: 0 },
      unit: 'pp',
    });
    for (const a of ['fgsm', 'pgd']) {
      if (!points.some((p) => p.robust[a])) continue;
      claims.push({
        claim: '... but remains vulnerable under stronger attacks.',
        paper: 'qualitative',
        measure: `${a.toUpperCase()} accuracy at eps ${STRONG.join('-')} as a share of clean accuracy, coverage 100 %, mean over client counts`,
        values: perSeed((s, n) => {
          const f = at(s, n, 1);
          return f ? robustAt(f, a, STRONG) / f.clean : undefined;
        }),
        test: { kind: 'below', threshold: 0.5 },
        unit: 'pct',
        note: 'vulnerable: the strong attack keeps less than half of the clean accuracy',
      });
    }
  }
  if (clients.length * coverages.length >= 3) {
    claims.push({
      claim: 'There is a trade-off between the robust and the standard objective.',
      paper: 'qualitative',
      measure: `per seed, the correlation of clean and moderate-eps ${attack.toUpperCase()} accuracy over the ${clients.length * coverages.length} (clients, coverage) points`,
      values: seeds.map((s) => {
        const pairs = clients.flatMap((n) => coverages.map((c) => at(s, n, c))).filter((p): p is QfalPoint => p !== undefined).map((p) => [p.clean, robustAt(p, attack, MODERATE)] as const);
        return correlation(pairs);
      }),
      test: { kind: 'below', threshold: 0 },
      unit: 'number',
    });
  }
  return claims;
}

/** Pearson correlation of pairs (NaN when either side is constant). */
export function correlation(pairs: readonly (readonly [number, number])[]): number {
  const ok = pairs.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const ma = mean(ok.map(([a]) => a));
  const mb = mean(ok.map(([, b]) => b));
  const cov = mean(ok.map(([a, b]) => (a - ma) * (b - mb)));
  const sd = Math.sqrt(mean(ok.map(([a]) => (a - ma) ** 2)) * mean(ok.map(([, b]) => (b - mb) ** 2)));
  return sd > 0 ? cov / sd : NaN;
}

/**
 * Signs of gradient masking (Athalye et al. 2018), per coverage, on per-seed
 * values averaged over client counts: a working attack's accuracy does not
 * rise with epsilon, and the iterative attack (PGD) is at least as strong as
 * the one-step one (FGSM). A supported row is a failed sanity check.
 */
export function maskingChecks(points: readonly QfalPoint[]): Claim[] {
  const { coverages, at, perSeed } = bySeed(points);
  const eps = [...new Set(points.flatMap((p) => (p.robust['fgsm'] ?? []).map((q) => q.eps)))].sort((a, b) => a - b);
  const checks: Claim[] = [];
  const mid = eps.find((e) => e >= 0.2 - 1e-9);
  const top = eps[eps.length - 1];
  for (const c of coverages) {
    if (mid !== undefined && top !== undefined && top > mid) {
      checks.push({
        claim: `Coverage ${c * 100} %: FGSM accuracy rises from eps ${mid} to eps ${top}.`,
        paper: 'a sign of masking or of one-step overshoot',
        measure: `FGSM accuracy at eps ${top} minus eps ${mid}`,
        values: perSeed((s, n) => {
          const p = at(s, n, c);
          return p ? robustAt(p, 'fgsm', [top]) - robustAt(p, 'fgsm', [mid]) : undefined;
        }),
        test: { kind: 'above', threshold: 0 },
        unit: 'pp',
      });
    }
    if (points.some((p) => p.robust['pgd']) && points.some((p) => p.robust['fgsm'])) {
      checks.push({
        claim: `Coverage ${c * 100} %: PGD is weaker than FGSM (leaves more accuracy) at eps ${MODERATE.join('-')}.`,
        paper: 'a sign of masked gradients',
        measure: `PGD minus FGSM accuracy at eps ${MODERATE.join('-')}`,
        values: perSeed((s, n) => {
          const p = at(s, n, c);
          return p ? robustAt(p, 'pgd', MODERATE) - robustAt(p, 'fgsm', MODERATE) : undefined;
        }),
        test: { kind: 'above', threshold: 0 },
        unit: 'pp',
      });
    }
  }
  return checks;
}

function charts(points: readonly QfalPoint[]): { name: string; spec: ChartSpec }[] {
  const base = points.filter((p) => p.variant === 'base');
  const cov = (c: number) => `coverage ${c * 100} %`;
  const out: { name: string; spec: ChartSpec }[] = [
    {
      name: 'qfal-clean-vs-clients',
      spec: ciCurveChart({
        title: 'Clean accuracy vs number of clients',
        subtitle: 'last round; mean over seeds, band: 95 % t-interval; the paper gives no number',
        points: base.map((p) => ({ setting: cov(p.coverage), x: p.clients, y: p.clean })),
        xTitle: 'clients',
        yTitle: 'clean accuracy',
        percent: true,
      }),
    },
  ];
  for (const attack of ['fgsm', 'pgd']) {
    const rows = base.flatMap((p) => (p.robust[attack] ?? []).map((q) => ({ setting: cov(p.coverage), x: q.eps, y: q.accuracy, facet: `${p.clients} clients` })));
    if (rows.length === 0) continue;
    out.push({
      name: `qfal-robust-vs-eps-${attack}`,
      spec: ciCurveChart({
        title: `Robust accuracy vs epsilon (${attack.toUpperCase()} at test time)`,
        subtitle: 'one panel per client count; mean over seeds, band: 95 % t-interval',
        points: rows,
        facetTitle: 'clients',
        xTitle: 'epsilon',
        yTitle: 'accuracy',
        percent: true,
      }),
    });
  }
  const variants = [...new Set(points.map((p) => p.variant))];
  if (variants.length > 1) {
    out.push({
      name: 'qfal-encoding',
      spec: ciCurveChart({
        title: 'Encoding and depth vs robustness (FGSM)',
        subtitle: 'mean over seeds and client counts per variant and coverage',
        points: points.flatMap((p) => (p.robust['fgsm'] ?? []).map((q) => ({ setting: `${p.variant}, ${cov(p.coverage)}`, x: q.eps, y: q.accuracy }))),
        xTitle: 'epsilon',
        yTitle: 'accuracy',
        percent: true,
      }),
    });
  }
  return out;
}

/** One row per (variant, clients, coverage): clean and each attack's accuracy per eps, as mean +- CI over seeds. */
function pointsTable(points: readonly QfalPoint[]): string {
  const keys = [...new Set(points.map((p) => `${p.variant}|${p.clients}|${p.coverage}`))];
  const attacks = ['fgsm', 'pgd'].filter((a) => points.some((p) => p.robust[a]));
  const eps = [...new Set(points.flatMap((p) => Object.values(p.robust).flatMap((r) => r.map((q) => q.eps))))].sort((a, b) => a - b);
  const head = `<tr><th>variant</th><th>clients</th><th>coverage</th><th>seeds</th><th>clean</th>${attacks.flatMap((a) => eps.map((e) => `<th>${a.toUpperCase()} ${e}</th>`)).join('')}</tr>`;
  const rows = keys.map((k) => {
    const ps = points.filter((p) => `${p.variant}|${p.clients}|${p.coverage}` === k);
    const p0 = ps[0]!;
    const cell = (xs: number[]) => `<td>${escapeHtml(formatCi(meanCi(xs), 'pct').replace(/ \(95 % CI, n = \d+\)/, ''))}</td>`;
    const robust = attacks.flatMap((a) => eps.map((e) => cell(ps.map((p) => robustAt(p, a, [e])))));
    return `<tr><td>${escapeHtml(p0.variant)}</td><td>${p0.clients}</td><td>${p0.coverage * 100} %</td><td>${ps.length}</td>${cell(ps.map((p) => p.clean))}${robust.join('')}</tr>`;
  });
  return `<div class="scroll"><table>${head}\n${rows.join('\n')}</table></div>`;
}

/** Writes `qfal.html` (and plots/qfal-*.png, claims.json) into the sweep directory; returns its path. */
export async function writeQfalReport(sweepDir: string, points: readonly SweepPoint[], baseSeed = 0): Promise<string> {
  const qp = readQfalPoints(sweepDir, points, baseSeed);
  const plots = await renderPlots(sweepDir, charts(qp));
  const results = qfalClaims(qp, 'fgsm').map(judge);
  const masking = maskingChecks(qp).map(judge);
  const seeds = [...new Set(qp.map((p) => p.seed))].sort((a, b) => a - b);
  const cleanOn = [...new Set(qp.map((p) => p.cleanOn))].join(' / ');
  const body = `<header><h1>QFAL: federated adversarial training</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>; ${qp.length} runs, seeds ${seeds.join(', ')}. Paper: QFAL, arXiv 2502.21171 (paper 000): FGSM adversarial examples made locally by a share of the clients, FedAvg, 5/10/15 clients, coverage 0-100 %, eps 0.01-0.5 on MNIST. Numbers are the last round of each run. Clean accuracy is measured on the ${escapeHtml(cleanOn)} (the same images the attacks perturb).</p></header>
<h2>The paper's key results against ours</h2>
${claimsTableHtml(results)}
<h2>Gradient-masking check</h2>
<p>An attack that works loses more accuracy as epsilon grows, and PGD (many steps) is at least as strong as FGSM (one step). A <b>supported</b> row below is a failed sanity check: robust accuracy that rises with epsilon, or a one-step attack beating the iterative one, means gradients are masked (or FGSM overshoots), and robust accuracy under FGSM then overstates robustness.</p>
${claimsTableHtml(masking)}
${plotsSection(plots)}
<h2>Points (mean ± 95 % t-interval over seeds)</h2>
${pointsTable(qp)}`;
  const path = join(sweepDir, 'qfal.html');
  writeFileSync(path, page('QFAL report', body));
  writeClaimsFile(sweepDir, { paper: '000', title: 'QFAL: clients x coverage x epsilon', report: 'qfal.html' }, results);
  return path;
}
