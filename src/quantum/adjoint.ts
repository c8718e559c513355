import { fail } from '../util/errors.js';
import type { Param } from './circuit.js';
import { generatorInner } from './kernels.js';
import { adjointStart, expval, type PauliWord } from './measure.js';
import { applyItem, blocksOfForward, checkArgs, companionState, prepare, releaseState, simulate, TrigScratch, type RunArgs, type StateBatch } from './statevector.js';
import { adjointBlockStep, BlockMatrices, fuse } from './fusion.js';
import { compile } from './tape.js';

/** d(loss)/d(weights) summed over the batch, and d(loss)/d(inputs) per sample. */
export interface Gradients {
  readonly gradWeights: Float64Array;
  readonly gradInputs: Float64Array;
}

export interface VjpResult extends Gradients {
  /** The forward outputs, batch x K expectation values. */
  readonly outputs: Float64Array;
}

/** Every gradient method has this signature; `gradOutputs` is batch x K. */
export type GradientMethod = (args: RunArgs, observables: readonly PauliWord[], gradOutputs: Float64Array) => Gradients;

/**
 * Adds dθ/d(weights, inputs) * dLdTheta[b] for a parameter θ used by a gate:
 * weights get the batch sum, inputs get per-sample values.
 */
export function scatterParamGrad(
  p: Param,
  args: RunArgs,
  dLdTheta: Float64Array,
  perSample: boolean,
  gradWeights: Float64Array,
  gradInputs: Float64Array,
): void {
  const { batch, inputs } = args;
  const nIn = args.circuit.nInputs;
  switch (p.kind) {
    case 'const':
      return;
    case 'weight': {
      let sum = 0;
      if (perSample) for (let b = 0; b < batch; b++) sum += dLdTheta[b]!;
      else sum = dLdTheta[0]!;
      gradWeights[p.index] += sum * (p.scale ?? 1);
      return;
    }
    case 'input': {
      const s = p.scale ?? 1;
      for (let b = 0; b < batch; b++) gradInputs[b * nIn + p.index] += dLdTheta[b]! * s;
      return;
    }
    case 'inputProduct': {
      const s = p.scale ?? 1;
      const [i, j] = p.indices;
      for (let b = 0; b < batch; b++) {
        gradInputs[b * nIn + i] += dLdTheta[b]! * s * inputs[b * nIn + j]!;
        gradInputs[b * nIn + j] += dLdTheta[b]! * s * inputs[b * nIn + i]!;
      }
      return;
    }
  }
}

export function checkGradOutputs(args: RunArgs, observables: readonly PauliWord[], gradOutputs: Float64Array): void {
  if (gradOutputs.length !== args.batch * observables.length) {
    fail('gradOutputs', `expected batch (${args.batch}) x observables (${observables.length}) values, got ${gradOutputs.length}`);
  }
}

/**
 * Vector-Jacobian product by the adjoint method (Jones & Gacon 2020,
 * arXiv:2009.02823): simulates the batch, then runs `vjpFromState` on the
 * final states. Returns the forward outputs too.
 */
export function vjp(args: RunArgs, observables: readonly PauliWord[], gradOutputs: Float64Array): VjpResult {
  checkArgs(args);
  checkGradOutputs(args, observables, gradOutputs);
  const psi = simulate(args);
  const outputs = expval(psi, observables);
  const grads = vjpFromState(args, observables, gradOutputs, psi);
  releaseState(psi);
  return { outputs, ...grads };
}

/**
 * The adjoint pass from the forward's final states `psi` (what
 * `simulate(args)` returned; a layer hands over the state of its forward
 * pass, so nothing is simulated twice). With lam = sum_k g_k O_k psi at the
 * end of the circuit, walking back through each gate U = exp(-i θ G):
 *   dL/dθ = 2 Im <lam|G|psi>, then psi <- U^† psi, lam <- U^† lam.
 * psi is un-computed in place (it ends as the initial states, to rounding),
 * so the pass costs two inverse sweeps plus one inner product per
 * parameterized gate; a fused run un-computes psi, reads its cross matrix and
 * moves lam in one pass over memory (fusion.ts). At the start, lam is
 * dL/d(initial state): for amplitude embedding the chain rule through the L2
 * normalization gives d/d(features).
 */
