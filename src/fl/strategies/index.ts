import { fail } from '../../util/errors.js';
import type { Aggregator } from '../../updates/aggregate.js';
import type { Strategy } from '../strategy.js';
import { FedAdam } from './fedadam.js';
import { FedAvg, type EvaluateFn, type LocalTraining } from './fedavg.js';
import { FedAvgM } from './fedavgm.js';
import { FedBuff } from './fedbuff.js';
import { FedProx } from './fedprox.js';
import { FedYogi } from './fedyogi.js';

export { FedAdam } from './fedadam.js';
export { FedAvg, type EvaluateFn, type FedAvgOptions, type LocalTraining, type StrategyStateBase } from './fedavg.js';
export { FedAvgM, type FedAvgMOptions, type FedAvgMState } from './fedavgm.js';
export { FedBuff, FEDBUFF_SPEED_STREAM, type FedBuffOptions, type FedBuffState } from './fedbuff.js';
export { FedOpt, type AdaptiveStep, type FedOptOptions, type FedOptState } from './fedopt.js';
export { FedProx, type FedProxOptions } from './fedprox.js';
export { FedYogi } from './fedyogi.js';

export const STRATEGY_NAMES = ['fedavg', 'fedprox', 'fedavgm', 'fedadam', 'fedyogi', 'fedbuff'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/**
 * The strategy section of a config, snake_case as in the YAML files (the
 * output type of `StrategySchema` in experiments/run-schema.ts fits it).
 * Keys a strategy does not use are ignored.
 */
export interface StrategySpec {
  readonly name: StrategyName;
  /** Default 1. */
  readonly fraction_fit?: number | undefined;
  /** Default 1. */
  readonly min_fit_clients?: number | undefined;
  /** Default 1; 0 skips client-side evaluation. */
  readonly fraction_evaluate?: number | undefined;
  /** Default 1. */
  readonly min_evaluate_clients?: number | undefined;
  /** fedprox (required): proximal coefficient μ >= 0. */
  readonly mu?: number | undefined;
  /** fedavgm (default 1), fedadam / fedyogi (required): server learning rate η. */
  readonly server_lr?: number | undefined;
  /** fedavgm (required): server momentum β in [0, 1). */
  readonly server_momentum?: number | undefined;
  /** fedadam / fedyogi: default 0.9. */
  readonly beta1?: number | undefined;
  /** fedadam / fedyogi: default 0.99. */
  readonly beta2?: number | undefined;
  /** fedadam / fedyogi: default 1e-3. */
  readonly tau?: number | undefined;
  /** fedbuff (required): K, updates per server step. */
  readonly buffer_size?: number | undefined;
  /** fedbuff: clients training at once (default 2 K). */
  readonly concurrency?: number | undefined;
  /** fedbuff: a in the staleness weight (1 + τ)^(-a) (default 0.5). */
  readonly staleness_exponent?: number | undefined;
  /** fedbuff: σ of the log-normal simulated client speeds (default 1). */
  readonly client_speed_sigma?: number | undefined;
}

/** What a strategy needs beyond its config section. */
export interface StrategyContext {
  readonly local: LocalTraining;
  readonly seed: number;
  readonly evaluateFn?: EvaluateFn;
  readonly aggregator?: Aggregator;
}

/** Every key of the strategy section. */
export const STRATEGY_KEYS = [
  'name',
  'fraction_fit',
  'min_fit_clients',
  'fraction_evaluate',
  'min_evaluate_clients',
  'mu',
  'server_lr',
  'server_momentum',
  'beta1',
  'beta2',
  'tau',
  'buffer_size',
  'concurrency',
  'staleness_exponent',
  'client_speed_sigma',
] as const;

/** The keys each strategy cannot do without (the rest have defaults or are not used). */
export const REQUIRED_KEYS: Readonly<Record<StrategyName, readonly (typeof STRATEGY_KEYS)[number][]>> = {
  fedavg: [],
  fedprox: ['mu'],
  fedavgm: ['server_momentum'],
  fedadam: ['server_lr'],
  fedyogi: ['server_lr'],
  fedbuff: ['buffer_size'],
};

/**
 * Builds a strategy from its config section. Checks that `name` is known,
 * that every key is one of the section's keys, and that every key the
 * strategy needs is there; the keys it uses are checked to be numbers in
 * range. Keys of other strategies are allowed and ignored, so that a sweep
 * over `strategy.name` can share one section (`mu` and `server_lr` set once
 * for fedprox and fedadam points alike). Errors name the field as
 * `path.key`.
 *
 * @example createStrategy({ name: 'fedadam', fraction_fit: 0.5, server_lr: 0.01 }, { local, seed: 0 })
 */
export function createStrategy(spec: StrategySpec, context: StrategyContext, path = 'strategy'): Strategy {
  if (typeof spec !== 'object' || spec === null) fail(path, 'must be an object with a name');
  const raw = spec as unknown as Record<string, unknown>;
  const name = raw['name'];
  if (typeof name !== 'string' || !(STRATEGY_NAMES as readonly string[]).includes(name)) {
    fail(`${path}.name`, `must be one of ${STRATEGY_NAMES.join(', ')}; got ${JSON.stringify(name)}`);
  }
  const allowed: readonly string[] = STRATEGY_KEYS;
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined && !allowed.includes(key)) {
      fail(`${path}.${key}`, `unknown key; allowed keys are ${STRATEGY_KEYS.join(', ')}`);
    }
  }
  for (const key of REQUIRED_KEYS[name as StrategyName]) {
    if (raw[key] === undefined) fail(`${path}.${key}`, `is required by ${name}`);
  }
  const num = (key: string, lo: number, hi: number, opts: { loOpen?: boolean; hiOpen?: boolean; integer?: boolean } = {}): number | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (opts.loOpen ? v > lo : v >= lo) &&
      (opts.hiOpen ? v < hi : v <= hi) &&
      (!opts.integer || Number.isInteger(v));
    if (!ok) {
      const range = hi === Infinity ? `${opts.loOpen ? '>' : '>='} ${lo}` : `in ${opts.loOpen ? '(' : '['}${lo}, ${hi}${opts.hiOpen ? ')' : ']'}`;
      fail(`${path}.${key}`, `must be ${opts.integer ? 'an integer' : 'a number'} ${range}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const base = {
    fractionFit: num('fraction_fit', 0, 1) ?? 1,
    minFitClients: num('min_fit_clients', 1, Infinity, { integer: true }) ?? 1,
    fractionEvaluate: num('fraction_evaluate', 0, 1) ?? 1,
    minEvaluateClients: num('min_evaluate_clients', 0, Infinity, { integer: true }) ?? 1,
    local: context.local,
    seed: context.seed,
    ...(context.evaluateFn ? { evaluateFn: context.evaluateFn } : {}),
    ...(context.aggregator ? { aggregator: context.aggregator } : {}),
  };
  const adaptive = (): { serverLr: number; beta1?: number; beta2?: number; tau?: number } => {
    const beta1 = num('beta1', 0, 1, { hiOpen: true });
    const beta2 = num('beta2', 0, 1, { hiOpen: true });
    const tau = num('tau', 0, Infinity, { loOpen: true });
    return {
      serverLr: num('server_lr', 0, Infinity, { loOpen: true })!,
      ...(beta1 === undefined ? {} : { beta1 }),
      ...(beta2 === undefined ? {} : { beta2 }),
      ...(tau === undefined ? {} : { tau }),
    };
  };
  switch (name as StrategyName) {
    case 'fedavg':
      return new FedAvg(base);
    case 'fedprox':
      return new FedProx({ ...base, proximalMu: num('mu', 0, Infinity)! });
    case 'fedavgm':
      return new FedAvgM({
        ...base,
        serverLr: num('server_lr', 0, Infinity, { loOpen: true }) ?? 1,
        serverMomentum: num('server_momentum', 0, 1, { hiOpen: true })!,
      });
    case 'fedadam':
      return new FedAdam({ ...base, ...adaptive() });
    case 'fedyogi':
      return new FedYogi({ ...base, ...adaptive() });
    case 'fedbuff': {
      const bufferSize = num('buffer_size', 1, Infinity, { integer: true })!;
      const serverLr = num('server_lr', 0, Infinity, { loOpen: true });
      const stalenessExponent = num('staleness_exponent', 0, Infinity);
      const clientSpeedSigma = num('client_speed_sigma', 0, Infinity);
      return new FedBuff({
        ...base,
        bufferSize,
        concurrency: num('concurrency', 1, Infinity, { integer: true }) ?? 2 * bufferSize,
        ...(serverLr === undefined ? {} : { serverLr }),
        ...(stalenessExponent === undefined ? {} : { stalenessExponent }),
        ...(clientSpeedSigma === undefined ? {} : { clientSpeedSigma }),
      });
    }
  }
}
