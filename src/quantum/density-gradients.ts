import { checkGradOutputs, scatterParamGrad, type Gradients, type VjpResult } from './adjoint.js';
import { accumulateObservable, expvalDensity } from './density-measure.js';
import {
  allocDensity,
  applyChannelDensity,
  applyGateDensity,
  applyStep,
  DensityScratch,
  prepareDensity,
  simulateDensity,
  type DensityBatch,
} from './density.js';
import { generatorInner } from './kernels.js';
import { centralDifferences, shiftRuleGradients, weightOutputs, type WeightedRun } from './gradients.js';
import type { PauliWord } from './measure.js';
import { noisyProgram, type NoiseModel } from './noise.js';
import { allocState, checkArgs, prepare, type RunArgs } from './statevector.js';

/**
 * Gradients on the noisy density-matrix simulator, with the statevector
 * methods' signature plus the noise model: (args, observables, gradOutputs,
 * noise) -> { gradWeights, gradInputs }. `withNoise` binds a model and gives a
 * plain `GradientMethod`.
 */
export type NoisyGradientMethod = (
  args: RunArgs,
  observables: readonly PauliWord[],
  gradOutputs: Float64Array,
  noise?: NoiseModel,
) => Gradients;

/**
 * Binds a noise model: the result has the statevector methods' signature (a
 * `GradientMethod`), and keeps `densityVjp`'s outputs when given it.
 *
 * ```ts
 * const grad: GradientMethod = withNoise(densityVjp, noise);
 * ```
 */
export function withNoise<R extends Gradients>(
  method: (args: RunArgs, observables: readonly PauliWord[], gradOutputs: Float64Array, noise?: NoiseModel) => R,
  noise: NoiseModel,
): (args: RunArgs, observables: readonly PauliWord[], gradOutputs: Float64Array) => R {
  return (args, observables, gradOutputs) => method(args, observables, gradOutputs, noise);
}

/** Memory the adjoint pass may spend on saved density matrices before it checkpoints (option `snapshotBytes`). */
const SNAPSHOT_BYTES = 256 * 2 ** 20;

/**
 * Vector-Jacobian product by the adjoint method for density matrices.
 *
 * With L = sum_bk g_bk Tr(O_k rho_b) and lam = sum_k g_k O_k at the end (O_k
 * the measured operator, readout errors included), walking back through the
 * program:
 * - a rotation rho' = U rho U^dagger with U = exp(-i theta G) gives
 *   dL/dtheta = -i Tr(lam [G, rho']) = 2 Im Tr(lam G rho'), which is the
 *   statevector kernel `generatorInner` on vec(lam), vec(rho') with G on the
 *   row bits; then rho <- U^dagger rho' U and lam <- U^dagger lam U;
 * - a channel rho' = E(rho) passes lam <- E^dagger(lam) = sum K^dagger lam K.
 *   Channels cannot be undone, so the pass keeps the density matrix before
 *   each channel, or, past a memory budget, one checkpoint every S channels
 *   (S ~ sqrt(#channels)) and recomputes one segment at a time: at most one
 *   extra forward pass.
 * The state preparation gets d/d(inputs) from lam_0 psi_0 as in `vjp`.
 * Cost: about three forward passes, whatever the number of parameters.
 */
export function densityVjp(
  args: RunArgs,
  observables: readonly PauliWord[],
  gradOutputs: Float64Array,
  noise?: NoiseModel,
  options: { readonly snapshotBytes?: number } = {},
): VjpResult {
  checkArgs(args);
  checkGradOutputs(args, observables, gradOutputs);
  const { circuit, batch } = args;
  const n = circuit.nQubits;
  const steps = noisyProgram(circuit, noise);
  const sc = new DensityScratch(batch);
  const rho = allocDensity(n, batch);
  prepareDensity(args, rho);

  // Where the channels are, and how their input states are kept.
  const channelAt = steps.flatMap((s, t) => (s.kind === 'channel' ? [t] : []));
  const C = channelAt.length;
  const maxStates = Math.max(2, Math.floor((options.snapshotBytes ?? SNAPSHOT_BYTES) / (rho.re.length * 16)));
  const S = C <= maxStates ? Math.max(C, 1) : Math.ceil(Math.sqrt(C));
  const single = S >= C;
  const segment: DensityBatch[] = [];
  const bufferAt = (k: number): DensityBatch => (segment[k] ??= allocDensity(n, batch));
  const checkpoints: DensityBatch[] = [];
  const save = (into: DensityBatch) => {
    into.re.set(rho.re);
    into.im.set(rho.im);
  };

  let j = 0;
  for (const step of steps) {
    if (step.kind === 'channel') {
      if (single) save(bufferAt(j));
      else if (j % S === 0) save((checkpoints[j / S] = allocDensity(n, batch)));
      j++;
    }
    applyStep(rho, step, args, sc);
  }
  let loaded = single ? 0 : -1;

  const outputs = expvalDensity(rho, observables, noise);
  const maps = noise ? noise.readoutMaps(n) : [];
  const lam = allocDensity(n, batch);
  observables.forEach((word, k) => accumulateObservable(lam, word, gradOutputs, observables.length, k, maps));

  const gradWeights = new Float64Array(circuit.nWeights);
  const gradInputs = new Float64Array(batch * circuit.nInputs);
  const dTheta = new Float64Array(batch);
  j = C - 1;
  for (let t = steps.length - 1; t >= 0; t--) {
    const step = steps[t]!;
    if (step.kind === 'gate') {
      const op = step.op;
      if (op.kind === 'rot' && op.param.kind !== 'const') {
        const bits = op.bits.map((b) => b << n);
        generatorInner(op.rot, lam.re, lam.im, rho.re, rho.im, 2 * n, bits, op.ctrl << n, dTheta);
        scatterParamGrad(op.param, args, dTheta, true, gradWeights, gradInputs);
      }
      applyGateDensity(rho, op, args, sc, true);
      applyGateDensity(lam, op, args, sc, true);
      continue;
    }
    // The density matrix before channel j: saved, or recomputed with its segment.
    const seg = Math.floor(j / S);
    if (loaded !== seg) {
      const start = seg * S;
      rho.re.set(checkpoints[seg]!.re);
      rho.im.set(checkpoints[seg]!.im);
      for (let u = channelAt[start]!, c = start; ; u++) {
        const s = steps[u]!;
        if (s.kind === 'channel') {
          save(bufferAt(c - start));
          if (c === j) break;
          c++;
        }
        applyStep(rho, s, args, sc);
      }
      loaded = seg;
    }
    const kept = segment[j - seg * S]!;
    rho.re.set(kept.re);
    rho.im.set(kept.im);
    applyChannelDensity(lam, step.channel, step.bits, sc, true);
    j--;
  }
  prepGradient(args, lam, gradInputs);
  return { outputs, gradWeights, gradInputs };
}

