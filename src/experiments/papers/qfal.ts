import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RoundEvent } from '../events.js';
import type { ChartSpec } from '../report/charts.js';
import { renderPlots } from '../report/index.js';
import { escapeHtml, keyValueTable, page, pct, plotsSection } from '../report/html.js';
import { readRunEvents } from '../report/read.js';
import type { SweepPoint } from '../report/summary.js';

/**
 * The QFAL report (paper 000, arXiv 2502.21171): from a sweep over client
 * counts and adversarial-training coverage, the clean accuracy vs clients,
 * robust accuracy vs epsilon per coverage, a coverage x epsilon heatmap, and
 * for each of the paper's four key results whether our numbers reproduce it.
 * Every point is the last round of one run of the sweep.
 */
export interface QfalPoint {
  readonly label: string;
  readonly clients: number;
  readonly coverage: number;
  /** Anything else the point varies (embedding, layers), as a readable tag. */
  readonly variant: string;
  readonly clean: number;
  /** attack -> [{eps, accuracy}] at the last round. */
  readonly robust: Readonly<Record<string, readonly { eps: number; accuracy: number }[]>>;
}

const MODERATE = [0.05, 0.1];
const STRONG = [0.3, 0.5];

/** Reads the last round of every finished point of a QFAL sweep. */
export function readQfalPoints(sweepDir: string, points: readonly SweepPoint[]): QfalPoint[] {
  const out: QfalPoint[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    const last = [...log.rounds].reverse().find((r: RoundEvent) => r.robust && r.central);
    if (!last) continue;
    const o = p.overrides as Record<string, unknown>;
    const variant = Object.entries(o)
      .filter(([k]) => k !== 'federation.clients' && k !== 'adversarial.coverage' && k !== 'seed')
      .map(([k, v]) => `${k.split('.').pop()}=${JSON.stringify(v)}`)
      .join(' ');
    out.push({
      label: p.label,
      clients: Number(o['federation.clients'] ?? log.start?.clients ?? NaN),
      coverage: Number(o['adversarial.coverage'] ?? 0),
      variant: variant || 'base',
      clean: last.central!.accuracy,
      robust: Object.fromEntries(last.robust!.map((r) => [r.attack, r.points])),
    });
  }
  // The first point's variant (embedding, depth) is the base the paper's claims are checked on.
  const base = out[0]?.variant;
  return out.map((p) => (p.variant === base ? { ...p, variant: 'base' } : p));
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const robustAt = (p: QfalPoint, attack: string, eps: readonly number[]) =>
  mean((p.robust[attack] ?? []).filter((q) => eps.some((e) => Math.abs(e - q.eps) < 1e-12)).map((q) => q.accuracy));

export interface Claim {
  readonly claim: string;
  readonly ours: string;
  readonly reproduced: 'yes' | 'no' | 'partly' | 'not measured';
}

/** The paper's four key results, checked against the base variant's points. */
export function qfalClaims(points: readonly QfalPoint[], attack: string): Claim[] {
  const base = points.filter((p) => p.variant === 'base');
  const clientsList = [...new Set(base.map((p) => p.clients))].sort((a, b) => a - b);
  const at = (clients: number, coverage: number) => base.find((p) => p.clients === clients && Math.abs(p.coverage - coverage) < 1e-9);
  const claims: Claim[] = [];

  // 1. Fewer clients, higher clean accuracy (no adversarial training).
  const clean0 = clientsList.map((n) => at(n, 0)?.clean);
  if (clean0.every((v) => v !== undefined) && clean0.length >= 2) {
    const v = clean0 as number[];
    const monotone = v.every((x, i) => i === 0 || x <= v[i - 1]! + 1e-12);
    const endsLower = v[v.length - 1]! < v[0]!;
    claims.push({
      claim: 'Fewer clients yield higher clean-data accuracy.',
      ours: clientsList.map((n, i) => `${n} clients: ${pct(v[i])}`).join(', ') + ' (coverage 0 %)',
      reproduced: monotone && endsLower ? 'yes' : endsLower ? 'partly' : 'no',
    });
  } else claims.push({ claim: 'Fewer clients yield higher clean-data accuracy.', ours: 'needs coverage 0 at several client counts', reproduced: 'not measured' });

  // 2. Partial coverage (20-50 %) improves robustness at moderate eps, at some clean-accuracy cost.
  const partial = clientsList.flatMap((n) => [0.2, 0.5].map((c) => ({ n, c, p: at(n, c), p0: at(n, 0) }))).filter((x) => x.p && x.p0);
  if (partial.length > 0) {
    const better = partial.filter((x) => robustAt(x.p!, attack, MODERATE) > robustAt(x.p0!, attack, MODERATE));
    const cost = partial.filter((x) => x.p!.clean < x.p0!.clean);
    const text = partial
      .map((x) => `${x.n} clients, ${x.c * 100} %: robust ${pct(robustAt(x.p!, attack, MODERATE))} vs ${pct(robustAt(x.p0!, attack, MODERATE))}, clean ${pct(x.p!.clean)} vs ${pct(x.p0!.clean)}`)
      .join('; ');
    claims.push({
      claim: 'Partial adversarial training (20-50 %) improves resilience to moderate perturbations at the cost of baseline accuracy.',
      ours: `${better.length}/${partial.length} partial settings more robust at eps ${MODERATE.join('-')} than coverage 0, ${cost.length}/${partial.length} with lower clean accuracy. ${text}`,
      reproduced: better.length === partial.length && cost.length === partial.length ? 'yes' : better.length > partial.length / 2 ? 'partly' : 'no',
    });
  }

  // 3. Full coverage may regain clean accuracy but stays vulnerable to strong attacks.
  const full = clientsList.map((n) => ({ n, f: at(n, 1), parts: [at(n, 0.2), at(n, 0.5)].filter((p): p is QfalPoint => p !== undefined) })).filter((x) => x.f && x.parts.length);
  if (full.length > 0) {
    const regains = full.filter((x) => x.f!.clean >= Math.max(...x.parts.map((p) => p.clean)));
    const vulnerable = full.filter((x) => robustAt(x.f!, attack, STRONG) < 0.5 * x.f!.clean);
    claims.push({
      claim: 'Full adversarial training (100 %) may regain high clean accuracy but remains vulnerable under stronger attacks.',
      ours: full
        .map((x) => `${x.n} clients: clean ${pct(x.f!.clean)} (best partial ${pct(Math.max(...x.parts.map((p) => p.clean)))}), robust at eps ${STRONG.join('-')} ${pct(robustAt(x.f!, attack, STRONG))}`)
        .join('; '),
      reproduced: regains.length === full.length && vulnerable.length === full.length ? 'yes' : regains.length > 0 || vulnerable.length === full.length ? 'partly' : 'no',
    });
  }

  // 4. A trade-off: across coverages, higher robust accuracy comes with lower clean accuracy.
  const pairs = base.map((p) => [p.clean, robustAt(p, attack, MODERATE)] as const).filter(([, r]) => Number.isFinite(r));
  if (pairs.length >= 3) {
    const mc = mean(pairs.map(([c]) => c));
    const mr = mean(pairs.map(([, r]) => r));
    const cov = mean(pairs.map(([c, r]) => (c - mc) * (r - mr)));
    const sd = Math.sqrt(mean(pairs.map(([c]) => (c - mc) ** 2)) * mean(pairs.map(([, r]) => (r - mr) ** 2)));
    const corr = sd > 0 ? cov / sd : 0;
    claims.push({
      claim: 'There is a trade-off between the robust and the standard objective.',
      ours: `correlation of clean and moderate-eps robust accuracy over the ${pairs.length} base points: ${corr.toFixed(2)}`,
      reproduced: corr < -0.3 ? 'yes' : corr < 0 ? 'partly' : 'no',
    });
  }
  return claims;
}

function charts(points: readonly QfalPoint[], attack: string): { name: string; spec: ChartSpec }[] {
  const base = points.filter((p) => p.variant === 'base');
  const clean = base.map((p) => ({ clients: p.clients, coverage: `${p.coverage * 100} %`, accuracy: p.clean }));
  const robust = base.flatMap((p) =>
    (p.robust[attack] ?? []).map((q) => ({ clients: p.clients, coverage: `${p.coverage * 100} %`, eps: q.eps, accuracy: q.accuracy })),
  );
  const heat = robust.map((r) => ({ ...r, eps: String(r.eps) }));
  const variants = points.flatMap((p) => (p.robust[attack] ?? []).map((q) => ({ variant: `${p.variant}, ${p.coverage * 100} %`, eps: q.eps, accuracy: q.accuracy, clients: p.clients })));
  const out: { name: string; spec: ChartSpec }[] = [
    {
      name: 'qfal-clean-vs-clients',
      spec: {
        title: { text: 'Clean accuracy vs number of clients', subtitle: 'last round, central test set; one line per adversarial coverage' },
        width: 420,
        height: 240,
        data: { values: clean },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'clients', type: 'ordinal', title: 'clients' },
          y: { field: 'accuracy', type: 'quantitative', title: 'clean accuracy', axis: { format: '%' } },
          color: { field: 'coverage', type: 'nominal', title: 'coverage', sort: null },
        },
      },
    },
    {
      name: 'qfal-robust-vs-eps',
      spec: {
        title: { text: `Robust accuracy vs epsilon (${attack.toUpperCase()} at test time)`, subtitle: 'one curve per adversarial coverage, one panel per client count' },
        data: { values: robust },
        facet: { column: { field: 'clients', type: 'ordinal', title: 'clients', sort: 'ascending' } },
        spec: {
          width: 220,
          height: 200,
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'eps', type: 'quantitative', title: 'epsilon' },
            y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '%' } },
            color: { field: 'coverage', type: 'nominal', title: 'coverage', sort: null },
          },
        },
      },
    },
    {
      name: 'qfal-heatmap',
      spec: {
        title: { text: 'Robust accuracy: coverage x epsilon', subtitle: `${attack.toUpperCase()} at test time, one panel per client count` },
        data: { values: heat },
        facet: { column: { field: 'clients', type: 'ordinal', title: 'clients', sort: 'ascending' } },
        spec: {
          width: 200,
          height: 120,
          encoding: {
            x: { field: 'eps', type: 'ordinal', title: 'epsilon', sort: null },
            y: { field: 'coverage', type: 'ordinal', title: 'coverage', sort: null },
          },
          layer: [
            { mark: 'rect', encoding: { color: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1], scheme: 'viridis' } } } },
            { mark: { type: 'text', fontSize: 9 }, encoding: { text: { field: 'accuracy', type: 'quantitative', format: '.0%' }, color: { value: 'white' } } },
          ],
        },
      },
    },
  ];
  if (new Set(points.map((p) => p.variant)).size > 1) {
    out.push({
      name: 'qfal-encoding',
      spec: {
        title: { text: 'Encoding and depth vs robustness', subtitle: 'robust accuracy vs epsilon per variant and coverage' },
        width: 420,
        height: 260,
        data: { values: variants },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'eps', type: 'quantitative', title: 'epsilon' },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '%' } },
          color: { field: 'variant', type: 'nominal', title: 'variant, coverage' },
        },
      },
    });
  }
  return out;
}

