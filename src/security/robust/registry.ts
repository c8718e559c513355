import { z } from 'zod';
import { weightedAverage, type Aggregator } from '../../util/vectors.js';
import { fail } from '../../util/errors.js';
import { BULYAN_ASSUMPTION, bulyan } from './bulyan.js';
import { CENTERED_CLIPPING_ASSUMPTION, NORM_BOUND_ASSUMPTION, centeredClipping, normBound } from './clipping.js';
import { checkAssumption, checkInputs, type Assumption, type RobustResult } from './common.js';
import { MEDIAN_ASSUMPTION, coordinateMedian, trimCount, trimmedMean, trimmedMeanAssumption } from './coordinate.js';
import { GEOMETRIC_MEDIAN_ASSUMPTION, geometricMedian } from './geometric-median.js';
import { KRUM_ASSUMPTION, multiKrum } from './krum.js';

/**
 * The aggregator registry: a config record `{ name, f?, beta?, m?, ... }`
 * becomes a `RobustAggregator` that knows its assumption, refuses (n, f)
 * that violate it, and runs as a plain `Aggregator` or with a report of whom
 * it selected or flagged.
 *
 * @example
 * const rule = createAggregator({ name: 'krum', f: 2 }, { clients: 10 });
 * new FedAvg({ ...options, aggregator: rule.aggregate });
 * rule.run(updates, weights).selected // e.g. [4]
 */

export const AGGREGATOR_NAMES = [
  'mean',
  'median',
  'trimmed_mean',
  'krum',
  'multi_krum',
  'bulyan',
  'geometric_median',
  'norm_bound',
  'centered_clipping',
] as const;
export type AggregatorName = (typeof AGGREGATOR_NAMES)[number];

const fTolerated = z.number().int().min(0).describe('number of Byzantine clients tolerated');
const positive = z.number().positive();

/** The config schema of an aggregator (snake_case keys, unknown keys refused). */
export const RobustAggregatorSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('mean') }).strict(),
  z.object({ name: z.literal('median'), f: fTolerated.optional() }).strict(),
  z
    .object({
      name: z.literal('trimmed_mean'),
      /** Fraction trimmed per side, in [0, 0.5); without it, exactly f values are trimmed per side. */
      beta: z.number().min(0).lt(0.5).optional(),
      f: fTolerated.optional(),
    })
    .strict(),
  z.object({ name: z.literal('krum'), f: fTolerated }).strict(),
  z.object({ name: z.literal('multi_krum'), f: fTolerated, m: z.number().int().min(1) }).strict(),
  z.object({ name: z.literal('bulyan'), f: fTolerated }).strict(),
  z
    .object({
      name: z.literal('geometric_median'),
      f: fTolerated.optional(),
      max_iter: z.number().int().min(1).optional(),
      tol: z.number().min(0).optional(),
      eps: positive.optional(),
      weighted: z.boolean().optional(),
    })
    .strict(),
  z.object({ name: z.literal('norm_bound'), max_norm: positive, f: fTolerated.optional(), weighted: z.boolean().optional() }).strict(),
  z
    .object({
      name: z.literal('centered_clipping'),
      tau: positive,
      iters: z.number().int().min(1).optional(),
      start: z.enum(['zero', 'median']).optional(),
      f: fTolerated.optional(),
    })
    .strict(),
]);
export type AggregatorSpec = z.input<typeof RobustAggregatorSchema>;

/** A built aggregation rule. */
export interface RobustAggregator {
  readonly name: AggregatorName;
  /** For logs, e.g. `krum(f=2)`. */
  readonly label: string;
  /** Byzantine clients it is configured to tolerate. */
  readonly f: number;
  readonly assumption: Assumption;
  /** True for every rule but `mean`: it must see single updates, so it cannot sit behind secure aggregation. */
  readonly needsSingleUpdates: boolean;
  /** Refuses n clients per round (and f, default the configured one) that violate the assumption. */
  check(n: number, f?: number): void;
  /** The smallest n that `check` accepts for the configured f (searching up to 10 000). */
  minClients(): number;
  /** Checks the assumption for n = updates.length, then aggregates with a report. */
  run(updates: readonly Float64Array[], weights: ArrayLike<number>): RobustResult;
  /** `run(...).aggregate`, for `FedAvgOptions.aggregator`. */
  readonly aggregate: Aggregator;
}

/** Assumption of the plain mean: no attacker at all. */
export const MEAN_ASSUMPTION: Assumption = {
  text: 'f = 0 (one client can move the mean arbitrarily far)',
  why: (_n, f) => (f === 0 ? undefined : 'the mean tolerates no Byzantine client; choose a robust aggregator'),
};

function parseSpec(spec: unknown, path: string): z.output<typeof RobustAggregatorSchema> {
  const r = RobustAggregatorSchema.safeParse(spec);
  if (r.success) return r.data;
  const iss = r.error.issues[0]!;
  const at = [path, ...iss.path.map(String)].join('.');
  const name = typeof spec === 'object' && spec !== null ? (spec as { name?: unknown }).name : undefined;
  if (!AGGREGATOR_NAMES.includes(name as AggregatorName)) {
    const what = name === undefined ? 'required' : `unknown aggregator ${JSON.stringify(name)}`;
    fail(`${path}.name`, `${what}; known: ${AGGREGATOR_NAMES.join(', ')}`);
  }
  if (iss.code === 'unrecognized_keys') {
    const option = RobustAggregatorSchema.options.find((o) => o.shape.name.value === name);
    const allowed = option ? Object.keys(option.shape).filter((k) => k !== 'name') : [];
    fail(`${at}.${iss.keys[0]!}`, `unknown parameter of ${String(name)}; allowed: ${allowed.length > 0 ? allowed.join(', ') : 'none'}`);
  }
  fail(at, iss.message);
}

