import { Rng } from '../util/random.js';
import { fail } from '../util/errors.js';
import { lenet5 } from '../models/classical-zoo.js';
import { softmaxCrossEntropy } from '../models/loss.js';
import { Adam } from '../models/optim.js';
import { gemmNN, gemmNT, gemmTN } from '../models/matmul.js';

/**
 * Benchmarks of the classical models. `benchLenet` times one LeNet-5 training
 * step (forward, backward, Adam update) on a batch of random 1×28×28 inputs:
 * `warmup` untimed steps so that V8 has optimised the kernels, then the
 * median of `runs` timed steps. `benchGemm` gives the throughput of the
 * matrix kernels on the shapes LeNet-5's convolutions hand them.
 *
 * Run both alone: `node dist/bench/classical.js [batch] [runs]`.
 */
export interface BenchLenetOptions {
  /** Default 64. */
  readonly batch?: number;
  /** Timed steps; default 20. */
  readonly runs?: number;
  /** Untimed steps first; default 5. */
  readonly warmup?: number;
  readonly seed?: number;
  /** Where the result line goes; default `console.log`. */
  readonly log?: (line: string) => void;
}

export interface BenchLenetResult {
  /** Median wall time of one step, in milliseconds. */
  readonly msPerStep: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly batch: number;
  readonly runs: number;
  readonly params: number;
}

export async function benchLenet(options: BenchLenetOptions = {}): Promise<BenchLenetResult> {
  const batch = options.batch ?? 64;
  const runs = options.runs ?? 20;
  const warmup = options.warmup ?? 5;
  const log = options.log ?? ((line: string) => console.log(line));
  for (const [field, value, min] of [['batch', batch, 1], ['runs', runs, 1], ['warmup', warmup, 0]] as const) {
    if (!Number.isInteger(value) || value < min) fail(`bench.${field}`, `must be an integer >= ${min}, got ${value}`);
  }
  const rng = new Rng(options.seed ?? 1);
  const model = lenet5(10);
  model.init(rng);
  const x = new Float64Array(batch * 28 * 28);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const labels = new Int32Array(batch);
  for (let i = 0; i < batch; i++) labels[i] = rng.int(10);
  const opt = new Adam({ lr: 1e-3 });
  const step = (): void => {
    const { grad } = model.lossAndGrad(x, labels, batch, softmaxCrossEntropy);
    opt.step(model.params, grad);
  };
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
    // Yield between steps so a caller's progress output and timers can run.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  times.sort((a, b) => a - b);
  const mid = Math.floor(runs / 2);
  const msPerStep = runs % 2 === 1 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  const result: BenchLenetResult = {
    msPerStep,
    minMs: times[0]!,
    maxMs: times[runs - 1]!,
    batch,
    runs,
    params: model.paramCount,
  };
  log(
    `lenet5 train step (batch ${batch}, ${model.paramCount} params, adam): ` +
      `median ${msPerStep.toFixed(1)} ms over ${runs} runs (min ${result.minMs.toFixed(1)}, max ${result.maxMs.toFixed(1)})`,
  );
  return result;
}

export interface GemmBenchRow {
  readonly layout: 'NN' | 'NT' | 'TN';
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Billions of multiply-adds per second. */
  readonly gmacs: number;
}

/**
 * Throughput of `gemmNN` / `gemmNT` / `gemmTN` on the per-sample products of
 * LeNet-5's two convolutions (forward, weight gradient, column gradient),
 * each run for about `msPerShape` milliseconds after a warmup.
 */
export function benchGemm(msPerShape = 200, log: (line: string) => void = (l) => console.log(l)): GemmBenchRow[] {
  const shapes = [
    { layout: 'NN', m: 6, n: 784, k: 25 },
    { layout: 'NT', m: 6, n: 25, k: 784 },
    { layout: 'TN', m: 25, n: 784, k: 6 },
    { layout: 'NN', m: 16, n: 100, k: 150 },
    { layout: 'NT', m: 16, n: 150, k: 100 },
    { layout: 'TN', m: 150, n: 100, k: 16 },
  ] as const;
  const kernels = { NN: gemmNN, NT: gemmNT, TN: gemmTN };
  const rng = new Rng(2);
  return shapes.map(({ layout, m, n, k }) => {
    const a = Float64Array.from({ length: m * k }, () => rng.normal());
    const b = Float64Array.from({ length: k * n }, () => rng.normal());
    const c = new Float64Array(m * n);
    const f = kernels[layout];
    for (let i = 0; i < 50; i++) f(m, n, k, a, b, c);
    let reps = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < msPerShape) {
      for (let i = 0; i < 20; i++) f(m, n, k, a, b, c);
      reps += 20;
      t = performance.now();
    }
    const gmacs = (reps * m * n * k) / ((t - t0) * 1e6);
    log(`gemm ${layout} ${m}x${n}x${k}: ${gmacs.toFixed(2)} GMAC/s`);
    return { layout, m, n, k, gmacs };
  });
}

/** `qfl bench classical`: GEMM throughput and one LeNet-5 training step, beside TensorFlow.js's figure. */
export async function benchClassical(): Promise<void> {
  console.log('\n== qfl bench classical ==');
  benchGemm();
  const r = await benchLenet();
  // TensorFlow.js cpu backend: 2.5 s per step on a machine like this one (the measurement, not this run's).
  console.log(`lenet5 step vs TensorFlow.js cpu backend (2500 ms, quoted): ${(2500 / r.msPerStep).toFixed(0)}x faster; target < 100 ms`);
}
