import { z } from 'zod';
import { AttackSchema } from '../security/byzantine/config.js';
import { DpSchema } from '../security/dp/central.js';
import { RobustAggregatorSchema } from '../security/robust/registry.js';
import { NetworkSchema } from './network.js';
import { DataSchema, ModelSchema, TrainSchema } from './schema.js';

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
    name: z.enum(['fedavg', 'fedprox', 'fedavgm', 'fedadam', 'fedyogi']).default('fedavg'),
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
    /** Fraction of a round's clients that must survive for the sum to be recovered. */
    threshold: z.number().gt(0).max(1).default(0.6),
    /** Probability that a client drops after masking (simulated). */
    dropout: z.number().min(0).lt(1).default(0),
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
    name: z.string().default('run'),
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
    runtime: RuntimeSchema.default({ workers: 'auto', client_timeout_s: 600, retries: 1 }),
    sweep: SweepSchema.optional(),
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
    if (robust && c.dp) {
      ctx.addIssue({ code: 'custom', path: ['dp'], message: 'central DP averages clipped updates itself; it cannot be combined with strategy.aggregator' });
    }
    if (c.strategy.name === 'fedprox' && c.strategy.mu === undefined) {
      ctx.addIssue({ code: 'custom', path: ['strategy', 'mu'], message: 'fedprox needs mu (the proximal weight)' });
    }
  });

export type RunConfig = z.infer<typeof RunConfigSchema>;
export type PartitionSpec = z.infer<typeof PartitionSchema>;
