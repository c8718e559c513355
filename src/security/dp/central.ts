import { z } from 'zod';
import { checkUpdates, type Aggregator } from '../../util/vectors.js';
import { fail, QflError } from '../../util/errors.js';
import { NOISE_SOURCES, OsRng, type NoiseSource } from '../../util/os-random.js';
import { deriveSeed, Rng } from '../../util/random.js';
import { adaptiveClipStep, checkAdaptiveClip, clipUpdates, updateNoiseMultiplier } from './clipping.js';

/**
 * Central DP for the federation: DP-FedAvg with client-level privacy
 * (McMahan, Ramage, Talwar & Zhang 2018, "Learning Differentially Private
 * Recurrent Language Models", Alg. 1; Flower's
 * `DifferentialPrivacyServerSideFixedClipping` / `...AdaptiveClipping`).
 *
 * Each round: clip every update to C, average them uniformly (the weights
 * are ignored: a weighted mean would let one client's share, and so the
 * sensitivity, grow), and add Gaussian noise of std z·C/m to the mean,
 *
 *     Δ = (Σ_k clip(Δ_k, C) + N(0, (z C)² I)) / m,
 *
 * m the number of clients this round or the expected number (the fixed
 * denominator of McMahan et al.; with Poisson sampling the actual count is
 * itself sensitive). Adding or removing one client moves the clipped sum by
 * at most C, so a round is the Gaussian mechanism with noise multiplier z;
 * with client sampling at rate q, account with `dpFedAvgEpsilon`.
 *
 * The server must see single updates to clip them; behind secure
 * aggregation, clip on the clients instead (the `clip` transform) and use
 * `addCentralNoise` on the aggregate.
 */

/** The noise std on the MEAN of m updates clipped to C with noise multiplier z: z C / m. */
export function centralNoiseStd(clipNorm: number, noiseMultiplier: number, numClients: number): number {
  if (!(Number.isFinite(clipNorm) && clipNorm > 0)) fail('clip_norm', `must be a finite number > 0, got ${clipNorm}`);
  if (!(Number.isFinite(noiseMultiplier) && noiseMultiplier >= 0)) {
    fail('noise_multiplier', `must be a finite number >= 0, got ${noiseMultiplier}`);
  }
  if (!(Number.isFinite(numClients) && numClients > 0)) fail('num_clients', `must be a finite number > 0, got ${numClients}`);
  return (noiseMultiplier * clipNorm) / numClients;
}

/**
 * The server-side noise step: `aggregate + N(0, (z C / m)²)` per
 * coordinate, fresh (the input is untouched). `aggregate` must be the
 * uniform mean of m updates each clipped to C.
 */
export function addCentralNoise(
  aggregate: Float64Array,
  o: { readonly clipNorm: number; readonly noiseMultiplier: number; readonly numClients: number },
  rng: Rng,
): Float64Array {
  const std = centralNoiseStd(o.clipNorm, o.noiseMultiplier, o.numClients);
  const out = new Float64Array(aggregate.length);
  for (let j = 0; j < aggregate.length; j++) out[j] = aggregate[j]! + (std > 0 ? rng.normal(0, std) : 0);
  return out;
}

/** How the clip norm is chosen: a constant, or adapted each round towards a quantile of the norms. */
export type ClipSpec =
  | { readonly kind: 'fixed'; readonly norm: number }
  | {
      readonly kind: 'adaptive';
      readonly initial: number;
      readonly targetQuantile?: number;
      readonly lr?: number;
      /** σ_b; default (expected clients per round) / 20 as in Andrew et al. 2021 (needs `expectedClients`). */
      readonly countStd?: number;
    };

export interface DpFedAvgOptions {
  /**
   * Total noise multiplier z, the one the accountant uses. With adaptive
   * clipping part of it pays for the count (see `updateNoiseMultiplier`).
   */
  readonly noiseMultiplier: number;
  readonly clip: ClipSpec;
  /** Base seed of the noise; round r draws from `deriveSeed(seed, DP_STREAM, r)`. */
  readonly seed: number;
  /**
   * `os`: the noise (and adaptive clipping's count noise) comes from the OS
   * CSPRNG instead, and `seed` is unused; what `qfl server` uses, because its
   * nodes receive the run's seed. Default `seeded`.
   */
  readonly noiseSource?: NoiseSource;
  /** Fixed denominator m (expected clients per round); default the number of updates received. */
  readonly expectedClients?: number;
}

