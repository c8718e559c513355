import { checkGradOutputs, scatterParamGrad, type Gradients } from './adjoint.js';
import { expval, type PauliWord } from './measure.js';
import { simulate, type RunArgs, type ShiftSpec } from './statevector.js';
import { compile } from './tape.js';

/** Per-sample f_b = sum_k g_bk <O_k>_b from outputs (batch x K): the quantity whose gradient is taken. */
export function weightOutputs(out: Float64Array, g: Float64Array, batch: number): Float64Array {
  const K = out.length / batch;
  const f = new Float64Array(batch);
  for (let b = 0; b < batch; b++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += g[b * K + k]! * out[b * K + k]!;
    f[b] = acc;
  }
  return f;
}

/** Evaluates f_b for a run's arguments, optionally with one tape operation's angle shifted. */
export type WeightedRun = (args: RunArgs, shift?: ShiftSpec) => Float64Array;

const C1 = (Math.SQRT2 + 1) / (4 * Math.SQRT2);
const C2 = (Math.SQRT2 - 1) / (4 * Math.SQRT2);

/**
 * The shift rules over every trainable rotation of the tape, for any
 * simulator whose f depends on each angle through exp(-i θ G) alone
 * (statevector, or density matrices with angle-independent channels).
 */
export function shiftRuleGradients(args: RunArgs, run: WeightedRun): Gradients {
  const gradWeights = new Float64Array(args.circuit.nWeights);
  const gradInputs = new Float64Array(args.batch * args.circuit.nInputs);
  const at = (tapeIndex: number, shift: number) => run(args, { tapeIndex, shift });
  const d = new Float64Array(args.batch);
  compile(args.circuit).ops.forEach((op, t) => {
    if (op.kind !== 'rot' || op.param.kind === 'const') return;
    const plus = at(t, Math.PI / 2);
    const minus = at(t, -Math.PI / 2);
    const fourTerm = op.ctrl !== 0 && op.rot !== 'Phase';
    if (!fourTerm) {
      for (let b = 0; b < args.batch; b++) d[b] = (plus[b]! - minus[b]!) / 2;
    } else {
      const plus3 = at(t, (3 * Math.PI) / 2);
      const minus3 = at(t, (-3 * Math.PI) / 2);
      for (let b = 0; b < args.batch; b++) d[b] = C1 * (plus[b]! - minus[b]!) - C2 * (plus3[b]! - minus3[b]!);
    }
    scatterParamGrad(op.param, args, d, true, gradWeights, gradInputs);
  });
  return { gradWeights, gradInputs };
}

/**
 * Central differences of sum_b f_b over every weight and input feature
 * (samples are independent, so one perturbed feature column serves the whole
 * batch), for any simulator. O(h^2) accurate.
 */
export function centralDifferences(args: RunArgs, run: WeightedRun, h: number): Gradients {
  const { circuit, batch } = args;
  const nIn = circuit.nInputs;
  const gradWeights = new Float64Array(circuit.nWeights);
  const gradInputs = new Float64Array(batch * nIn);
  const weights = args.weights.slice();
  const inputs = args.inputs.slice();
  const f = () => run({ circuit, batch, weights, inputs });
  const sum = (v: Float64Array) => v.reduce((a, x) => a + x, 0);
  for (let i = 0; i < circuit.nWeights; i++) {
    const w0 = weights[i]!;
    weights[i] = w0 + h;
    const plus = sum(f());
    weights[i] = w0 - h;
    const minus = sum(f());
    weights[i] = w0;
    gradWeights[i] = (plus - minus) / (2 * h);
  }
  const saved = new Float64Array(batch);
  for (let j = 0; j < nIn; j++) {
    for (let b = 0; b < batch; b++) saved[b] = inputs[b * nIn + j]!;
    for (let b = 0; b < batch; b++) inputs[b * nIn + j] = saved[b]! + h;
    const plus = f();
    for (let b = 0; b < batch; b++) inputs[b * nIn + j] = saved[b]! - h;
    const minus = f();
    for (let b = 0; b < batch; b++) {
      inputs[b * nIn + j] = saved[b]!;
      gradInputs[b * nIn + j] = (plus[b]! - minus[b]!) / (2 * h);
    }
  }
  return { gradWeights, gradInputs };
}

const statevectorRun =
  (observables: readonly PauliWord[], g: Float64Array): WeightedRun =>
  (args, shift) =>
    weightOutputs(expval(simulate(args, shift), observables), g, args.batch);

/**
 * Parameter-shift gradients: what hardware can do. Every primitive is
 * exp(-i θ G). Uncontrolled Pauli rotations and phase gates have two generator
 * eigenvalues one apart, so df/dθ = [f(θ+π/2) - f(θ-π/2)] / 2 (Mitarai et al.
 * 2018, Schuld et al. 2019). Controlled Pauli rotations have eigenvalues
 * {0, ±1/2} and use the four-term rule (Anselmetti et al. 2021):
 * df/dθ = c1 [f(θ+π/2) - f(θ-π/2)] - c2 [f(θ+3π/2) - f(θ-3π/2)],
 * c1,2 = (√2 ± 1) / (4√2).
 * Inputs read by the state preparation (amplitude embedding, prepared states)
 * are not gate angles and get no gradient here: use `vjp` or finite differences.
 */
export function parameterShift(args: RunArgs, observables: readonly PauliWord[], gradOutputs: Float64Array): Gradients {
  checkGradOutputs(args, observables, gradOutputs);
  return shiftRuleGradients(args, statevectorRun(observables, gradOutputs));
}

/** Central finite differences on the statevector simulator: a reference for tests. */
export function finiteDifferences(
  args: RunArgs,
  observables: readonly PauliWord[],
  gradOutputs: Float64Array,
  h = 1e-6,
): Gradients {
  checkGradOutputs(args, observables, gradOutputs);
  return centralDifferences(args, statevectorRun(observables, gradOutputs), h);
}
