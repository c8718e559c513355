import { z } from 'zod';
import { AttackSchema } from '../security/byzantine/config.js';
import { DpSchema } from '../security/dp/central.js';
import { RobustAggregatorSchema } from '../security/robust/registry.js';
import { NetworkSchema } from './network.js';
import { DataSchema, ModelSchema, TrainSchema } from './schema.js';
import { TrackingSchema } from './tracking/schema.js';

/**
 * The config of a federated run (`qfl run CONFIG.yaml`). The `data` and
 * `model` sections are those of `qfl train`; `local` is the clients' training
 * per round. Keys read like Flower's strategy arguments.
 */

const positiveInt = z.number().int().positive();
const fraction = z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]');

export const PartitionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('iid') }).strict(),
  z.object({ kind: z.literal('dirichlet'), alpha: z.number().positive() }).strict(),
  z.object({ kind: z.literal('shards'), shards_per_client: positiveInt }).strict(),
]);

export const FederationSchema = z
  .object({
    clients: positiveInt,
    rounds: positiveInt,
    partition: PartitionSchema.default({ kind: 'iid' }),
    /** Share of each client's partition held out for client-side evaluation. */
    test_fraction: z.number().min(0).lt(1).default(0.2),
  })
  .strict();

export const StrategySchema = z
  .object({
    name: z.enum(['fedavg', 'fedprox', 'fedavgm', 'fedadam', 'fedyogi', 'fedbuff']).default('fedavg'),
    fraction_fit: fraction.default(1),
    min_fit_clients: positiveInt.default(1),
    fraction_evaluate: z.number().min(0).max(1).default(0),
    min_evaluate_clients: z.number().int().min(0).default(0),
    /** FedProx proximal weight. */
    mu: z.number().min(0).optional(),
    /** Server learning rate (FedAvgM, FedAdam, FedYogi). */
    server_lr: z.number().positive().optional(),
    server_momentum: z.number().min(0).lt(1).optional(),
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    tau: z.number().positive().optional(),
    /** A robust aggregation rule in place of the weighted mean (median, trimmed_mean, krum, ...). */
    aggregator: RobustAggregatorSchema.optional(),
    /** FedBuff (asynchronous, buffered): K updates per server step, clients training at once (default 2 K). */
    buffer_size: positiveInt.optional(),
    concurrency: positiveInt.optional(),
    /** FedBuff staleness weight (1 + τ)^(-a): a (default 0.5). */
    staleness_exponent: z.number().min(0).optional(),
    /** FedBuff: σ of the log-normal simulated client speeds (default 1). */
    client_speed_sigma: z.number().min(0).optional(),
  })
  .strict();

const DEFAULT_EPSILONS = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5];
const attackKind = z.enum(['fgsm', 'pgd']);

/** Federated adversarial training (QFAL, paper 000). */
export const AdversarialSchema = z
  .object({
    /** Fraction of the clients that train adversarially, in [0, 1] (the rest train on clean data). */
    coverage: z.number().min(0).max(1),
    /** How those clients make adversarial examples. */
    attack: attackKind.default('fgsm'),
    /** Perturbation radius used in training. */
    eps: z.number().min(0),
    /** Share of each batch replaced by adversarial examples, in [0, 1]. */
    share: z.number().min(0).max(1).default(0.5),
    norm: z.enum(['linf', 'l2']).default('linf'),
    /** PGD: steps and step size (default 10 steps of 2.5 eps / steps). */
    steps: positiveInt.optional(),
    step_size: z.number().positive().optional(),
  })
  .strict();

/** Robust accuracy of the global model on the central test set under attacks, per round. */
export const RobustEvalSchema = z
  .object({
    attacks: z.array(attackKind).min(1).default(['fgsm']),
    epsilons: z.array(z.number().min(0)).min(1).default(DEFAULT_EPSILONS),
    norm: z.enum(['linf', 'l2']).default('linf'),
    steps: positiveInt.optional(),
    /** Test samples attacked (the first ones of the central test set). */
    limit: positiveInt.default(500),
    /** Attack every `every` rounds and after the last one (attacks cost more than training; reports read the last round). */
    every: positiveInt.default(1),
  })
  .strict();

export const EvaluationSchema = z
  .object({
    /** Evaluate the global model on the central test set after every `every` rounds. */
    central: z.boolean().default(true),
    every: positiveInt.default(1),
    /** Cap on central test samples (the full test split by default). */
    test_limit: positiveInt.optional(),
    robust: RobustEvalSchema.optional(),
  })
  .strict();

