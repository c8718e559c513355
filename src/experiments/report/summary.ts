import type { RoundEvent } from '../events.js';
import type { RunLog } from './read.js';

/**
 * What a run came to, in numbers: the final metrics a report's table shows
 * and a sweep's summary.csv holds, one row per sweep point.
 */

/** One point of a sweep: its label, its run directory (absolute or relative to the sweep directory) and the config keys it overrides. */
export interface SweepPoint {
  readonly label: string;
  readonly dir: string;
  readonly overrides: Readonly<Record<string, unknown>>;
}

export type RunStatus = 'finished' | 'incomplete' | 'no rounds' | 'no events';

export interface RunSummary {
  readonly status: RunStatus;
  /** Rounds recorded (after resumes), and the last round's number. */
  readonly rounds: number;
  readonly lastRound?: number;
  readonly plannedRounds?: number;
  readonly clients?: number;
  readonly parameters?: number;
  readonly resumes: number;
  /** The last recorded round's metrics (undefined where not recorded, or not finite). */
  readonly trainLoss?: number;
  readonly trainAccuracy?: number;
  readonly evalLoss?: number;
  readonly evalAccuracy?: number;
  readonly centralLoss?: number;
  readonly centralAccuracy?: number;
  /**
   * The run's final accuracy: the end event's `final` when there is one,
   * else the last round's central test accuracy, else its client-eval accuracy.
   */
  readonly finalAccuracy?: number;
  readonly finalLoss?: number;
  /** The best central (else client-eval) accuracy over the rounds, and its round. */
  readonly bestAccuracy?: number;
  readonly bestRound?: number;
  /** Wall time: the end event's, else the sum of the recorded rounds'. */
  readonly seconds?: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Client failures summed over rounds. */
  readonly failures: number;
}