export function vjpFromState(
  args: RunArgs,
  observables: readonly PauliWord[],
  gradOutputs: Float64Array,
  psi: StateBatch,
): Gradients {
  checkArgs(args);
  checkGradOutputs(args, observables, gradOutputs);
  const { circuit, batch } = args;
  const n = circuit.nQubits;
  if (psi.nQubits !== n || psi.batch !== batch) {
    fail('state', `holds ${psi.batch} x ${psi.nQubits} qubits, the run needs ${batch} x ${n}`);
  }
  const items = fuse(compile(circuit));
  const blocks = blocksOfForward(psi, args);
  const trig = new TrigScratch(batch);
  const scratch = new Float64Array(1 << n);
  const lam = companionState(psi);
  adjointStart(psi, observables, gradOutputs, lam.re, lam.im);

  const gradWeights = new Float64Array(circuit.nWeights);
  const gradInputs = new Float64Array(batch * circuit.nInputs);
  const dTheta = new Float64Array(batch);
  const cross = new Float64Array(batch * 8);
  const summedC = new Float64Array(8);
  const needPrep = circuit.prep.kind !== 'zero';
  for (let t = items.length - 1; t >= 0; t--) {
    const item = items[t]!;
    // lam is only needed further back for earlier gates or the state preparation.
    const doLam = t > 0 || needPrep;
    if (item.kind === 'block' && item.ops.some((o) => o.kind === 'rot' && o.param.kind !== 'const')) {
      // A fused run: every gate's gradient comes off one cross matrix (fusion.ts).
      const block = blocks?.[t] ?? new BlockMatrices(item.ops, args);
      adjointBlockStep(psi, lam, item.bit, block.daggerProduct(), cross, doLam);
      summedC.fill(0);
      if (block.samples === 1) for (let i = 0; i < cross.length; i++) summedC[i & 7] += cross[i]!;
      const outs = item.ops.map(() => new Float64Array(block.samples));
      block.gradients(cross, summedC, outs);
      item.ops.forEach((o, k) => {
        if (o.kind === 'rot' && o.param.kind !== 'const') scatterParamGrad(o.param, args, outs[k]!, block.samples > 1, gradWeights, gradInputs);
      });
      continue;
    }
    const op = item.kind === 'op' ? item.op : undefined;
    if (op && op.kind === 'rot' && op.param.kind !== 'const') {
      generatorInner(op.rot, lam.re, lam.im, psi.re, psi.im, n, op.bits, op.ctrl, dTheta);
      scatterParamGrad(op.param, args, dTheta, true, gradWeights, gradInputs);
    }
    // The initial states are prepared again below, exactly; no need to un-compute into them.
    const block = blocks?.[t];
    if (t > 0) applyItem(psi, item, args, trig, scratch, true, block);
    if (doLam) applyItem(lam, item, args, trig, scratch, true, block);
  }
  if (needPrep) {
    prepare(args, psi);
    prepGradient(args, psi, lam, gradInputs);
  }
  return { gradWeights, gradInputs };
}

/**
 * dL/d(inputs) through the state preparation, given lam = M psi0 at the start
 * (M Hermitian): for a real perturbation of amplitude j, dL = 2 Re(lam_j); for
 * an imaginary one, 2 Im(lam_j). The normalization y = x / |x| (amplitude
 * embedding, prepared states) then maps g_y to (g_y - y (y . g_y)) / |x|.
 */
function prepGradient(args: RunArgs, psi0: StateBatch, lam: StateBatch, gradInputs: Float64Array): void {
  const { circuit, batch, inputs } = args;
  const prep = circuit.prep;
  if (prep.kind === 'zero') return;
  const dim = 1 << circuit.nQubits;
  const nIn = circuit.nInputs;
  for (let b = 0; b < batch; b++) {
    const at = b * dim;
    const row = b * nIn;
    // Both preps normalize y = x / |x|; x is real (amplitude) or re/im pairs (state).
    const parts = prep.kind === 'state' ? 2 : 1;
    const length = prep.kind === 'state' ? dim : prep.length;
    const offset = prep.kind === 'state' ? 0 : prep.offset;
    let norm2 = 0;
    for (let j = 0; j < length * parts; j++) norm2 += inputs[row + offset + j]! ** 2;
    const norm = Math.sqrt(norm2);
    let dot = 0;
    for (let j = 0; j < length; j++) {
      dot += psi0.re[at + j]! * 2 * lam.re[at + j]!;
      if (parts === 2) dot += psi0.im[at + j]! * 2 * lam.im[at + j]!;
    }
    for (let j = 0; j < length; j++) {
      gradInputs[row + offset + j] += (2 * lam.re[at + j]! - psi0.re[at + j]! * dot) / norm;
      if (parts === 2) gradInputs[row + dim + j] += (2 * lam.im[at + j]! - psi0.im[at + j]! * dot) / norm;
    }
  }
}
