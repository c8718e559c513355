import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from '../report/charts.js';
import { renderPlots } from '../report/index.js';
import { escapeHtml, formatBytes, page, pct, plotsSection } from '../report/html.js';
import { readRunEvents } from '../report/read.js';
import type { SweepPoint } from '../report/summary.js';

/**
 * The QuNetQFL report (paper 002, arXiv 2501.12709): per sweep point the
 * final accuracy, the uplink traffic (quantized payload and whole protocol
 * against float32 updates), the QKD key consumed and the simulated time
 * rounds waited for key, beside the paper's figures.
 */
export interface QunetRow {
  readonly label: string;
  readonly clients: number;
  /** 'float32' without secure aggregation, else `${bits}-bit` (+ ' masked'). */
  readonly scheme: string;
  readonly accuracy: number | undefined;
  readonly rounds: number;
  readonly bytesUp: number;
  readonly payloadUp: number;
  readonly float32Up: number;
  readonly keyBits: number;
  readonly keyWaitSeconds: number;
  readonly data: string;
}

export function readQunetRows(sweepDir: string, points: readonly SweepPoint[]): QunetRow[] {
  const rows: QunetRow[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    if (log.rounds.length === 0) continue;
    const sum = (f: (r: (typeof log.rounds)[number]) => number) => log.rounds.reduce((s, r) => s + f(r), 0);
    const last = log.rounds[log.rounds.length - 1]!;
    const sec = last.secure;
    const o = p.overrides as Record<string, unknown>;
    rows.push({
      label: p.label,
      clients: log.start?.clients ?? NaN,
      scheme: sec ? `${sec.bits}-bit${sec.keyBits > 0 ? ' masked' : ''}` : 'float32',
      accuracy: log.end?.final?.accuracy ?? last.central?.accuracy,
      rounds: log.rounds.length,
      bytesUp: sum((r) => r.bytes.up),
      payloadUp: sum((r) => r.secure?.bytesUpPayload ?? (r.bytes.up / 8) * 4),
      float32Up: sum((r) => r.secure?.bytesUpFloat32 ?? (r.bytes.up / 8) * 4),
      keyBits: sum((r) => r.secure?.keyBits ?? 0),
      keyWaitSeconds: sum((r) => r.secure?.keyWaitSeconds ?? 0),
      data: String(o['data.name'] ?? ''),
    });
  }
  return rows;
}

function charts(rows: readonly QunetRow[]): { name: string; spec: ChartSpec }[] {
  const values = rows.map((r) => ({ point: `${r.clients} clients, ${r.scheme}`, saving: 1 - r.payloadUp / r.float32Up, accuracy: r.accuracy ?? null }));
  return [
    {
      name: 'qunetqfl-accuracy',
      spec: {
        title: { text: 'Final accuracy per aggregation scheme', subtitle: 'central test set, last round' },
        width: 420,
        height: Math.max(120, 22 * values.length),
        data: { values },
        mark: 'bar',
        encoding: {
          y: { field: 'point', type: 'nominal', title: null, sort: null },
          x: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '%' }, scale: { domain: [0, 1] } },
        },
      },
    },
    {
      name: 'qunetqfl-traffic',
      spec: {
        title: { text: 'Uplink payload saved against float32 updates', subtitle: 'quantized vectors at the working modulus (q + log2 clients bits)' },
        width: 420,
        height: Math.max(120, 22 * values.length),
        data: { values },
        mark: 'bar',
        encoding: {
          y: { field: 'point', type: 'nominal', title: null, sort: null },
          x: { field: 'saving', type: 'quantitative', title: 'traffic saved', axis: { format: '%' }, scale: { domain: [0, 1] } },
        },
      },
    },
  ];
}

/** Writes `qunetqfl.html` (and plots) into the sweep directory; returns its path. */
export async function writeQunetReport(sweepDir: string, points: readonly SweepPoint[]): Promise<string> {
  const rows = readQunetRows(sweepDir, points);
  const plots = await renderPlots(sweepDir, charts(rows));
  const tr = rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.label)}</td><td>${r.clients}</td><td>${escapeHtml(r.scheme)}</td><td>${pct(r.accuracy)}</td>` +
        `<td>${formatBytes(r.payloadUp / r.rounds)}</td><td>${formatBytes(r.bytesUp / r.rounds)}</td><td>${formatBytes(r.float32Up / r.rounds)}</td>` +
        `<td>${pct(1 - r.payloadUp / r.float32Up)}</td><td>${(r.keyBits / r.rounds).toFixed(0)}</td><td>${(r.keyWaitSeconds / r.rounds).toFixed(3)} s</td></tr>`,
    )
    .join('\n');
  const body = `<header><h1>QuNetQFL: quantized updates, QKD-masked secure aggregation</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>. Paper: QuNetQFL, arXiv 2501.12709 (paper 002). Per-round figures are means over the run's rounds.</p></header>
<h2>The paper's figures beside ours</h2>
<table>
<tr><th>paper 002</th><th>ours</th></tr>
<tr><td>MNIST, 4-qubit 3-layer HEA with amplitude embedding: accuracy about 97 % at 8 bits</td><td>${escapeHtml(rows.filter((r) => r.scheme.startsWith('8-bit')).map((r) => `${r.clients} clients: ${pct(r.accuracy)}`).join('; ') || 'no 8-bit point')}</td></tr>
<tr><td>75 % less communication at 8 bits than float32</td><td>${escapeHtml(rows.filter((r) => r.scheme.startsWith('8-bit')).map((r) => `${r.clients} clients: payload ${pct(1 - r.payloadUp / r.float32Up)} less (the working modulus adds log2(clients) bits); whole protocol with Shamir shares: ${(r.bytesUp / r.float32Up).toFixed(2)}x the float32 bytes`).join('; ') || 'no 8-bit point')}</td></tr>
<tr><td>key rate above 32.8 kbps for 4 clients sustains training</td><td>${escapeHtml(rows.filter((r) => r.keyBits > 0).map((r) => `${r.clients} clients, ${r.scheme}: ${(r.keyBits / r.rounds).toFixed(0)} key bits per round, ${(r.keyWaitSeconds / r.rounds).toFixed(3)} s per round waiting for key at the configured rate`).join('; ') || 'no masked point')}</td></tr>
</table>
<h2>Points</h2>
<table><tr><th>point</th><th>clients</th><th>scheme</th><th>accuracy</th><th>payload up / round</th><th>all up / round</th><th>float32 up / round</th><th>payload saved</th><th>key bits / round</th><th>key wait / round</th></tr>
${tr}</table>
${plotsSection(plots)}`;
  const path = join(sweepDir, 'qunetqfl.html');
  writeFileSync(path, page('QuNetQFL report', body));
  return path;
}