const num = (v: number | null | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Copies the defined entries only (exactOptionalPropertyTypes: absent, never undefined). */
function defined<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function evalAccuracy(e: RoundEvent): number | undefined {
  return num(e.central?.accuracy) ?? num(e.evaluate?.accuracy);
}

/** Sums and final values of a run's events. */
export function summarizeRun(log: RunLog | undefined): RunSummary {
  if (log === undefined) return { status: 'no events', rounds: 0, resumes: 0, bytesUp: 0, bytesDown: 0, failures: 0 };
  const rounds = log.rounds;
  const last = rounds[rounds.length - 1];
  let best: { acc: number; round: number } | undefined;
  let bytesUp = 0;
  let bytesDown = 0;
  let failures = 0;
  let seconds = 0;
  for (const e of rounds) {
    const a = evalAccuracy(e);
    if (a !== undefined && (best === undefined || a > best.acc)) best = { acc: a, round: e.round };
    bytesUp += num(e.bytes.up) ?? 0;
    bytesDown += num(e.bytes.down) ?? 0;
    failures += Array.isArray(e.fit.failures) ? e.fit.failures.length : 0;
    seconds += num(e.seconds.total) ?? 0;
  }
  const status: RunStatus = log.end ? 'finished' : rounds.length === 0 ? 'no rounds' : 'incomplete';
  return defined<RunSummary>({
    status,
    rounds: rounds.length,
    lastRound: last?.round,
    plannedRounds: log.start?.rounds,
    clients: log.start?.clients,
    parameters: log.start?.parameters,
    resumes: log.resumes.length,
    trainLoss: num(last?.fit.trainLoss),
    trainAccuracy: num(last?.fit.trainAccuracy),
    evalLoss: num(last?.evaluate?.loss),
    evalAccuracy: num(last?.evaluate?.accuracy),
    centralLoss: num(last?.central?.loss),
    centralAccuracy: num(last?.central?.accuracy),
    finalAccuracy: num(log.end?.final?.accuracy) ?? (last && evalAccuracy(last)),
    finalLoss: num(log.end?.final?.loss) ?? num(last?.central?.loss) ?? num(last?.evaluate?.loss),
    bestAccuracy: best?.acc,
    bestRound: best?.round,
    seconds: num(log.end?.seconds) ?? (rounds.length ? seconds : undefined),
    bytesUp,
    bytesDown,
    failures,
  });
}

/** The columns of a summary row after the label and the overrides, in order. */
export const SUMMARY_COLUMNS = [
  'status',
  'rounds',
  'final_accuracy',
  'final_loss',
  'best_accuracy',
  'best_round',
  'train_loss',
  'train_accuracy',
  'eval_loss',
  'eval_accuracy',
  'central_loss',
  'central_accuracy',
  'seconds',
  'bytes_up',
  'bytes_down',
  'failures',
] as const;

export type SummaryRow = Readonly<Record<string, unknown>>;

/** One row of a sweep's summary: label, dir, each override under its own key, then SUMMARY_COLUMNS. */
export function summaryRow(point: SweepPoint, s: RunSummary): SummaryRow {
  return {
    label: point.label,
    dir: point.dir,
    ...point.overrides,
    status: s.status,
    rounds: s.rounds,
    final_accuracy: s.finalAccuracy,
    final_loss: s.finalLoss,
    best_accuracy: s.bestAccuracy,
    best_round: s.bestRound,
    train_loss: s.trainLoss,
    train_accuracy: s.trainAccuracy,
    eval_loss: s.evalLoss,
    eval_accuracy: s.evalAccuracy,
    central_loss: s.centralLoss,
    central_accuracy: s.centralAccuracy,
    seconds: s.seconds,
    bytes_up: s.bytesUp,
    bytes_down: s.bytesDown,
    failures: s.failures,
  };
}

/** The columns of `rows` in first-seen order. */
export function columnsOf(rows: readonly SummaryRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** A cell's text: empty for absent values, JSON for objects and arrays. */
export function cellText(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** Quotes a CSV field (RFC 4180) when it holds a comma, a quote, a line break or edge spaces; quotes inside are doubled. */
export function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Sweep results as CSV text: a header line, then one line per row, `\n` line
 * ends and a final newline. Columns are `columns` when given, else every key
 * of the rows in first-seen order; a row without a column leaves it empty.
 *
 * @example
 * summaryCsv([{ label: 'lr=0.1, mu=0', final_accuracy: 0.91 }])
 * // 'label,final_accuracy\n"lr=0.1, mu=0",0.91\n'
 */
export function summaryCsv(rows: readonly SummaryRow[], columns: readonly string[] = columnsOf(rows)): string {
  const lines = [columns.map(csvField).join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvField(cellText(r[c]))).join(','));
  return `${lines.join('\n')}\n`;
}

function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, JSON.stringify(v ?? null));
  }
}

/**
 * The config keys (dotted paths) whose values differ between the points'
 * resolved configs, and each point's values for them: what a sweep varied,
 * recovered from its run directories. A point without a config gets none.
 *
 * @example
 * configOverrides([{ fl: { lr: 0.1, rounds: 5 } }, { fl: { lr: 0.3, rounds: 5 } }])
 * // [{ 'fl.lr': 0.1 }, { 'fl.lr': 0.3 }]
 */
export function configOverrides(configs: readonly unknown[]): Record<string, unknown>[] {
  const flat = configs.map((c) => {
    const m = new Map<string, string>();
    if (c !== undefined) flatten(c, '', m);
    return m;
  });
  const keys = new Set<string>();
  for (const m of flat) for (const k of m.keys()) keys.add(k);
  const varying = [...keys].filter((k) => new Set(flat.filter((_, i) => configs[i] !== undefined).map((m) => m.get(k) ?? '<absent>')).size > 1);
  return flat.map((m, i) => {
    const o: Record<string, unknown> = {};
    if (configs[i] === undefined) return o;
    for (const k of varying) {
      const v = m.get(k);
      if (v !== undefined) o[k] = JSON.parse(v) as unknown;
    }
    return o;
  });
}