/** Quantized, QKD-masked secure aggregation (QuNetQFL, paper 002). */
export const SecureAggregationSchema = z
  .object({
    /** Bits per quantized coordinate. */
    bits: z.union([z.literal(4), z.literal(8), z.literal(16), z.literal(32)]).default(8),
    /** Deltas are clipped to [-clip, clip] (the server's quantization range). */
    clip: z.number().positive().default(0.5),
    rounding: z.enum(['deterministic', 'stochastic']).default('stochastic'),
    /** false: quantize only, without masks or keys (the traffic comparison without the protocol). */
    mask: z.boolean().default(true),
    /**
     * Shares needed to rebuild a client's secrets, as a fraction of its share
     * holders (its k graph neighbours and itself): t = ceil(threshold (k + 1)).
     */
    threshold: z
      .number()
      .gt(0.5, {
        message:
          'must be > 0.5: with t at most half of the share holders, a server that tells two halves different survivor lists unmasks a client (t > n/2, Bonawitz et al. 2017)',
      })
      .max(1)
      .default(0.6),
    /** Probability that a client drops after masking (simulated), drawn afresh for each attempt of a round. */
    dropout: z.number().min(0).lt(1).default(0),
    /** Fraction of clients assumed to collude with the server; with dropout it sets the SecAgg+ degree k. */
    corrupted_fraction: z.number().min(0).lt(0.5).default(0.05),
    /** Weighted mean (FedAvg's), the counts masked with the updates; default true, false with noise. */
    weighted: z.boolean().optional(),
    /** Tries of a round whose masking could not finish (too many dropouts), each with a fresh sample. */
    retries: z.number().int().min(0).default(5),
    /** QKD key rate per client pair, bits per second of simulated time (paper 002: 32.8 kbps). */
    key_rate_bps: z.number().positive().default(32_800),
    /**
     * Generate the key with an entanglement relay chain instead of a fixed
     * rate: fiber segments (km) between relays, each fed by a pair source in
     * its middle; BBM92 on the chain's end-to-end pairs gives key_rate_bps.
     */
    relay_chain: z
      .object({
        segments_km: z.array(z.number().positive()).min(1),
        pair_rate_hz: z.number().positive().default(1e8),
        detector_efficiency: z.number().gt(0).max(1).default(0.6),
        dark_counts_per_second: z.number().min(0).default(100),
        misalignment: z.number().min(0).lt(0.5).default(0.01),
        memory_t2_s: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    /** A round that lacks key waits for it (simulated time, recorded) or stops the run. */
    on_key_shortage: z.enum(['wait', 'refuse']).default('wait'),
    /**
     * Distributed DP against a server that colludes with clients: each client
     * clips its delta to L2 norm clip_norm and adds its share of N(0, sigma^2).
     */
    noise: z.object({ sigma: z.number().positive(), clip_norm: z.number().positive(), delta: z.number().gt(0).lt(1).default(1e-5) }).strict().optional(),
  })
  .strict();

export const PipelineStepSchema = z.object({ type: z.string() }).passthrough();

export const RuntimeSchema = z
  .object({
    /** Worker threads for client training; 0 runs clients in-process, `auto` uses every core. */
    workers: z.union([z.literal('auto'), z.number().int().min(0)]).default('auto'),
    client_timeout_s: z.number().positive().default(600),
    /** A round with fewer results than min_fit_clients is retried this many times, then the run stops. */
    retries: z.number().int().min(0).default(1),
    /**
     * Training in round r may take this long in all (clients not back are failures): seconds, or a list by round
     * (the last value repeats), e.g. [120, 60] for a slow first round (fl/round-timeout.ts).
     */
    round_timeout_s: z.union([z.number().positive(), z.array(z.number().positive()).min(1)]).optional(),
    /** qfl server: seconds a task waits for its client's node to come back (`--node-grace`). */
    node_grace_s: z.number().min(0).default(10),
  })
  .strict();

export const SweepSchema = z
  .object({
    /** Dotted config keys and the values each takes; every combination runs. */
    grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
    /** Repeat every grid point with each seed. */
    seeds: z.array(z.number().int().min(0)).min(1).optional(),
    /** Points run in parallel (default: cores / workers per run). */
    parallel: positiveInt.optional(),
  })
  .strict();

export const RunConfigSchema = z
  .object({
    /** Goes into directory names and every report: 1-200 characters. */
    name: z.string().min(1).max(200).default('run'),
    seed: z.number().int().min(0).default(0),
    data: DataSchema,
    model: ModelSchema,
    federation: FederationSchema,
    strategy: StrategySchema.default({
      name: 'fedavg',
      fraction_fit: 1,
      min_fit_clients: 1,
      fraction_evaluate: 0,
      min_evaluate_clients: 0,
    }),
    local: TrainSchema,
    evaluation: EvaluationSchema.default({ central: true, every: 1 }),
    adversarial: AdversarialSchema.optional(),
    /** null (or absent): plain aggregation of float updates. */
    secure_aggregation: SecureAggregationSchema.nullable().optional(),
    /** Malicious clients: what they do and which ones (fraction or ids). */
    attacks: z.array(AttackSchema).default([]),
    /** Clients on the nodes of a space-air-ground network; rounds take simulated time (experiments/network.ts). */
    network: NetworkSchema.optional(),
    /** Client-level central DP (DP-FedAvg): clipping, Gaussian noise on the mean, RDP accounting. */
    dp: DpSchema.optional(),
    pipeline: z.array(PipelineStepSchema).default([]),
    runtime: RuntimeSchema.default({ workers: 'auto', client_timeout_s: 600, retries: 1, node_grace_s: 10 }),
    sweep: SweepSchema.optional(),
    /** TensorBoard event files and MLflow (experiments/tracking). */
    tracking: TrackingSchema.optional(),
    /** A paper-specific report a sweep writes beside summary.html (`qfal`: qfal.html). */
    report: z.enum(['qfal', 'qunetqfl', 'byzantine', 'dp', 'sagin']).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.strategy.min_fit_clients > c.federation.clients) {
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'min_fit_clients'],
        message: `must be at most federation.clients (${c.federation.clients})`,
      });
    }
    const robust = c.strategy.aggregator && c.strategy.aggregator.name !== 'mean';
    if (c.secure_aggregation && (robust || c.dp)) {
      ctx.addIssue({
        code: 'custom',
        path: ['secure_aggregation'],
        message: `cannot be combined with ${robust ? 'a robust aggregator' : 'central DP'}: it needs single updates, which secure aggregation hides (use distributed noise or a local_dp pipeline step)`,
      });
    }
    c.pipeline.forEach((step, i) => {
      if (step.type === 'secagg') {
        ctx.addIssue({
          code: 'custom',
          path: ['pipeline', i, 'type'],
          message: 'secagg is added by the secure_aggregation block (which also runs its masking round); configure it there',
        });
      }
    });
    if (c.secure_aggregation?.noise && c.secure_aggregation.weighted === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['secure_aggregation', 'weighted'],
        message: 'cannot be true with noise: distributed DP is calibrated for an unweighted sum of equal shares',
      });
    }
    if (robust && c.dp) {
      ctx.addIssue({ code: 'custom', path: ['dp'], message: 'central DP averages clipped updates itself; it cannot be combined with strategy.aggregator' });
    }
    if (c.strategy.name === 'fedbuff') fedBuffIssues(c).forEach((i) => ctx.addIssue({ code: 'custom', ...i }));
    if (c.strategy.name === 'fedprox' && c.strategy.mu === undefined) {
      ctx.addIssue({ code: 'custom', path: ['strategy', 'mu'], message: 'fedprox needs mu (the proximal weight)' });
    }
  });

