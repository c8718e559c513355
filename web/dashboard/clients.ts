import type { StartEvent } from '../../src/experiments/events.js';
import { CELL_STATUSES, type CellStatus, type ClientCell } from '../../src/ui/run-model.js';
import { fill, h } from './dom.js';

/** The per-client grid: one cell per client, coloured by its status in the round shown; hover gives the reason. */

export const STATUS_TEXT: Record<CellStatus, string> = {
  idle: 'not sampled',
  training: 'training',
  done: 'done',
  failed: 'failed',
  dropped: 'dropped',
  flagged: 'flagged',
};

export function renderGrid(grid: HTMLElement, legend: HTMLElement, cells: readonly ClientCell[], start: StartEvent | undefined): void {
  const malicious = new Set(start?.maliciousClients ?? []);
  const adversarial = new Set(start?.adversarialClients ?? []);
  fill(
    grid,
    ...cells.map((c) => {
      const notes = [malicious.has(c.id) ? 'Byzantine (config attacks)' : '', adversarial.has(c.id) ? 'adversarial training' : ''].filter(Boolean);
      const title = `client ${c.id}: ${STATUS_TEXT[c.status]}${c.reason ? ` — ${c.reason}` : ''}${notes.length ? ` (${notes.join(', ')})` : ''}`;
      const cls = ['cell', `s-${c.status}`, malicious.has(c.id) ? 'byz' : '', adversarial.has(c.id) ? 'adv' : ''].filter(Boolean).join(' ');
      return h('div', { class: cls, title, 'data-client': String(c.id), 'data-status': c.status }, String(c.id));
    }),
  );
  const counts = new Map<CellStatus, number>();
  for (const c of cells) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  fill(
    legend,
    ...CELL_STATUSES.filter((st) => st !== 'idle' || (counts.get('idle') ?? 0) > 0).map((st) =>
      h('span', { class: 'key' }, h('i', { class: `swatch s-${st}` }), `${STATUS_TEXT[st]} ${counts.get(st) ?? 0}`),
    ),
    malicious.size > 0 ? h('span', { class: 'key' }, h('i', { class: 'swatch s-done byz' }), 'Byzantine') : null,
    adversarial.size > 0 ? h('span', { class: 'key' }, h('i', { class: 'swatch s-done adv' }), 'adversarial training') : null,
  );
}
