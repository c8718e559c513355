import type { EvaluateRes, FitRes, Metrics } from '../fl/messages.js';

/**
 * What the server believes of a node's answer before it uses it: the wire
 * codec has already checked shapes and finiteness (codec.ts); these checks
 * compare the values with what the server itself knows.
 *
 * - Metrics: at most MAX_METRICS keys of at most MAX_METRIC_KEY characters,
 *   each finite and inside its declared range (METRIC_RANGES; any other key
 *   within +-MAX_ABS_METRIC). An accuracy of 1e9 or a loss of Infinity would
 *   otherwise reach the weighted means, the events and the plots.
 * - num_examples: the server, not the node, owns the aggregation weights. It
 *   must equal the size of that client's partition as the server computes it
 *   from the config (train split for fit, test split for evaluate); a node
 *   training on data of its own (`qfl server --node-data`) may claim at most
 *   the size of the whole training set.
 * - Update norms, over a round (`screenNorms`): an update whose L2 norm
 *   exceeds the bound is refused or clipped to it. The bound is
 *   `normMultiple` times the round's lower median norm (default 10: honest
 *   clients of one round differ by a few times at most, a scaled attack by
 *   orders of magnitude), capped by an absolute `maxNorm` when given. The lower
 *   median is used so that with two updates the larger cannot set its own bound.
 */

export const METRIC_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  accuracy: [0, 1],
  loss: [0, 1e6],
  seconds: [0, 1e7],
};
export const MAX_METRICS = 64;
export const MAX_METRIC_KEY = 64;
export const MAX_ABS_METRIC = 1e12;
export const DEFAULT_NORM_MULTIPLE = 10;

/** The declared range of a metric key: exact names first, then any key containing 'accuracy'. */
export function metricRange(key: string): readonly [number, number] {
  return METRIC_RANGES[key] ?? (/accuracy/.test(key) ? METRIC_RANGES['accuracy']! : [-MAX_ABS_METRIC, MAX_ABS_METRIC]);
}

/** Why `metrics` is implausible, or undefined. */
export function checkMetrics(metrics: Metrics): string | undefined {
  const keys = Object.keys(metrics);
  if (keys.length > MAX_METRICS) return `${keys.length} metrics, at most ${MAX_METRICS} accepted`;
  for (const k of keys) {
    if (k.length > MAX_METRIC_KEY) return `metric name of ${k.length} characters, at most ${MAX_METRIC_KEY}`;
    const v = metrics[k]!;
    const [lo, hi] = metricRange(k);
    if (!(typeof v === 'number' && Number.isFinite(v))) return `metric ${k} is ${v}; metrics must be finite`;
    if (v < lo || v > hi) return `metric ${k} = ${v} is outside its range [${lo}, ${hi}]`;
  }
  return undefined;
}

export interface PlausibilityRules {
  /** The partition size the server knows for a client (train split for fit, test for evaluate). */
  readonly expectedExamples?: (clientId: number, kind: 'fit' | 'evaluate') => number;
  /** Nodes train on data of their own: num_examples only has to be in [1, maxExamples]. */
  readonly nodeData?: { readonly maxExamples: number };
}

/** Why a decoded fit or evaluate result is implausible, or undefined. */
export function checkResult(kind: 'fit' | 'evaluate', r: FitRes | EvaluateRes, rules: PlausibilityRules): string | undefined {
  const metrics = checkMetrics(r.metrics);
  if (metrics !== undefined) return metrics;
  if (kind === 'evaluate') {
    const loss = (r as EvaluateRes).loss;
    const [lo, hi] = METRIC_RANGES['loss']!;
    if (!(loss >= lo && loss <= hi)) return `loss = ${loss} is outside its range [${lo}, ${hi}]`;
  }
  if (rules.nodeData) {
    const max = rules.nodeData.maxExamples;
    if (!(r.numExamples >= 1 && r.numExamples <= max)) return `num_examples = ${r.numExamples}; a node's own data holds 1..${max} samples here`;
  } else if (rules.expectedExamples) {
    const want = rules.expectedExamples(r.clientId, kind);
    if (r.numExamples !== want) return `num_examples = ${r.numExamples}, but client ${r.clientId}'s ${kind === 'fit' ? 'training' : 'test'} partition holds ${want} samples`;
  }
  return undefined;
}

export interface NormRules {
  /** Bound = normMultiple x the round's lower median norm. */
  readonly normMultiple: number;
  /** An absolute cap on the bound, when given. */
  readonly maxNorm?: number;
  /** Refuse the update, or scale it down to the bound. */
  readonly action: 'refuse' | 'clip';
}

/** The L2 norm as max |v_i| times the norm of v / max |v_i|, so that 1e300-sized entries do not overflow. */
function normParts(v: Float64Array): { readonly max: number; readonly rest: number } {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  if (m === 0) return { max: 0, rest: 0 };
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! / m) ** 2;
  return { max: m, rest: Math.sqrt(s) };
}

/** L2 norm (Infinity where it exceeds the float64 range). */
export function l2(v: Float64Array): number {
  const p = normParts(v);
  return p.max * p.rest;
}

/** The round's norm bound for these norms (Infinity when there are none and no maxNorm). */
export function normBound(norms: readonly number[], rules: Pick<NormRules, 'normMultiple' | 'maxNorm'>): number {
  const sorted = [...norms].sort((a, b) => a - b);
  const median = sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0;
  // All-zero (or no) updates give no scale: only the absolute cap applies.
  const relative = median > 0 ? rules.normMultiple * median : Infinity;
  return Math.min(relative, rules.maxNorm ?? Infinity);
}

/**
 * Splits a round's updates into those kept (clipped ones scaled to the
 * bound, never mutating the input) and those refused, with the reason.
 */
export function screenNorms<R extends { readonly clientId: number; readonly update: Float64Array }>(
  results: readonly R[],
  rules: NormRules,
): { kept: R[]; refused: { result: R; reason: string }[]; clipped: number[] } {
  const norms = results.map((r) => l2(r.update));
  const bound = normBound(norms, rules);
  const kept: R[] = [];
  const refused: { result: R; reason: string }[] = [];
  const clipped: number[] = [];
  results.forEach((r, k) => {
    const n = norms[k]!;
    if (n <= bound) return kept.push(r);
    const what = `update norm ${n.toPrecision(4)} exceeds the round's bound ${bound.toPrecision(4)} (${rules.normMultiple} x the median norm${rules.maxNorm !== undefined ? `, at most ${rules.maxNorm}` : ''})`;
    if (rules.action === 'refuse') return refused.push({ result: r, reason: what });
    // x * bound / |u|, computed as (x / max) * (bound / rest) so that it holds for norms past 1e308.
    const { max, rest } = normParts(r.update);
    kept.push({ ...r, update: r.update.map((x) => (x / max) * (bound / rest)) });
    clipped.push(r.clientId);
    return undefined;
  });
  return { kept, refused, clipped };
}
