import { CircuitBuilder, input, type Circuit } from '../quantum/circuit.js';
import { concentratableEntanglement } from '../quantum/entanglement.js';
import { simulate } from '../quantum/statevector.js';
import { hardwareEfficient } from '../quantum/templates.js';
import { fail } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { makeDataset } from './dataset.js';
import type { QuantumDataset } from './quantum.js';

/**
 * NTangled-style entanglement data (Schatzki, Arrasmith, Coles, Cerezo,
 * "Entangled datasets for quantum machine learning", arXiv 2109.03400; the
 * data set QuNetQFL, paper 002, classifies): one generator circuit per class,
 * trained so that the states it makes from random product inputs have a set
 * concentratable entanglement (CE); a sample of class c is generator c applied
 * to a fresh random product state. Paper 002's setting: 6 qubits, generators
 * of 4 hardware-efficient layers.
 *
 * A generator is a product-state input layer (Rot(phi, theta, omega) per wire
 * from three input features) then `hardwareEfficient(layers)` (RY, RZ per
 * wire and a CNOT ring per layer: 2 n L weights). Its weights minimise the
 * mean of (CE(psi) - target)^2 over a batch of random inputs, by Adam on
 * central finite differences (CE is a quadratic function of the state, not
 * an expectation value, so the adjoint method does not apply), from the best
 * of four random starts.
 * Everything is drawn from the seed: same options, same data set.
 */

export interface NtangledOptions {
  /** States in all, an equal share per class (a multiple of the class count). */
  readonly samples: number;
  readonly seed: number;
  /** Qubits, 2..8 (default 6; CE costs 3^n 2^n per state). */
  readonly nQubits?: number;
  /** Hardware-efficient layers of each generator (default 4). */
  readonly layers?: number;
  /** The CE each class's generator is trained to, distinct values in [0, 1) (default [0.15, 0.35]). */
  readonly targets?: readonly number[];
  /** Optimisation steps per generator (default 60) and random inputs per step (default 4). */
  readonly steps?: number;
  readonly batch?: number;
}

export interface NtangledDataset extends QuantumDataset {
  /** Per class: its target CE, and the mean and standard deviation of CE over its samples. */
  readonly classes: readonly { readonly target: number; readonly mean: number; readonly sd: number }[];
}

/** The generator circuit: inputs 3w..3w+2 set wire w's product state, then the trained layers. */
export function ntangledGenerator(nQubits: number, layers: number): Circuit {
  const b = new CircuitBuilder(nQubits);
  for (let w = 0; w < nQubits; w++) b.add('Rot', [w], [input(3 * w), input(3 * w + 1), input(3 * w + 2)]);
  hardwareEfficient(b, { layers });
  return b.build();
}

/** Random product-state inputs: Haar-random single-qubit states (cos(theta) uniform), `count` rows of 3n angles. */
function productInputs(n: number, count: number, rng: Rng): Float64Array {
  const x = new Float64Array(count * 3 * n);
  for (let i = 0; i < count * n; i++) {
    x[3 * i] = 2 * Math.PI * rng.uniform();
    x[3 * i + 1] = Math.acos(1 - 2 * rng.uniform());
    x[3 * i + 2] = 2 * Math.PI * rng.uniform();
  }
  return x;
}

function ceOf(circuit: Circuit, inputs: Float64Array, weights: Float64Array, batch: number): Float64Array {
  return concentratableEntanglement(simulate({ circuit, inputs, weights, batch }));
}

/** Trains one generator's weights towards `target` (see the module comment); returns them. */
export function trainGenerator(circuit: Circuit, target: number, o: { steps: number; batch: number; rng: Rng }): Float64Array {
  // The landscape has poor local minima: four random starts get a fifth of
  // the steps each, and the best (on a fixed batch of 32 inputs) gets the rest.
  const probe = productInputs(circuit.nQubits, 32, o.rng);
  const score = (w: Float64Array) => ceOf(circuit, probe, w, 32).reduce((a, c) => a + (c - target) ** 2, 0) / 32;
  const short = Math.max(1, Math.floor(o.steps / 5));
  let best: Float64Array | undefined;
  for (let r = 0; r < 4; r++) {
    const w = Float64Array.from({ length: circuit.nWeights }, () => (2 * o.rng.uniform() - 1) * Math.PI);
    adamSteps(circuit, target, w, short, o);
    if (best === undefined || score(w) < score(best)) best = w;
  }
  adamSteps(circuit, target, best!, o.steps - short, o);
  return best!;
}

