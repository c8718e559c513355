import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claimsTableHtml, formatCi, judge, writeClaimsFile, type Claim } from '../report/claims.js';
import { renderPlots } from '../report/index.js';
import { escapeHtml, formatBytes, page, plotsSection } from '../report/html.js';
import { readRunConfig, readRunEvents } from '../report/read.js';
import { pointSeed } from '../report/seeds.js';
import { meanCi, pairedDifferences } from '../report/stats.js';
import type { SweepPoint } from '../report/summary.js';
import { ciBarChart, ciRows } from './ci-charts.js';

/**
 * The QuNetQFL report (paper 002, arXiv 2501.12709): per setting (data set,
 * clients, aggregation scheme) over seeds, the final accuracy, the uplink
 * traffic (quantized payload and whole protocol against float32 updates), the
 * QKD key consumed and the simulated time rounds waited for key; the paper's
 * claims checked on 95 % t-intervals, its numbers drawn on the plots.
 */
export interface QunetRow {
  readonly label: string;
  readonly seed: number;
  /** The data set, as a reader names it: 'MNIST 0/1', 'entanglement (6 qubits)'. */
  readonly data: string;
  readonly dataName: string;
  readonly clients: number;
  /** 'float32' without secure aggregation, else `${bits}-bit` (+ ' masked'). */
  readonly scheme: string;
  readonly bits?: number;
  /** The quantizer's clip (per coordinate), where updates were quantized. */
  readonly clip?: number;
  readonly accuracy: number | undefined;
  readonly rounds: number;
  readonly bytesUp: number;
  readonly payloadUp: number;
  readonly float32Up: number;
  readonly keyBits: number;
  readonly keyWaitSeconds: number;
}

interface PointConfig {
  data?: { name?: string; classes?: number[]; qubits?: number };
  secure_aggregation?: { bits?: number; clip?: number } | null;
}

function dataLabel(d: PointConfig['data']): string {
  const name = d?.name ?? 'mnist';
  if (name === 'mnist') return d?.classes ? `MNIST ${d.classes.join('/')}` : 'MNIST';
  return `${name} (${d?.qubits ?? '?'} qubits)`;
}

export function readQunetRows(sweepDir: string, points: readonly SweepPoint[], baseSeed = 0): QunetRow[] {
  const rows: QunetRow[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    if (log.rounds.length === 0) continue;
    const cfg = (readRunConfig(dir)?.value ?? {}) as PointConfig;
    const sum = (f: (r: (typeof log.rounds)[number]) => number) => log.rounds.reduce((s, r) => s + f(r), 0);
    const last = log.rounds[log.rounds.length - 1]!;
    const sec = last.secure;
    const clip = cfg.secure_aggregation?.clip;
    rows.push({
      label: p.label,
      seed: pointSeed(p, baseSeed),
      data: dataLabel(cfg.data),
      dataName: cfg.data?.name ?? 'mnist',
      clients: log.start?.clients ?? NaN,
      scheme: sec ? `${sec.bits}-bit${sec.keyBits > 0 ? ' masked' : ''}${clip !== undefined ? `, clip ${clip}` : ''}` : 'float32',
      ...(sec ? { bits: sec.bits } : {}),
      ...(sec && clip !== undefined ? { clip } : {}),
      accuracy: log.end?.final?.accuracy ?? last.central?.accuracy,
      rounds: log.rounds.length,
      bytesUp: sum((r) => r.bytes.up),
      payloadUp: sum((r) => r.secure?.bytesUpPayload ?? (r.bytes.up / 8) * 4),
      float32Up: sum((r) => r.secure?.bytesUpFloat32 ?? (r.bytes.up / 8) * 4),
      keyBits: sum((r) => r.secure?.keyBits ?? 0),
      keyWaitSeconds: sum((r) => r.secure?.keyWaitSeconds ?? 0),
    });
  }
  return rows;
}

const settingOf = (r: QunetRow) => `${r.data}, ${r.clients} clients, ${r.scheme}`;

/** Rows grouped by setting, in first-seen order. */
function settings(rows: readonly QunetRow[]): { setting: string; rows: QunetRow[] }[] {
  const m = new Map<string, QunetRow[]>();
  for (const r of rows) m.set(settingOf(r), [...(m.get(settingOf(r)) ?? []), r]);
  return [...m].map(([setting, rs]) => ({ setting, rows: rs }));
}

const bySeed = (rows: readonly QunetRow[], f: (r: QunetRow) => number) => new Map(rows.map((r) => [r.seed, f(r)]));