/** What DP-FedAvg keeps between rounds, plain JSON for checkpoints. */
export interface DpFedAvgState {
  /** Rounds aggregated so far. */
  readonly rounds: number;
  /** The clip norm of the next round. */
  readonly clipNorm: number;
}

export interface DpRoundReport {
  readonly aggregate: Float64Array;
  /** The clip norm used this round. */
  readonly clipNorm: number;
  /** Updates whose norm exceeded it. */
  readonly clippedCount: number;
  /** Per-coordinate noise std added to the mean. */
  readonly noiseStd: number;
  /** The update-sum noise multiplier actually used (z, or z_Δ with adaptive clipping). */
  readonly updateNoiseMultiplier: number;
  readonly state: DpFedAvgState;
}

/** Seed path of the central DP noise. */
export const DP_STREAM = 0x64702d6e;

/** Resolved options: checks everything once. */
function resolve(o: DpFedAvgOptions): { zUpdate: number; countStd: number; m: number | undefined } {
  if (!(Number.isFinite(o.noiseMultiplier) && o.noiseMultiplier >= 0)) {
    fail('dp.noise_multiplier', `must be a finite number >= 0, got ${o.noiseMultiplier}`);
  }
  if (!Number.isInteger(o.seed)) fail('dp.seed', `must be an integer, got ${o.seed}`);
  const m = o.expectedClients;
  if (m !== undefined && !(Number.isFinite(m) && m > 0)) fail('dp.expected_clients', `must be a number > 0, got ${m}`);
  if (o.clip.kind === 'fixed') {
    if (!(Number.isFinite(o.clip.norm) && o.clip.norm > 0)) fail('dp.clip.norm', `must be a finite number > 0, got ${o.clip.norm}`);
    return { zUpdate: o.noiseMultiplier, countStd: 0, m };
  }
  if (!(Number.isFinite(o.clip.initial) && o.clip.initial > 0)) {
    fail('dp.clip.initial', `must be a finite number > 0, got ${o.clip.initial}`);
  }
  let countStd = o.clip.countStd;
  if (countStd === undefined) {
    if (m === undefined) fail('dp.clip.count_std', 'give count_std, or expected_clients so that it defaults to expected_clients / 20');
    countStd = m / 20;
  }
  checkAdaptiveClip({ ...o.clip, countStd });
  return { zUpdate: o.noiseMultiplier > 0 ? updateNoiseMultiplier(o.noiseMultiplier, countStd) : 0, countStd, m };
}

/** The state before the first round. */
export function initialDpState(o: DpFedAvgOptions): DpFedAvgState {
  resolve(o);
  return { rounds: 0, clipNorm: o.clip.kind === 'fixed' ? o.clip.norm : o.clip.initial };
}

/**
 * One DP-FedAvg aggregation, a pure function of the updates, the state and
 * the options (the noise comes from the state's round): clip, uniform mean,
 * noise; with adaptive clipping, also the next clip norm. Inputs are never
 * mutated.
 */
export function dpFedAvgRound(updates: readonly Float64Array[], state: DpFedAvgState | undefined, o: DpFedAvgOptions): DpRoundReport {
  const { zUpdate, countStd, m: fixedM } = resolve(o);
  const s = state ?? initialDpState(o);
  if (!(Number.isInteger(s.rounds) && s.rounds >= 0)) fail('state.rounds', `must be an integer >= 0, got ${s.rounds}`);
  if (!(Number.isFinite(s.clipNorm) && s.clipNorm > 0)) fail('state.clipNorm', `must be a finite number > 0, got ${s.clipNorm}`);
  const d = checkUpdates(updates);
  const m = fixedM ?? updates.length;
  const rng = o.noiseSource === 'os' ? new OsRng() : new Rng(deriveSeed(o.seed, DP_STREAM, s.rounds));
  const { clipped, norms, clippedCount } = clipUpdates(updates, s.clipNorm);
  const mean = new Float64Array(d);
  for (const c of clipped) for (let j = 0; j < d; j++) mean[j]! += c[j]!;
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / m;
  const noiseStd = centralNoiseStd(s.clipNorm, zUpdate, m);
  const aggregate = addCentralNoise(mean, { clipNorm: s.clipNorm, noiseMultiplier: zUpdate, numClients: m }, rng);
  let next = s.clipNorm;
  if (o.clip.kind === 'adaptive') {
    const c = o.clip;
    next = adaptiveClipStep(
      s.clipNorm,
      norms,
      {
        countStd,
        denominator: m,
        ...(c.targetQuantile !== undefined ? { targetQuantile: c.targetQuantile } : {}),
        ...(c.lr !== undefined ? { lr: c.lr } : {}),
      },
      rng,
    ).clipNorm;
  }
  return {
    aggregate,
    clipNorm: s.clipNorm,
    clippedCount,
    noiseStd,
    updateNoiseMultiplier: zUpdate,
    state: { rounds: s.rounds + 1, clipNorm: next },
  };
}

