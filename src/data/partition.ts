/**
 * Partitioners: how a data set is split among the clients of a federation.
 * Each returns one `Int32Array` of sample indices per client, sorted
 * ascending; every sample goes to exactly one client, and no client is empty.
 * Each draws only from the `rng` it is given, so the same seed gives the same
 * split.
 *
 * - `iid`: a random permutation cut into near-equal pieces (sizes differ by at most 1).
 * - `dirichlet`: label skew after Hsu, Qi & Brown (2019), "Measuring the
 *   effects of non-identical data distribution for federated visual
 *   classification": for each class, the proportions across clients are a
 *   draw from Dir(alpha, ..., alpha). Small alpha (0.05) gives clients that
 *   hold one or two classes; large alpha (100) is close to IID.
 * - `shards`: the pathological non-IID split of McMahan et al. (2017),
 *   "Communication-efficient learning of deep networks from decentralized
 *   data": sort by label, cut into `clients * shardsPerClient` shards, deal
 *   `shardsPerClient` random shards to each client.
 *
 * `labelSkew` measures the result: the mean total-variation distance between
 * each client's label distribution and the global one (0 = IID, 1 = disjoint).
 *
 * @example
 * const parts = dirichlet(train.y, train.classes, 10, 0.5, new Rng(7));
 * const client3 = subset(train, parts[3]!);
 */
import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';

function checkClients(clients: number, n: number, need = clients, what = 'clients'): void {
  if (!Number.isInteger(clients) || clients < 1) fail('clients', `expected a positive integer, found ${clients}`);
  if (n < need) {
    fail('clients', `${clients} ${what} need at least ${need} samples so that none is empty, found ${n}`);
  }
}

function checkLabels(labels: ArrayLike<number>, classes: number): void {
  if (!Number.isInteger(classes) || classes < 1) fail('classes', `expected a positive integer, found ${classes}`);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= classes) fail(`labels[${i}]`, `expected a label in 0..${classes - 1}, found ${l}`);
  }
}

function finish(parts: ArrayLike<number>[]): Int32Array[] {
  return parts.map((p) => Int32Array.from(p).sort());
}

/** Indices of each class, in ascending order: `byClass[c]`. */
function indicesByClass(labels: ArrayLike<number>, classes: number): Int32Array[] {
  const counts = new Int32Array(classes);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const fill = new Int32Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    out[l]![fill[l]!++] = i;
  }
  return out;
}

/**
 * IID split of `n` samples: a random permutation cut into `clients` pieces of
 * `floor(n / clients)` or `ceil(n / clients)` samples.
 */
export function iid(n: number, clients: number, rng: Rng): Int32Array[] {
  if (!Number.isInteger(n) || n < 0) fail('n', `expected a non-negative integer, found ${n}`);
  checkClients(clients, n);
  const perm = rng.permutation(n);
  const parts: Int32Array[] = [];
  for (let k = 0; k < clients; k++) {
    parts.push(perm.subarray(Math.floor((k * n) / clients), Math.floor(((k + 1) * n) / clients)));
  }
  return finish(parts);
}

/**
 * Split `total` into integer counts proportional to `p` (which sums to 1) by
 * the largest-remainder rule: floors first, then one more to the largest
 * remainders (ties to the lower index). The counts sum to `total` exactly.
 */
export function roundProportions(p: ArrayLike<number>, total: number): Int32Array {
  const k = p.length;
  const counts = new Int32Array(k);
  const rem = new Float64Array(k);
  let given = 0;
  for (let j = 0; j < k; j++) {
    const exact = p[j]! * total;
    counts[j] = Math.floor(exact);
    rem[j] = exact - counts[j]!;
    given += counts[j]!;
  }
  const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => rem[b]! - rem[a]! || a - b);
  for (let t = 0; given < total; t = (t + 1) % k, given++) counts[order[t]!]!++;
  return counts;
}

export interface DirichletOptions {
  /** Each client gets at least this many samples (default 1). */
  minSize?: number;
}

/**
 * Label-skewed split: for each class `c`, shuffle its samples, draw
 * `p ~ Dir(alpha, ..., alpha)` over the clients, and give client `j` the next
 * `round(p_j * n_c)` of them (largest-remainder rounding, so counts add up).
 *
 * No empty clients: afterwards, while some client holds fewer than `minSize`
 * samples (default 1), it receives one random sample taken from the client
 * that currently holds the most (lowest index on ties). This always
 * terminates when `n >= clients * minSize` (checked up front) and moves at
 * most `clients * minSize` samples, so the skew of a small alpha survives.
 * Unlike the resample-until-large-enough loop of Hsu et al.'s code, it needs
 * no retry and cannot spin forever at tiny alpha.
 */
