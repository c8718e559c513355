import type { RoundEvent } from '../../src/experiments/events.js';
import type { DashboardInfo, RunRow, RunSnapshot } from '../../src/ui/protocol.js';
import * as api from './api.js';
import { LineChart, PALETTE, type Line } from './charts.js';
import { fill, h } from './dom.js';
import { ago, num, pct, seconds } from './format.js';

/**
 * The runs below a directory (`qfl ui runs/`): a table (name, state, rounds,
 * final and best accuracy, time) with a checkbox per run; the ticked runs'
 * accuracy and loss curves overlaid. The list and unfinished runs' curves
 * are refreshed every REFRESH_MS.
 */

const REFRESH_MS = 3000;

const accuracyOf = (e: RoundEvent): number | null => e.central?.accuracy ?? e.evaluate?.accuracy ?? null;
const lossOf = (e: RoundEvent): number | null => e.central?.loss ?? e.evaluate?.loss ?? e.fit.trainLoss ?? null;

/** Curves of several runs on one x axis: the union of their rounds, null where a run has no value. */
function overlay(runs: readonly { label: string; rounds: readonly RoundEvent[] }[], pick: (e: RoundEvent) => number | null): [number[], Line[]] {
  const xs = [...new Set(runs.flatMap((r) => r.rounds.map((e) => e.round)))].sort((a, b) => a - b);
  const lines = runs.map((r, i): Line => {
    const by = new Map(r.rounds.map((e) => [e.round, pick(e)]));
    return { label: r.label, color: PALETTE[i % PALETTE.length]!, values: xs.map((x) => by.get(x) ?? null) };
  });
  return [xs, lines];
}

/** A legend label: the run's last path segment, cut in the middle when long. */
function shortLabel(id: string): string {
  const last = id.split('/').pop() ?? id;
  return last.length <= 48 ? last : `${last.slice(0, 20)}…${last.slice(-26)}`;
}

export function browseView(root: HTMLElement, info: DashboardInfo): void {
  const checked = new Set<string>();
  const filter = h('input', { type: 'search', class: 'filter', placeholder: 'filter runs (part of the path or name)', 'aria-label': 'filter runs' });
  filter.oninput = () => drawTable();
  const snaps = new Map<string, RunSnapshot>();
  let rows: readonly RunRow[] = [];
  const body = h('tbody');
  const count = h('span', { class: 'muted' });
  const table = h(
    'table',
    { id: 'runs', class: 'runs' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), ...['run', 'state', 'rounds', 'final accuracy', 'best accuracy', 'final loss', 'time', 'updated'].map((t) => h('th', {}, t)))),
    body,
  );
  const accCard = h('section', { class: 'card', id: 'card-compare-accuracy' }, h('h2', {}, 'Accuracy'));
  const lossCard = h('section', { class: 'card', id: 'card-compare-loss' }, h('h2', {}, 'Loss'));
  fill(
    root,
    h('header', { class: 'top' }, h('div', { class: 'title' }, h('span', { class: 'logo' }, 'qfl'), h('h1', {}, info.name), h('span', { class: 'badge muted' }, 'runs'), count)),
    h('p', { class: 'dir muted' }, info.dir),
    h('main', { class: 'grid' }, h('section', { class: 'card wide' }, h('div', { class: 'card-head' }, h('h2', {}, 'Runs'), filter), h('div', { class: 'table-wrap tall' }, table)), accCard, lossCard),
  );
  const hint = 'tick runs in the table to compare their curves';
  const accChart = new LineChart(accCard, { title: 'central test accuracy (else client eval) per round', percent: true, yLabel: 'accuracy', height: 280, empty: hint });
  const lossChart = new LineChart(lossCard, { title: 'central test loss (else client eval, else train) per round', yLabel: 'loss', height: 280, empty: hint });
  accChart.el.id = 'chart-compare-accuracy';

  function drawCharts(): void {
    const runs = rows.filter((r) => checked.has(r.id) && snaps.has(r.id)).map((r) => ({ label: shortLabel(r.id || r.name), rounds: snaps.get(r.id)!.rounds }));
    accChart.update(...overlay(runs, accuracyOf));
    lossChart.update(...overlay(runs, lossOf));
  }

  async function load(id: string): Promise<void> {
    snaps.set(id, await api.run(id));
  }

  function drawTable(): void {
    count.textContent = `${rows.length} run${rows.length === 1 ? '' : 's'}`;
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = rows.filter((r) => checked.has(r.id) || words.every((w) => `${r.id} ${r.name}`.toLowerCase().includes(w)));
    fill(
      body,
      ...(rows.length === 0 ? [h('tr', {}, h('td', { colspan: '9', class: 'empty' }, 'no run directories here yet (a run directory holds events.jsonl)'))] : []),
      ...shown.map((r) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `compare ${r.id}` });
        box.checked = checked.has(r.id);
        box.onchange = () => {
          if (box.checked) {
            checked.add(r.id);
            load(r.id).then(drawCharts, () => undefined);
          } else {
            checked.delete(r.id);
            drawCharts();
          }
        };
        const link = h('a', { href: `/?run=${encodeURIComponent(r.id)}`, title: r.id }, r.id || r.name);
        return h(
          'tr',
          { 'data-run': r.id },
          h('td', {}, box),
          h('td', { class: 'name' }, link, r.name !== r.id.split('/').pop() ? h('span', { class: 'muted' }, ` ${r.name}`) : null),
          h('td', {}, h('span', { class: `badge st-${r.state}` }, r.state)),
          h('td', { class: 'n' }, `${r.rounds}${r.plannedRounds ? `/${r.plannedRounds}` : ''}`),
          h('td', { class: 'n' }, pct(r.finalAccuracy, 2)),
          h('td', { class: 'n' }, pct(r.bestAccuracy, 2)),
          h('td', { class: 'n' }, num(r.finalLoss, 4)),
          h('td', { class: 'n' }, seconds(r.seconds)),
          h('td', { class: 'n muted' }, ago(r.updated)),
        );
      }),
    );
  }

  async function refresh(): Promise<void> {
    try {
      rows = (await api.runs()).runs;
    } catch {
      return;
    }
    drawTable();
    // Curves of ticked runs still running are fetched again.
    const stale = rows.filter((r) => checked.has(r.id) && (r.state === 'running' || !snaps.has(r.id)));
    await Promise.all(stale.map((r) => load(r.id).catch(() => undefined)));
    drawCharts();
  }

  void refresh();
  setInterval(() => void refresh(), REFRESH_MS);
}
