import { randomSplit, subset, take, type Dataset } from '../data/dataset.js';
import { partition } from '../data/partition.js';
import type { ClientApp, ClientAppRef } from '../fl/client-app.js';
import type { Sequential } from '../models/sequential.js';
import { adversarialBatchTransform } from '../security/attacks/adversarial-training.js';
import { attackHooks } from '../security/byzantine/config.js';
import type { AttackKind, AttackMethod, AttackSpace } from '../security/attacks/craft.js';
import { fail } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import { buildModel, loadData, type Splits } from './build.js';
import type { RunConfig } from './run-schema.js';

/** The part of a run config a client needs (JSON, sent to worker threads). */
export type AppConfig = Pick<RunConfig, 'seed' | 'data' | 'model' | 'federation' | 'evaluation' | 'adversarial' | 'attacks'>;

/** The experiments' client app: the configured data set, partitioned, and the configured model. */
export interface ExperimentApp extends ClientApp {
  /** The server's central test set. */
  centralTest(): Dataset;
  /** Samples per client's training partition. */
  partitionSizes(): number[];
  /** Client `clientId`'s data as partitioned (before any attack's poisoning). */
  partition(clientId: number): Partition;
  /** The valid input range of the data (attacks clip to it), if bounded. */
  readonly range: readonly [number, number] | undefined;
  /** How attacks perturb this data: input features, or the prepared quantum state. */
  readonly attackSpace: AttackSpace;
}

/**
 * The clients that train adversarially: the first round(coverage * n) of a
 * seeded permutation, so coverage 0.2 of 10 clients is 2 fixed clients.
 */
export function adversarialClients(config: AppConfig): Set<number> {
  const n = config.federation.clients;
  const count = Math.round((config.adversarial?.coverage ?? 0) * n);
  return new Set(Array.from(new Rng(deriveSeed(config.seed, 11)).permutation(n).subarray(0, count)));
}

/** The attack record (less eps) the config's data and adversarial settings imply. */
export function attackMethod(
  space: AttackSpace,
  range: readonly [number, number] | undefined,
  o: { attack: AttackKind; norm: 'linf' | 'l2'; steps?: number | undefined },
): AttackMethod {
  return {
    attack: o.attack,
    space,
    ...(space === 'input' ? { norm: o.norm, ...(range ? { range } : {}) } : {}),
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
  };
}

/** One client's data: its training share and its held-out share for client-side evaluation. */
export interface Partition {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** Loads the configured data and splits its training set among the clients (seeded, as in every run). */
export function partitionData(config: AppConfig): { readonly splits: Splits; readonly local: readonly Partition[] } {
  const splits = loadData(config.data, config.seed);
  const { train } = splits;
  const { clients, partition: spec, test_fraction } = config.federation;
  if (clients > train.n) fail('federation.clients', `${clients} clients but only ${train.n} training samples`);
  const parts = partition(
    spec.kind === 'shards' ? { kind: 'shards', shardsPerClient: spec.shards_per_client } : spec,
    train.y,
    train.classes,
    clients,
    new Rng(deriveSeed(config.seed, 1)),
  );
  // Each client holds out a share of its partition for client-side evaluation.
  const local = parts.map((idx, k) => {
    const mine = subset(train, idx);
    if (test_fraction === 0 || mine.n < 2) return { train: mine, test: mine };
    const { a, b } = randomSplit(mine, 1 - test_fraction, new Rng(deriveSeed(config.seed, 2, k)));
    return a.n > 0 && b.n > 0 ? { train: a, test: b } : { train: mine, test: mine };
  });
  return { splits, local };
}

export function createClientApp(raw: unknown): ExperimentApp {
  const config = raw as AppConfig;
  const { splits, local } = partitionData(config);
  const { test } = splits;
  const central = config.evaluation.test_limit !== undefined ? take(test, Math.min(test.n, config.evaluation.test_limit)) : test;
  return {
    ...clientAppOf(config, (id) => local[id]!, splits.train, splits.range),
    centralTest: () => central,
    partitionSizes: () => local.map((l) => l.train.n),
    partition: (id) => local[id]!,
  };
}

/**
 * The client side of the app over partitions at hand: all of them in a
 * simulation, only its own in a browser tab (`partitionOf` is asked only for
 * the clients a node hosts). `template` gives the model its input shape and
 * class count. Attacks and adversarial training follow the config, so a
 * client computes the same update wherever it runs.
 */
export function clientAppOf(
  config: AppConfig,
  partitionOf: (clientId: number) => Partition,
  template: Dataset,
  range: readonly [number, number] | undefined,
): ClientApp & Pick<ExperimentApp, 'range' | 'attackSpace'> {
  const { clients } = config.federation;
  const attackSpace: AttackSpace = config.data.name === 'mnist' ? 'input' : 'state';
  const adversarial = adversarialClients(config);
  const hooks = attackHooks(config.attacks ?? [], { numClients: clients, seed: config.seed });
  const check = (id: number) => {
    if (!Number.isInteger(id) || id < 0 || id >= clients) fail('clientId', `must be in [0, ${clients}), got ${id}`);
  };
  return {
    numClients: clients,
    trainData: (id) => (check(id), hooks.poisonData(id, partitionOf(id).train)),
    testData: (id) => (check(id), partitionOf(id).test),
    model: (): Sequential => buildModel(config.model, template),
    range,
    attackSpace,
    ...(hooks.malicious.length > 0 ? { attackUpdate: hooks.attackUpdate } : {}),
    batchTransform: (id, model, rng) => {
      const a = config.adversarial;
      if (!a || !adversarial.has(id) || a.share === 0) return undefined;
      return adversarialBatchTransform(
        model,
        {
          ...attackMethod(attackSpace, range, a),
          eps: a.eps,
          share: a.share,
          ...(a.step_size !== undefined ? { stepSize: a.step_size } : {}),
        },
        rng,
      );
    },
  };
}

/** The ref worker threads use to build this app from the config. */
export function appRef(config: AppConfig): ClientAppRef {
  return {
    module: new URL('./client-app.js', import.meta.url).href,
    config: {
      seed: config.seed,
      data: config.data,
      model: config.model,
      federation: config.federation,
      evaluation: config.evaluation,
      ...(config.adversarial ? { adversarial: config.adversarial } : {}),
      attacks: config.attacks,
    },
  };
}