/**
 * dL/d(inputs) through the state preparation rho_0 = |psi><psi|, psi = x/|x|:
 * L = <psi|lam_0|psi>, so dL/dRe(psi_j) = 2 Re(lam_0 psi)_j and
 * dL/dIm(psi_j) = 2 Im(lam_0 psi)_j, then the normalization's Jacobian
 * (g - y (y . g)) / |x| as in the statevector `vjp`.
 */
function prepGradient(args: RunArgs, lam: DensityBatch, gradInputs: Float64Array): void {
  const { circuit, batch, inputs } = args;
  const prep = circuit.prep;
  if (prep.kind === 'zero') return;
  const psi = allocState(circuit.nQubits, batch);
  prepare(args, psi);
  const dim = 1 << circuit.nQubits;
  const nIn = circuit.nInputs;
  const vr = new Float64Array(dim);
  const vi = new Float64Array(dim);
  for (let b = 0; b < batch; b++) {
    const at = b * dim;
    const row = b * nIn;
    // v = lam_0 psi
    for (let i = 0; i < dim; i++) {
      let sr = 0;
      let si = 0;
      const base = (at + i) * dim;
      for (let k = 0; k < dim; k++) {
        const lr = lam.re[base + k]!, li = lam.im[base + k]!;
        const pr = psi.re[at + k]!, pi = psi.im[at + k]!;
        sr += lr * pr - li * pi;
        si += lr * pi + li * pr;
      }
      vr[i] = sr;
      vi[i] = si;
    }
    const parts = prep.kind === 'state' ? 2 : 1;
    const length = prep.kind === 'state' ? dim : prep.length;
    const offset = prep.kind === 'state' ? 0 : prep.offset;
    let norm2 = 0;
    for (let k = 0; k < length * parts; k++) norm2 += inputs[row + offset + k]! ** 2;
    const norm = Math.sqrt(norm2);
    let dot = 0;
    for (let k = 0; k < length; k++) {
      dot += psi.re[at + k]! * 2 * vr[k]!;
      if (parts === 2) dot += psi.im[at + k]! * 2 * vi[k]!;
    }
    for (let k = 0; k < length; k++) {
      gradInputs[row + offset + k] += (2 * vr[k]! - psi.re[at + k]! * dot) / norm;
      if (parts === 2) gradInputs[row + dim + k] += (2 * vi[k]! - psi.im[at + k]! * dot) / norm;
    }
  }
}

const densityRun =
  (observables: readonly PauliWord[], g: Float64Array, noise?: NoiseModel): WeightedRun =>
  (args, shift) =>
    weightOutputs(expvalDensity(simulateDensity(args, { ...(noise ? { noise } : {}), ...(shift ? { shift } : {}) }), observables, noise), g, args.batch);

/**
 * Parameter shift on the noisy simulator. It is exact here: every channel
 * follows a gate and does not depend on its angle, so f(theta) =
 * Tr(A U(theta) B U(theta)^dagger) has the same frequencies as without noise
 * (two-term rule for uncontrolled rotations and phases, four-term rule for
 * controlled Pauli rotations; see `parameterShift`). Readout errors are linear
 * in the outcome distribution and keep it exact too. Inputs read by the state
 * preparation get no gradient here.
 */
export function densityParameterShift(
  args: RunArgs,
  observables: readonly PauliWord[],
  gradOutputs: Float64Array,
  noise?: NoiseModel,
): Gradients {
  checkArgs(args);
  checkGradOutputs(args, observables, gradOutputs);
  return shiftRuleGradients(args, densityRun(observables, gradOutputs, noise));
}

/** Central finite differences on the noisy simulator (a reference for tests, O(h^2)). */
export function densityFiniteDifferences(
  args: RunArgs,
  observables: readonly PauliWord[],
  gradOutputs: Float64Array,
  noise?: NoiseModel,
  h = 1e-6,
): Gradients {
  checkArgs(args);
  checkGradOutputs(args, observables, gradOutputs);
  return centralDifferences(args, densityRun(observables, gradOutputs, noise), h);
}