/**
 * A stateful DP-FedAvg aggregator for `FedAvgOptions.aggregator`: each call
 * is one round of `dpFedAvgRound`. Its state (rounds, clip norm) goes into
 * checkpoints through `getState` / `setState`, so a resumed run draws the
 * same noise.
 */
export interface DpFedAvg {
  readonly aggregate: Aggregator;
  /** One round with the full report. */
  run(updates: readonly Float64Array[]): DpRoundReport;
  readonly needsSingleUpdates: true;
  readonly name: 'dp_fedavg';
  getState(): DpFedAvgState;
  setState(state: unknown): void;
  /** The last round's report, for metrics (undefined before the first). */
  lastReport(): DpRoundReport | undefined;
}

export function createDpFedAvg(o: DpFedAvgOptions): DpFedAvg {
  let state = initialDpState(o);
  let last: DpRoundReport | undefined;
  const run = (updates: readonly Float64Array[]): DpRoundReport => {
    last = dpFedAvgRound(updates, state, o);
    state = last.state;
    return last;
  };
  return {
    name: 'dp_fedavg',
    needsSingleUpdates: true,
    run,
    aggregate: (updates, weights) => {
      if (weights.length !== updates.length) {
        fail('weights', `got ${weights.length} weights for ${updates.length} updates; give one per update`);
      }
      return run(updates).aggregate;
    },
    getState: () => ({ ...state }),
    setState(raw) {
      const s = raw as Partial<DpFedAvgState> | null;
      if (typeof s !== 'object' || s === null) throw new QflError('state', 'must be an object from getState()');
      if (!(Number.isInteger(s.rounds) && s.rounds! >= 0)) fail('state.rounds', `must be an integer >= 0, got ${String(s.rounds)}`);
      if (!(typeof s.clipNorm === 'number' && Number.isFinite(s.clipNorm) && s.clipNorm > 0)) {
        fail('state.clipNorm', `must be a finite number > 0, got ${String(s.clipNorm)}`);
      }
      state = { rounds: s.rounds!, clipNorm: s.clipNorm };
    },
    lastReport: () => last,
  };
}

/** The config schema of central DP (snake_case keys, unknown keys refused). */
export const DpSchema = z
  .object({
    noise_multiplier: z.number().min(0),
    clip: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('fixed'), norm: z.number().positive() }).strict(),
      z
        .object({
          kind: z.literal('adaptive'),
          initial: z.number().positive(),
          target_quantile: z.number().gt(0).lt(1).optional(),
          lr: z.number().positive().optional(),
          count_std: z.number().min(0).optional(),
        })
        .strict(),
    ]),
    expected_clients: z.number().positive().optional(),
    /** Target δ of the reported ε; usually well below 1 / (number of clients). */
    delta: z.number().gt(0).lt(1).optional(),
    /** `seeded` (default of qfl run: from the run's seed, which nodes of a deployment know) or `os` (the OS CSPRNG; qfl server always). */
    noise_source: z.enum(NOISE_SOURCES).optional(),
  })
  .strict();
export type DpConfig = z.input<typeof DpSchema>;

/** Options from a validated config block and the run seed. */
export function dpOptionsFromConfig(raw: unknown, seed: number, path = 'dp'): DpFedAvgOptions {
  const r = DpSchema.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    fail([path, ...iss.path.map(String)].join('.'), iss.message);
  }
  const c = r.data;
  const clip: ClipSpec =
    c.clip.kind === 'fixed'
      ? { kind: 'fixed', norm: c.clip.norm }
      : {
          kind: 'adaptive',
          initial: c.clip.initial,
          ...(c.clip.target_quantile !== undefined ? { targetQuantile: c.clip.target_quantile } : {}),
          ...(c.clip.lr !== undefined ? { lr: c.clip.lr } : {}),
          ...(c.clip.count_std !== undefined ? { countStd: c.clip.count_std } : {}),
        };
  return {
    noiseMultiplier: c.noise_multiplier,
    clip,
    seed,
    ...(c.expected_clients !== undefined ? { expectedClients: c.expected_clients } : {}),
    ...(c.noise_source !== undefined ? { noiseSource: c.noise_source } : {}),
  };
}