export function dirichlet(
  labels: ArrayLike<number>,
  classes: number,
  clients: number,
  alpha: number,
  rng: Rng,
  options: DirichletOptions = {},
): Int32Array[] {
  const { minSize = 1 } = options;
  if (!(alpha > 0) || !Number.isFinite(alpha)) fail('alpha', `expected a finite number > 0, found ${alpha}`);
  if (!Number.isInteger(minSize) || minSize < 0) fail('minSize', `expected a non-negative integer, found ${minSize}`);
  checkLabels(labels, classes);
  checkClients(clients, labels.length, clients * minSize, `clients of at least ${minSize} sample${minSize === 1 ? '' : 's'}`);
  const parts: number[][] = Array.from({ length: clients }, () => []);
  for (const idx of indicesByClass(labels, classes)) {
    rng.shuffle(idx);
    const counts = roundProportions(rng.dirichlet(alpha, clients), idx.length);
    let at = 0;
    for (let j = 0; j < clients; j++) {
      for (let t = 0; t < counts[j]!; t++) parts[j]!.push(idx[at++]!);
    }
  }
  for (;;) {
    let small = -1;
    let big = 0;
    for (let j = 0; j < clients; j++) {
      if (small < 0 && parts[j]!.length < minSize) small = j;
      if (parts[j]!.length > parts[big]!.length) big = j;
    }
    if (small < 0) break;
    const donor = parts[big]!;
    const pick = rng.int(donor.length);
    parts[small]!.push(donor[pick]!);
    donor[pick] = donor[donor.length - 1]!;
    donor.pop();
  }
  return finish(parts);
}

/**
 * Pathological non-IID split: sort samples by label (stable, so ties keep
 * index order), cut the sorted list into `S = clients * shardsPerClient`
 * contiguous shards of `floor(n / S)` or `ceil(n / S)` samples, and give each
 * client `shardsPerClient` shards drawn at random without replacement. With
 * 2 shards per client and shards no larger than a class, each client sees at
 * most 2 labels where shards align with classes, and at most 4 otherwise.
 */
export function shards(labels: ArrayLike<number>, clients: number, shardsPerClient: number, rng: Rng): Int32Array[] {
  if (!Number.isInteger(shardsPerClient) || shardsPerClient < 1) {
    fail('shardsPerClient', `expected a positive integer, found ${shardsPerClient}`);
  }
  if (!Number.isInteger(clients) || clients < 1) fail('clients', `expected a positive integer, found ${clients}`);
  let classes = 1;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0) fail(`labels[${i}]`, `expected a non-negative integer label, found ${l}`);
    if (l >= classes) classes = l + 1;
  }
  const n = labels.length;
  const total = clients * shardsPerClient;
  if (n < total) {
    fail('clients', `${clients} clients x ${shardsPerClient} shards need at least ${total} samples (one per shard), found ${n}`);
  }
  const sorted = new Int32Array(n);
  let at = 0;
  for (const idx of indicesByClass(labels, classes)) {
    sorted.set(idx, at);
    at += idx.length;
  }
  const deal = rng.permutation(total);
  const parts: number[][] = Array.from({ length: clients }, () => []);
  for (let t = 0; t < total; t++) {
    const shard = deal[t]!;
    const part = parts[Math.floor(t / shardsPerClient)]!;
    const from = Math.floor((shard * n) / total);
    const to = Math.floor(((shard + 1) * n) / total);
    for (let i = from; i < to; i++) part.push(sorted[i]!);
  }
  return finish(parts);
}

/** Which partitioner to use, as a config records it. */
export type PartitionSpec =
  | { kind: 'iid' }
  | { kind: 'dirichlet'; alpha: number; minSize?: number }
  | { kind: 'shards'; shardsPerClient: number };

/** Run the partitioner a spec names. */
export function partition(
  spec: PartitionSpec,
  labels: ArrayLike<number>,
  classes: number,
  clients: number,
  rng: Rng,
): Int32Array[] {
  switch (spec.kind) {
    case 'iid':
      return iid(labels.length, clients, rng);
    case 'dirichlet':
      return dirichlet(labels, classes, clients, spec.alpha, rng, spec.minSize === undefined ? {} : { minSize: spec.minSize });
    case 'shards':
      return shards(labels, clients, spec.shardsPerClient, rng);
    default: {
      const never: never = spec;
      return fail('partition.kind', `expected 'iid', 'dirichlet' or 'shards', found ${JSON.stringify((never as { kind: unknown }).kind)}`);
    }
  }
}

/**
 * Label skew of a partition: the mean over non-empty clients of the
 * total-variation distance `0.5 * sum_c |p_client(c) - p_global(c)|` between
 * the client's label distribution and that of all the samples it was given.
 * 0 for identical distributions, approaching 1 for clients with disjoint labels.
 */
export function labelSkew(parts: readonly ArrayLike<number>[], labels: ArrayLike<number>, classes: number): number {
  const global = new Float64Array(classes);
  const local = new Float64Array(classes);
  let total = 0;
  for (const p of parts) {
    for (let t = 0; t < p.length; t++) global[labels[p[t]!]!]!++;
    total += p.length;
  }
  if (total === 0) return 0;
  for (let c = 0; c < classes; c++) global[c]! /= total;
  let sum = 0;
  let counted = 0;
  for (const p of parts) {
    if (p.length === 0) continue;
    local.fill(0);
    for (let t = 0; t < p.length; t++) local[labels[p[t]!]!]!++;
    let tv = 0;
    for (let c = 0; c < classes; c++) tv += Math.abs(local[c]! / p.length - global[c]!);
    sum += tv / 2;
    counted++;
  }
  return sum / counted;
}

/** Number of distinct labels each client holds. */
export function distinctLabels(parts: readonly ArrayLike<number>[], labels: ArrayLike<number>): number[] {
  return parts.map((p) => {
    const seen = new Set<number>();
    for (let t = 0; t < p.length; t++) seen.add(labels[p[t]!]!);
    return seen.size;
  });
}