/** Paper 002's claims, one row per setting they apply to. */
export function qunetClaims(rows: readonly QunetRow[]): Claim[] {
  const groups = settings(rows);
  const claims: Claim[] = [];
  for (const g of groups.filter((g) => g.rows[0]!.dataName === 'mnist' && g.rows[0]!.bits === 8)) {
    claims.push({
      claim: 'MNIST with the 4-qubit, 3-layer HEA (amplitude embedding) at 8 bits reaches about 97 %.',
      paper: '≈ 0.97',
      measure: `final test accuracy, ${g.setting}`,
      values: g.rows.map((r) => r.accuracy ?? NaN),
      test: { kind: 'near', value: 0.97, tolerance: 0.02 },
      unit: 'pct',
    });
    claims.push({
      claim: '8-bit quantization cuts communication by 75 % against float32.',
      paper: '75 %',
      measure: `uplink payload saved against float32, ${g.setting}`,
      values: g.rows.map((r) => 1 - r.payloadUp / r.float32Up),
      test: { kind: 'near', value: 0.75, tolerance: 0.02 },
      unit: 'pct',
      note: 'the payload travels at the working modulus, q + log2(clients) bits per coordinate, so it saves less than 1 - q/32',
    });
  }
  // Quantization keeps accuracy: float32 minus q-bit, same data and clients, paired by seed.
  for (const g of groups.filter((g) => g.rows[0]!.bits !== undefined)) {
    const r0 = g.rows[0]!;
    const float = groups.find((f) => f.rows[0]!.scheme === 'float32' && f.rows[0]!.data === r0.data && f.rows[0]!.clients === r0.clients);
    if (!float) continue;
    claims.push({
      claim: `Quantized, masked aggregation keeps the accuracy of float32 updates (${r0.scheme}).`,
      paper: '≈ 0.97 at 8 bits (no loss)',
      measure: `accuracy, float32 minus ${g.setting}, paired by seed`,
      values: pairedDifferences(bySeed(float.rows, (r) => r.accuracy ?? NaN), bySeed(g.rows, (r) => r.accuracy ?? NaN)),
      test: { kind: 'near', value: 0, tolerance: 0.01 },
      unit: 'pp',
      ...(r0.clip !== undefined && { note: `updates are clipped to ±${r0.clip} per coordinate before quantizing (secure_aggregation.clip): a deficit that is the same at every bit width comes from the clip, not from quantization` }),
    });
  }
  // Quantum data: accuracy with more clients (88.5 % -> 91.5 % for entanglement).
  for (const name of ['entanglement', 'magic']) {
    const gs = groups.filter((g) => g.rows[0]!.dataName === name).sort((a, b) => a.rows[0]!.clients - b.rows[0]!.clients);
    if (gs.length === 0) continue;
    const first = gs[0]!;
    const lastG = gs[gs.length - 1]!;
    if (name === 'entanglement') {
      claims.push({ claim: 'Entanglement data: 88.5 % with the fewest clients.', paper: '88.5 %', measure: `final test accuracy, ${first.setting}`, values: first.rows.map((r) => r.accuracy ?? NaN), test: { kind: 'near', value: 0.885, tolerance: 0.05 }, unit: 'pct' });
      claims.push({ claim: 'Entanglement data: 91.5 % with more clients.', paper: '91.5 %', measure: `final test accuracy, ${lastG.setting}`, values: lastG.rows.map((r) => r.accuracy ?? NaN), test: { kind: 'near', value: 0.915, tolerance: 0.05 }, unit: 'pct' });
    }
    if (gs.length > 1) {
      claims.push({
        claim: `${name === 'entanglement' ? 'Entanglement' : 'Non-stabilizerness (magic)'} data: accuracy improves when clients are added.`,
        paper: name === 'entanglement' ? '+3.0 pp (88.5 → 91.5 %)' : 'improves (no number in the summary)',
        measure: `accuracy, ${lastG.rows[0]!.clients} minus ${first.rows[0]!.clients} clients, paired by seed`,
        values: pairedDifferences(bySeed(lastG.rows, (r) => r.accuracy ?? NaN), bySeed(first.rows, (r) => r.accuracy ?? NaN)),
        test: { kind: 'above', threshold: 0 },
        unit: 'pp',
      });
    }
  }
  for (const g of groups.filter((g) => g.rows[0]!.keyBits > 0)) {
    claims.push({
      claim: 'A key rate above 32.8 kbps (4 clients) sustains training: rounds do not wait for key.',
      paper: '> 32.8 kbps',
      measure: `simulated seconds per round spent waiting for QKD key, ${g.setting}`,
      values: g.rows.map((r) => r.keyWaitSeconds / r.rounds),
      test: { kind: 'below', threshold: 1 },
      unit: 'number',
      note: 'the key rate is secure_aggregation.key_rate_bps as configured (or the relay chain\'s derived rate), not a model of the paper\'s Sagnac MDI-QKD network',
    });
  }
  return claims;
}