/** Writes `qfal.html` (and plots/qfal-*.png) into the sweep directory; returns its path. */
export async function writeQfalReport(sweepDir: string, points: readonly SweepPoint[], attack = 'fgsm'): Promise<string> {
  const qp = readQfalPoints(sweepDir, points);
  const plots = await renderPlots(sweepDir, charts(qp, attack));
  const claims = qfalClaims(qp, attack);
  const claimRows = claims
    .map((c) => `<tr><td>${escapeHtml(c.claim)}</td><td>${escapeHtml(c.ours)}</td><td><b>${c.reproduced}</b></td></tr>`)
    .join('\n');
  const body = `<header><h1>QFAL: federated adversarial training</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>; ${qp.length} points read. Paper: QFAL, arXiv 2502.21171 (paper 000). Numbers are the last round of each run; robust accuracy uses ${escapeHtml(attack.toUpperCase())} at test time on the central test subset.</p></header>
<h2>The paper's key results against ours</h2>
<table><tr><th>paper's claim</th><th>our numbers</th><th>reproduced?</th></tr>
${claimRows}</table>
${plotsSection(plots)}
<h2>Points</h2>
${keyValueTable(qp.map((p) => [p.label, `clean ${pct(p.clean)}; ${attack} ${(p.robust[attack] ?? []).map((q) => `${q.eps}: ${pct(q.accuracy)}`).join(', ')}`] as const))}`;
  const path = join(sweepDir, 'qfal.html');
  writeFileSync(path, page('QFAL report', body));
  return path;
}