/**
 * Builds the rule a config record names. With `options.clients` (the
 * fewest clients that can reach aggregation, i.e. `min_fit_clients`) the
 * assumption is checked at once. Errors are `QflError`s under `path`
 * (default `aggregator`).
 */
export function createAggregator(
  spec: AggregatorSpec,
  options: { readonly clients?: number; readonly path?: string } = {},
): RobustAggregator {
  const path = options.path ?? 'aggregator';
  const s = parseSpec(spec, path);
  const f = 'f' in s && s.f !== undefined ? s.f : 0;
  let assumption: Assumption;
  let label: string;
  let fn: (u: readonly Float64Array[], w: ArrayLike<number>) => RobustResult;
  switch (s.name) {
    case 'mean':
      assumption = MEAN_ASSUMPTION;
      label = 'mean';
      fn = (u, w) => ({ aggregate: weightedAverage(u, w) });
      break;
    case 'median':
      assumption = MEDIAN_ASSUMPTION;
      label = `median(f=${f})`;
      fn = (u, w) => (checkInputs(u, w), coordinateMedian(u));
      break;
    case 'trimmed_mean': {
      const beta = s.beta;
      if (beta === undefined && s.f === undefined) {
        fail(path, 'trimmed_mean needs beta (fraction trimmed per side) or f (values trimmed per side)');
      }
      assumption = trimmedMeanAssumption(beta);
      label = beta === undefined ? `trimmed_mean(trim=${f})` : `trimmed_mean(beta=${beta}, f=${f})`;
      fn = (u, w) => (checkInputs(u, w), trimmedMean(u, { trim: beta === undefined ? f : trimCount(u.length, beta) }));
      break;
    }
    case 'krum':
      assumption = KRUM_ASSUMPTION;
      label = `krum(f=${f})`;
      fn = (u, w) => (checkInputs(u, w), multiKrum(u, { f, m: 1 }));
      break;
    case 'multi_krum': {
      const m = s.m;
      assumption = {
        text: `${KRUM_ASSUMPTION.text}, and m <= n - f`,
        why: (n, ff) =>
          KRUM_ASSUMPTION.why(n, ff) ??
          (m <= n - ff ? undefined : `it keeps m = ${m} updates but only n - f = ${n - ff} are sure to be honest; lower m`),
      };
      label = `multi_krum(f=${f}, m=${m})`;
      fn = (u, w) => (checkInputs(u, w), multiKrum(u, { f, m }));
      break;
    }
    case 'bulyan':
      assumption = BULYAN_ASSUMPTION;
      label = `bulyan(f=${f})`;
      fn = (u, w) => (checkInputs(u, w), bulyan(u, { f }));
      break;
    case 'geometric_median': {
      assumption = GEOMETRIC_MEDIAN_ASSUMPTION;
      label = `geometric_median(f=${f})`;
      const o = {
        ...(s.max_iter !== undefined ? { maxIter: s.max_iter } : {}),
        ...(s.tol !== undefined ? { tol: s.tol } : {}),
        ...(s.eps !== undefined ? { eps: s.eps } : {}),
        ...(s.weighted !== undefined ? { weighted: s.weighted } : {}),
      };
      fn = (u, w) => geometricMedian(u, w, o);
      break;
    }
    case 'norm_bound': {
      assumption = NORM_BOUND_ASSUMPTION;
      label = `norm_bound(max_norm=${s.max_norm})`;
      const o = { maxNorm: s.max_norm, ...(s.weighted !== undefined ? { weighted: s.weighted } : {}) };
      fn = (u, w) => normBound(u, w, o);
      break;
    }
    case 'centered_clipping': {
      assumption = CENTERED_CLIPPING_ASSUMPTION;
      label = `centered_clipping(tau=${s.tau})`;
      const o = { tau: s.tau, ...(s.iters !== undefined ? { iters: s.iters } : {}), ...(s.start !== undefined ? { center: s.start } : {}) };
      fn = (u, w) => (checkInputs(u, w), centeredClipping(u, o));
      break;
    }
  }
  const name = s.name;
  const check = (n: number, ff: number = f): void => checkAssumption(name, assumption, n, ff, `${path}.f`);
  const run = (updates: readonly Float64Array[], weights: ArrayLike<number>): RobustResult => {
    if (updates.length > 0) check(updates.length);
    return fn(updates, weights);
  };
  const rule: RobustAggregator = {
    name,
    label,
    f,
    assumption,
    needsSingleUpdates: name !== 'mean',
    check,
    minClients: () => {
      for (let n = 1; n <= 10000; n++) if (assumption.why(n, f) === undefined) return n;
      return Infinity;
    },
    run,
    aggregate: (updates, weights) => run(updates, weights).aggregate,
  };
  if (options.clients !== undefined) check(options.clients);
  return rule;
}

/**
 * Round metrics from a rule's report: `robust_selected` and
 * `robust_flagged` counts, plus one `robust_flagged_client_<id>` = 1 per
 * flagged client (ids from `clientIds`, in update order), so that the run's
 * event log shows who was pushed away.
 */
export function robustMetrics(result: RobustResult, clientIds: readonly number[]): Record<string, number> {
  const m: Record<string, number> = {};
  if (result.selected !== undefined) m['robust_selected'] = result.selected.length;
  if (result.flagged !== undefined) {
    m['robust_flagged'] = result.flagged.length;
    for (const i of result.flagged) m[`robust_flagged_client_${clientIds[i] ?? i}`] = 1;
  }
  for (const [k, v] of Object.entries(result.info ?? {})) m[`robust_${k}`] = v;
  return m;
}