/** Writes `qunetqfl.html` (and plots, claims.json) into the sweep directory; returns its path. */
export async function writeQunetReport(sweepDir: string, points: readonly SweepPoint[], baseSeed = 0): Promise<string> {
  const rows = readQunetRows(sweepDir, points, baseSeed);
  const groups = settings(rows);
  const results = qunetClaims(rows).map(judge);
  const acc = ciRows(groups.map((g) => ({ setting: g.setting, values: g.rows.map((r) => r.accuracy ?? NaN) })));
  const saving = ciRows(groups.map((g) => ({ setting: g.setting, values: g.rows.map((r) => 1 - r.payloadUp / r.float32Up) })));
  const datasets = new Set(rows.map((r) => r.dataName));
  const paperAcc = [
    ...(datasets.has('mnist') ? [{ value: 0.97, label: 'paper: MNIST ≈ 97 %' }] : []),
    ...(datasets.has('entanglement') ? [{ value: 0.885, label: 'paper: entanglement 88.5 %' }, { value: 0.915, label: '91.5 %' }] : []),
  ];
  const plots = await renderPlots(sweepDir, [
    { name: 'qunetqfl-accuracy', spec: ciBarChart({ title: 'Final accuracy per setting', subtitle: 'central test set, last round; whisker: 95 % t-interval over seeds; dashed: the paper', rows: acc, xTitle: 'accuracy', percent: true, paper: paperAcc }) },
    {
      name: 'qunetqfl-traffic',
      spec: ciBarChart({
        title: 'Uplink payload saved against float32 updates',
        subtitle: 'quantized vectors at the working modulus (q + log2 clients bits); negative: more bytes than float32; dashed: the paper',
        rows: saving,
        xTitle: 'traffic saved',
        percent: true,
        paper: [{ value: 0.75, label: 'paper: 75 %' }],
      }),
    },
  ]);
  const tr = groups
    .map((g) => {
      const r0 = g.rows[0]!;
      const m = (f: (r: QunetRow) => number) => meanCi(g.rows.map(f))?.mean ?? NaN;
      return (
        `<tr><td>${escapeHtml(r0.data)}</td><td>${r0.clients}</td><td>${escapeHtml(r0.scheme)}</td><td>${g.rows.length}</td><td>${escapeHtml(formatCi(meanCi(g.rows.map((r) => r.accuracy ?? NaN)), 'pct'))}</td>` +
        `<td>${formatBytes(Math.round(m((r) => r.payloadUp / r.rounds)))}</td><td>${formatBytes(Math.round(m((r) => r.bytesUp / r.rounds)))}</td><td>${formatBytes(Math.round(m((r) => r.float32Up / r.rounds)))}</td>` +
        `<td>${m((r) => r.keyBits / r.rounds).toFixed(0)}</td><td>${m((r) => r.keyWaitSeconds / r.rounds).toFixed(3)} s</td></tr>`
      );
    })
    .join('\n');
  const seeds = [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b);
  const body = `<header><h1>QuNetQFL: quantized updates, QKD-masked secure aggregation</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>; ${rows.length} runs, seeds ${seeds.join(', ')}. Paper: QuNetQFL, arXiv 2501.12709 (paper 002). Per-round figures are means over the run's rounds, then over seeds.</p></header>
<h2>The paper's claims against ours</h2>
${claimsTableHtml(results)}
<h2>Settings</h2>
<div class="scroll"><table><tr><th>data set</th><th>clients</th><th>scheme</th><th>seeds</th><th>accuracy</th><th>payload up / round</th><th>all up / round</th><th>float32 up / round</th><th>key bits / round</th><th>key wait / round</th></tr>
${tr}</table></div>
${plotsSection(plots)}`;
  const path = join(sweepDir, 'qunetqfl.html');
  writeFileSync(path, page('QuNetQFL report', body));
  writeClaimsFile(sweepDir, { paper: '002', title: `QuNetQFL: ${[...new Set(rows.map((r) => r.data))].join(', ')}`, report: 'qunetqfl.html' }, results);
  return path;
}