/** `steps` Adam steps on w (in place) against (CE - target)^2, gradients by central differences. */
function adamSteps(circuit: Circuit, target: number, w: Float64Array, steps: number, o: { batch: number; rng: Rng }): void {
  const n = circuit.nQubits;
  const p = circuit.nWeights;
  const loss = (x: Float64Array, ws: Float64Array) => {
    const ce = ceOf(circuit, x, ws, o.batch);
    let s = 0;
    for (const c of ce) s += (c - target) ** 2;
    return s / o.batch;
  };
  // Adam on central finite differences of a fresh random batch each step
  // (stochastic but unbiased over the inputs).
  const m = new Float64Array(p);
  const v = new Float64Array(p);
  const g = new Float64Array(p);
  const h = 1e-4;
  const lr = 0.1;
  for (let k = 1; k <= steps; k++) {
    const x = productInputs(n, o.batch, o.rng);
    for (let i = 0; i < p; i++) {
      const wi = w[i]!;
      w[i] = wi + h;
      const up = loss(x, w);
      w[i] = wi - h;
      const down = loss(x, w);
      w[i] = wi;
      g[i] = (up - down) / (2 * h);
    }
    for (let i = 0; i < p; i++) {
      m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
      v[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
      const mh = m[i]! / (1 - 0.9 ** k);
      const vh = v[i]! / (1 - 0.999 ** k);
      w[i] = w[i]! - (lr * mh) / (Math.sqrt(vh) + 1e-8);
    }
  }
}

/**
 * The data set: `samples / classes` states per class, class c made by the
 * generator trained to targets[c], rows in the `state` prep layout (2^n real
 * parts, then 2^n imaginary parts), shuffled; `measure` is each row's CE.
 *
 * @example
 * const { dataset, classes } = ntangledDataset({ samples: 200, seed: 1 });
 * // classes[0].mean is near 0.15, classes[1].mean near 0.35; dataset.shape = [128]
 */
export function ntangledDataset(opts: NtangledOptions): NtangledDataset {
  const n = opts.nQubits ?? 6;
  if (!Number.isInteger(n) || n < 2 || n > 8) fail('qubits', `must be an integer in [2, 8] (CE costs 3^n 2^n per state), got ${n}`);
  const layers = opts.layers ?? 4;
  if (!Number.isInteger(layers) || layers < 1) fail('layers', `must be a positive integer, got ${layers}`);
  const targets = opts.targets ?? [0.15, 0.35];
  if (targets.length < 2 || new Set(targets).size !== targets.length || targets.some((t) => !(t >= 0 && t < 1))) {
    fail('ce_targets', `must be at least two distinct values in [0, 1), got [${targets.join(', ')}]`);
  }
  const k = targets.length;
  if (!Number.isInteger(opts.samples) || opts.samples < k || opts.samples % k !== 0) fail('samples', `must be a positive multiple of the ${k} classes, got ${opts.samples}`);
  const rng = new Rng(opts.seed);
  const circuit = ntangledGenerator(n, layers);
  const per = opts.samples / k;
  const dim = 1 << n;
  const rows = new Float64Array(opts.samples * 2 * dim);
  const labels = new Int32Array(opts.samples);
  const measure = new Float64Array(opts.samples);
  const classes: { target: number; mean: number; sd: number }[] = [];
  targets.forEach((target, c) => {
    const w = trainGenerator(circuit, target, { steps: opts.steps ?? 60, batch: opts.batch ?? 4, rng: rng.fork() });
    const state = simulate({ circuit, inputs: productInputs(n, per, rng), weights: w, batch: per });
    const ce = concentratableEntanglement(state);
    for (let i = 0; i < per; i++) {
      const row = c * per + i;
      rows.set(state.re.subarray(i * dim, (i + 1) * dim), row * 2 * dim);
      rows.set(state.im.subarray(i * dim, (i + 1) * dim), row * 2 * dim + dim);
      labels[row] = c;
      measure[row] = ce[i]!;
    }
    const mean = ce.reduce((a, b) => a + b, 0) / per;
    const sd = Math.sqrt(ce.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, per - 1));
    classes.push({ target, mean, sd });
  });
  // Shuffle the rows so that a split or a partition sees every class.
  const perm = rng.permutation(opts.samples);
  const x = new Float64Array(rows.length);
  const y = new Int32Array(opts.samples);
  const m = new Float64Array(opts.samples);
  perm.forEach((from, to) => {
    x.set(rows.subarray(from * 2 * dim, (from + 1) * 2 * dim), to * 2 * dim);
    y[to] = labels[from]!;
    m[to] = measure[from]!;
  });
  const dataset = makeDataset({ x, y, shape: [2 * dim], classes: k }, 'ntangledDataset');
  return { dataset, measure: m, measureName: 'concentratable-entanglement', nQubits: n, threshold: NaN, depths: new Int32Array(opts.samples).fill(layers), attempts: opts.samples, classes };
}
