import { fail } from '../util/errors.js';
import type { Param } from './circuit.js';
import { generatorInner } from './kernels.js';
import { accumulatePauli, expval, type PauliWord } from './measure.js';
import { allocState, applyItem, checkArgs, prepare, TrigScratch, type RunArgs, type StateBatch } from './statevector.js';

/** Memory the adjoint pass may spend on saved intermediate states instead of recomputing them. */
const SNAPSHOT_BYTES = 256 * 2 ** 20;
import { BlockMatrices, crossMatrix, fuse } from './fusion.js';
import { compile } from './tape.js';

/**
 * Saved-state buffers, reused from call to call: a training loop calls vjp
 * with the same shapes every step, and fresh buffers each time would cost
 * more in allocation and garbage collection than the copies themselves.
 */
let snapshotPool: StateBatch[] = [];

function snapshotBuffers(count: number, like: StateBatch): StateBatch[] {
  const fits = snapshotPool.length > 0 && snapshotPool[0]!.re.length === like.re.length;
  if (!fits) snapshotPool = [];
  while (snapshotPool.length < count) snapshotPool.push(allocState(like.nQubits, like.batch));
  return snapshotPool.slice(0, count).map((s) => ({ ...s, nQubits: like.nQubits, batch: like.batch }));
}

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
 * arXiv:2009.02823). With lam = sum_k g_k O_k psi at the end of the circuit,
 * walking back through each gate U = exp(-i θ G):
 *   dL/dθ = 2 Im <lam|G|psi>, then psi <- U^† psi, lam <- U^† lam.
 * Cost: one forward pass plus two inverse passes and one read-only inner
 * product per parameterized gate, whatever the number of parameters.
 * At the start, lam is dL/d(initial state): for amplitude embedding the
 * chain rule through the L2 normalization gives d/d(features).
 */
export function vjp(args: RunArgs, observables: readonly PauliWord[], gradOutputs: Float64Array): VjpResult {
  checkArgs(args);
  checkGradOutputs(args, observables, gradOutputs);
  const { circuit, batch } = args;
  const n = circuit.nQubits;
  const items = fuse(compile(circuit));
  const trig = new TrigScratch(batch);
  const scratch = new Float64Array(1 << n);

  // Forward, keeping the state before each item when that fits the budget;
  // otherwise the backward pass uncomputes it with the item's inverse.
  const psi = allocState(n, batch);
  prepare(args, psi);
  const keep = items.length * psi.re.length * 16 <= SNAPSHOT_BYTES;
  const before = keep ? snapshotBuffers(items.length, psi) : [];
  // The fused runs' matrices, built once for the forward and the backward pass.
  const blocks = items.map((item) => (item.kind === 'block' ? new BlockMatrices(item.ops, args) : undefined));
  items.forEach((item, t) => {
    if (keep) {
      before[t]!.re.set(psi.re);
      before[t]!.im.set(psi.im);
    }
    applyItem(psi, item, args, trig, scratch, false, blocks[t]);
  });
  const outputs = expval(psi, observables);
  const lam = allocState(n, batch);
  observables.forEach((word, k) => accumulatePauli(psi, word, gradOutputs, observables.length, k, lam.re, lam.im));

  const gradWeights = new Float64Array(circuit.nWeights);
  const gradInputs = new Float64Array(batch * circuit.nInputs);
  const dTheta = new Float64Array(batch);
  const cross = new Float64Array(batch * 8);
  const summedC = new Float64Array(8);
  let psiAfter = psi;
  for (let t = items.length - 1; t >= 0; t--) {
    const item = items[t]!;
    const op = item.kind === 'op' ? item.op : undefined;
    if (op && op.kind === 'rot' && op.param.kind !== 'const') {
      generatorInner(op.rot, lam.re, lam.im, psiAfter.re, psiAfter.im, n, op.bits, op.ctrl, dTheta);
      scatterParamGrad(op.param, args, dTheta, true, gradWeights, gradInputs);
    }
    const block = blocks[t];
    let psiBefore = psiAfter;
    if (keep) psiBefore = before[t]!;
    else applyItem(psiBefore, item, args, trig, scratch, true, block);
    if (item.kind === 'block' && block && item.ops.some((o) => o.kind === 'rot' && o.param.kind !== 'const')) {
      // A fused run: every gate's gradient comes off one cross matrix (fusion.ts).
      crossMatrix(psiBefore, lam, item.bit, cross);
      summedC.fill(0);
      if (block.samples === 1) for (let i = 0; i < cross.length; i++) summedC[i & 7] += cross[i]!;
      const outs = item.ops.map(() => new Float64Array(block.samples));
      block.gradients(cross, summedC, outs);
      item.ops.forEach((o, k) => {
        if (o.kind === 'rot' && o.param.kind !== 'const') scatterParamGrad(o.param, args, outs[k]!, block.samples > 1, gradWeights, gradInputs);
      });
    }
    // lam is only needed further back for earlier gates or the state preparation.
    if (t > 0 || circuit.prep.kind !== 'zero') applyItem(lam, item, args, trig, scratch, true, block);
    psiAfter = psiBefore;
  }
  prepGradient(args, psiAfter, lam, gradInputs);
  return { outputs, gradWeights, gradInputs };
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
