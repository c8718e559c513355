import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartSpec } from '../report/charts.js';
import { renderPlots } from '../report/index.js';
import { escapeHtml, page, pct, plotsSection } from '../report/html.js';
import { readRunEvents } from '../report/read.js';
import type { SweepPoint } from '../report/summary.js';

/** The DP report: final accuracy against the epsilon spent, one point per noise multiplier. */
export async function writeDpReport(sweepDir: string, points: readonly SweepPoint[]): Promise<string> {
  const rows: { z: number; epsilon: number | null; delta: number | null; accuracy: number | null; rounds: number }[] = [];
  for (const p of points) {
    const dir = join(sweepDir, p.dir);
    if (!existsSync(join(dir, 'events.jsonl'))) continue;
    const log = readRunEvents(dir);
    const last = log.rounds[log.rounds.length - 1];
    if (!last) continue;
    const eps = last.dp?.epsilon;
    rows.push({
      z: Number((p.overrides as Record<string, unknown>)['dp.noise_multiplier'] ?? NaN),
      epsilon: typeof eps === 'number' && Number.isFinite(eps) ? eps : null,
      delta: last.dp?.delta ?? null,
      accuracy: log.end?.final?.accuracy ?? last.central?.accuracy ?? null,
      rounds: log.rounds.length,
    });
  }
  rows.sort((a, b) => a.z - b.z);
  const spec: ChartSpec = {
    title: { text: 'Accuracy vs privacy spent (DP-FedAvg)', subtitle: 'one point per noise multiplier; epsilon after the last round (no noise: epsilon is infinite, not shown)' },
    width: 420,
    height: 260,
    data: { values: rows.filter((r) => r.epsilon !== null) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epsilon', type: 'quantitative', title: 'epsilon', scale: { type: 'log' } },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', axis: { format: '%' } },
      tooltip: [{ field: 'z', title: 'noise multiplier' }],
    },
  };
  const plots = await renderPlots(sweepDir, [{ name: 'dp-accuracy-vs-epsilon', spec }]);
  const table = rows
    .map((x) => `<tr><td>${x.z}</td><td>${x.epsilon === null ? '∞' : x.epsilon.toFixed(2)}</td><td>${x.delta ?? '–'}</td><td>${pct(x.accuracy ?? undefined)}</td><td>${x.rounds}</td></tr>`)
    .join('\n');
  const body = `<header><h1>Client-level differential privacy</h1>
<p class="meta">Sweep <code>${escapeHtml(sweepDir)}</code>. Epsilon from the RDP accountant of the sampled Gaussian mechanism (Mironov et al. 2019), composed over rounds.</p></header>
<table><tr><th>noise multiplier</th><th>epsilon</th><th>delta</th><th>final accuracy</th><th>rounds</th></tr>
${table}</table>
${plotsSection(plots)}`;
  const path = join(sweepDir, 'dp.html');
  writeFileSync(path, page('DP report', body));
  return path;
}