/** FedBuff weighs single updates by staleness and keeps its own clock: what it cannot be combined with. */
function fedBuffIssues(c: {
  strategy: { buffer_size?: number | undefined; concurrency?: number | undefined; min_fit_clients: number; aggregator?: unknown };
  federation: { clients: number };
  secure_aggregation?: unknown;
  dp?: unknown;
  network?: unknown;
}): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  const k = c.strategy.buffer_size;
  if (k === undefined) return [{ path: ['strategy', 'buffer_size'], message: 'fedbuff needs buffer_size (K, updates per server step)' }];
  const m = c.strategy.concurrency ?? 2 * k;
  if (m < k) out.push({ path: ['strategy', 'concurrency'], message: `must be at least buffer_size (${k}), got ${m}` });
  if (k > c.federation.clients) out.push({ path: ['strategy', 'buffer_size'], message: `must be at most federation.clients (${c.federation.clients}), got ${k}` });
  if (c.strategy.min_fit_clients > k) out.push({ path: ['strategy', 'min_fit_clients'], message: `must be at most buffer_size (${k}) with fedbuff: after the first step only K clients start per round` });
  const why = 'fedbuff weighs each update by its staleness';
  if (c.strategy.aggregator) out.push({ path: ['strategy', 'aggregator'], message: `cannot be combined with fedbuff (${why})` });
  if (c.secure_aggregation) out.push({ path: ['secure_aggregation'], message: `cannot be combined with fedbuff (${why}, and secure aggregation shows only their sum)` });
  if (c.dp) out.push({ path: ['dp'], message: `cannot be combined with fedbuff (${why}; DP-FedAvg averages clipped updates itself)` });
  if (c.network) out.push({ path: ['network'], message: 'cannot be combined with fedbuff: the network runs its own semi-asynchronous rounds (deadline_s)' });
  return out;
}

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type PartitionSpec = z.infer<typeof PartitionSchema>;
