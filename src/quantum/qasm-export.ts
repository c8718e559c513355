import { fail } from '../util/errors.js';
import { type Circuit, type Operation, type Param, validateCircuit } from './circuit.js';
import { GATES, type GateName, type Mat2, MATRICES, type Prim, type RotationKind } from './gates.js';

/**
 * OpenQASM 2.0 export: lowers our gates to qelib1.inc names, decomposing the
 * ones it lacks exactly (global phase included). See `qasm-import.ts` for the reader.
 */

/** Complex 2x2 helpers on `Mat2` ([re00, im00, re01, im01, re10, im10, re11, im11]). */
function matMul(a: Mat2, b: Mat2): Mat2 {
  const out = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      let re = 0;
      let im = 0;
      for (let k = 0; k < 2; k++) {
        const ar = a[4 * r + 2 * k]!, ai = a[4 * r + 2 * k + 1]!, br = b[4 * k + 2 * c]!, bi = b[4 * k + 2 * c + 1]!;
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      out[4 * r + 2 * c] = re;
      out[4 * r + 2 * c + 1] = im;
    }
  }
  return out as unknown as Mat2;
}

const dagger = (m: Mat2): Mat2 => [m[0], -m[1], m[4], -m[5], m[2], -m[3], m[6], -m[7]];

function csqrt(re: number, im: number): [number, number] {
  const r = Math.hypot(re, im);
  const a = Math.sqrt((r + re) / 2);
  const b = Math.sqrt(Math.max(0, (r - re) / 2));
  return [a, im < 0 ? -b : b];
}

/** A square root of a 2x2 unitary: (M + sI) / t with s = sqrt(det M), t = sqrt(tr M + 2s). */
function sqrtMat(m: Mat2): Mat2 {
  const detRe = m[0] * m[6] - m[1] * m[7] - (m[2] * m[4] - m[3] * m[5]);
  const detIm = m[0] * m[7] + m[1] * m[6] - (m[2] * m[5] + m[3] * m[4]);
  let [sr, si] = csqrt(detRe, detIm);
  const trRe = m[0] + m[6];
  const trIm = m[1] + m[7];
  if (Math.hypot(trRe - 2 * sr, trIm - 2 * si) > Math.hypot(trRe + 2 * sr, trIm + 2 * si)) [sr, si] = [-sr, -si];
  const [tr, ti] = csqrt(trRe + 2 * sr, trIm + 2 * si);
  const d = tr * tr + ti * ti;
  const div = (re: number, im: number): [number, number] => [(re * tr + im * ti) / d, (im * tr - re * ti) / d];
  return [...div(m[0] + sr, m[1] + si), ...div(m[2], m[3]), ...div(m[4], m[5]), ...div(m[6] + sr, m[7] + si)] as Mat2;
}

/** Splits a 2x2 unitary as e^{i alpha} u3(theta, phi, lambda). */
function zyz(m: Mat2): { alpha: number; theta: number; phi: number; lambda: number } {
  const c = Math.hypot(m[0], m[1]);
  const s = Math.hypot(m[4], m[5]);
  const alpha = Math.atan2(m[1], m[0]);
  const phi = Math.atan2(m[5], m[4]) - alpha;
  // Take lambda from the larger of m11 = e^{i(alpha+phi+lambda)} cos, -m01 = e^{i(alpha+lambda)} sin.
  const lambda = c >= s ? Math.atan2(m[7], m[6]) - alpha - phi : Math.atan2(-m[3], -m[2]) - alpha;
  return { alpha, theta: 2 * Math.atan2(s, c), phi, lambda };
}

function rotMatrix(kind: 'RX' | 'RY' | 'RZ' | 'Phase', theta: number): Mat2 {
  const c = Math.cos(theta / 2);
  const s = Math.sin(theta / 2);
  switch (kind) {
    case 'RX':
      return [c, 0, 0, -s, 0, -s, c, 0];
    case 'RY':
      return [c, 0, -s, 0, s, 0, c, 0];
    case 'RZ':
      return [c, -s, 0, 0, 0, 0, c, s];
    case 'Phase':
      return [1, 0, 0, 0, 0, 0, Math.cos(theta), Math.sin(theta)];
  }
}

const ONE_QUBIT_ROT = { RX: 'rx', RY: 'ry', RZ: 'rz', Phase: 'u1' } as const;
const CONTROLLED_ROT = { RX: 'crx', RY: 'cry', RZ: 'crz', Phase: 'cu1' } as const;
type Rot1 = keyof typeof ONE_QUBIT_ROT;
const isRot1 = (k: RotationKind): k is Rot1 => Object.prototype.hasOwnProperty.call(ONE_QUBIT_ROT, k);

/** qelib1 names of a gate with exactly this many extra controls (most readable form). */
const CONTROLLED_NAMES: Partial<Record<GateName, Readonly<Record<number, string>>>> = {
  X: { 1: 'cx', 2: 'ccx' },
  CNOT: { 1: 'ccx' },
  Y: { 1: 'cy' },
  Z: { 1: 'cz' },
  H: { 1: 'ch' },
  RX: { 1: 'crx' },
  RY: { 1: 'cry' },
  RZ: { 1: 'crz' },
  PhaseShift: { 1: 'cu1' },
  U3: { 1: 'cu3' },
  SWAP: { 1: 'cswap' },
};
const FIXED_NAMES = new Map<Mat2, string>([
  [MATRICES.I, 'id'], [MATRICES.X, 'x'], [MATRICES.Y, 'y'], [MATRICES.Z, 'z'], [MATRICES.H, 'h'], [MATRICES.S, 's'],
  [MATRICES.Sdg, 'sdg'], [MATRICES.T, 't'], [MATRICES.Tdg, 'tdg'], [MATRICES.SX, 'sx'], [MATRICES.SXdg, 'sxdg'],
]);
const FIXED_CONTROLLED = new Map<Mat2, string>([[MATRICES.X, 'cx'], [MATRICES.Y, 'cy'], [MATRICES.Z, 'cz'], [MATRICES.H, 'ch']]);

/**
 * A number that reads back to the same float64: the shortest round-trip form
 * (at most 17 significant digits), with a decimal point before any exponent as
 * OpenQASM 2.0's grammar asks (`1.0e-7`).
 */
export function formatQasmNumber(x: number): string {
  if (Object.is(x, -0)) return '0';
  const s = String(x);
  return s.includes('e') && !s.includes('.') ? s.replace('e', '.0e') : s;
}

/** Writes qelib1.inc statements; angles are numbers or literal expressions such as `pi/2`. */
class Writer {
  readonly lines: string[] = [];

  emit(name: string, params: readonly (number | string)[], wires: readonly number[]): void {
    const ps = params.length > 0 ? `(${params.map((p) => (typeof p === 'number' ? formatQasmNumber(p) : p)).join(',')})` : '';
    this.lines.push(`${name}${ps} ${wires.map((w) => `q[${w}]`).join(',')};`);
  }

  op(op: Operation, values: readonly number[]): void {
    const def = GATES[op.gate];
    const ctrls = op.controls ?? [];
    if (ctrls.length === 0) {
      if (op.gate === 'RYY') return this.pauliPair('RYY', op.wires[0]!, op.wires[1]!, values[0]!, []);
      if (def.qasm !== undefined) return this.emit(def.qasm, values, op.wires);
    }
    const named = CONTROLLED_NAMES[op.gate]?.[ctrls.length];
    if (named !== undefined) return this.emit(named, values, [...ctrls, ...op.wires]);
    if (def.nWires === 1 && ctrls.length > 0) {
      // Any one-qubit gate (Rot, S, SX, ...) with controls: as one 2x2 matrix.
      const only = def.lower.length === 1 && def.lower[0]!.kind === 'fixed' ? def.lower[0].matrix : undefined;
      const m = only ?? def.lower.reduce<Mat2>((acc, p) => matMul(this.primMatrix(p, values), acc), MATRICES.I);
      return this.controlledU(ctrls, op.wires[0]!, m);
    }
    // Gates qelib1 lacks (Rot) and controlled multi-qubit gates, factor by
    // factor: a controlled product is the product of the controlled factors.
    for (const prim of def.lower) {
      const c = [...ctrls, ...prim.controls.map((l) => op.wires[l]!)];
      switch (prim.kind) {
        case 'fixed':
          this.controlledU(c, op.wires[prim.wire]!, prim.matrix);
          break;
        case 'swap':
          this.swap(c, op.wires[prim.wires[0]]!, op.wires[prim.wires[1]]!);
          break;
        case 'rot': {
          const [a, b] = prim.wires.map((l) => op.wires[l]!);
          if (isRot1(prim.rot)) this.rot1(prim.rot, values[prim.param]!, c, a!);
          else this.pauliPair(prim.rot, a!, b!, values[prim.param]!, c);
          break;
        }
      }
    }
  }

  private primMatrix(p: Prim, values: readonly number[]): Mat2 {
    if (p.kind === 'fixed') return p.matrix;
    if (p.kind === 'rot' && isRot1(p.rot)) return rotMatrix(p.rot, values[p.param]!);
    return fail('gate', `internal: a one-qubit gate lowers to a ${p.kind} primitive`);
  }

  private rot1(kind: Rot1, theta: number, ctrls: readonly number[], target: number): void {
    if (ctrls.length === 0) return this.emit(ONE_QUBIT_ROT[kind], [theta], [target]);
    if (ctrls.length === 1) return this.emit(CONTROLLED_ROT[kind], [theta], [ctrls[0]!, target]);
    return this.controlledU(ctrls, target, rotMatrix(kind, theta));
  }

  /** RXX / RYY / RZZ with controls: basis change, CX, controlled RZ, CX, basis change back. */
  private pauliPair(kind: RotationKind, a: number, b: number, theta: number, ctrls: readonly number[]): void {
    if (ctrls.length === 0 && kind === 'RXX') return this.emit('rxx', [theta], [a, b]);
    if (ctrls.length === 0 && kind === 'RZZ') return this.emit('rzz', [theta], [a, b]);
    const basis = (inverse: boolean) => {
      for (const w of [a, b]) {
        if (kind === 'RXX') this.emit('h', [], [w]);
        if (kind === 'RYY') this.emit('rx', [inverse ? '-pi/2' : 'pi/2'], [w]);
      }
    };
    basis(false);
    this.emit('cx', [], [a, b]);
    this.rot1('RZ', theta, ctrls, b);
    this.emit('cx', [], [a, b]);
    basis(true);
  }

  private swap(ctrls: readonly number[], a: number, b: number): void {
    if (ctrls.length <= 1) return this.emit(ctrls.length === 0 ? 'swap' : 'cswap', [], [...ctrls, a, b]);
    this.emit('cx', [], [b, a]);
    this.controlledU([...ctrls, a], b, MATRICES.X);
    this.emit('cx', [], [b, a]);
  }

  /**
   * U on `target` controlled by every wire of `ctrls`: cu3 plus a u1 on the
   * control for U's global phase; more controls by Barenco et al. (1995),
   * Lemma 7.5, with V = sqrt(U): C(V), C^{k-1}X, C(V^dagger), C^{k-1}X, C^{k-1}(V).
   */
  private controlledU(ctrls: readonly number[], target: number, m: Mat2): void {
    const k = ctrls.length;
    if (m === MATRICES.I && k > 0) return; // a controlled identity is the identity
    if (k === 0) {
      const name = FIXED_NAMES.get(m);
      if (name !== undefined) return this.emit(name, [], [target]);
      const { theta, phi, lambda } = zyz(m);
      return this.emit('u3', [theta, phi, lambda], [target]);
    }
    if (k === 1) {
      const name = FIXED_CONTROLLED.get(m);
      if (name !== undefined) return this.emit(name, [], [ctrls[0]!, target]);
      const { alpha, theta, phi, lambda } = zyz(m);
      if (alpha !== 0) this.emit('u1', [alpha], [ctrls[0]!]);
      return this.emit('cu3', [theta, phi, lambda], [ctrls[0]!, target]);
    }
    if (k === 2 && m === MATRICES.X) return this.emit('ccx', [], [...ctrls, target]);
    const v = sqrtMat(m);
    const last = ctrls[k - 1]!;
    const rest = ctrls.slice(0, -1);
    this.controlledU([last], target, v);
    this.controlledU(rest, last, MATRICES.X);
    this.controlledU([last], target, dagger(v));
    this.controlledU(rest, last, MATRICES.X);
    this.controlledU(rest, target, v);
  }
}

function resolve(p: Param, path: string, weights?: ArrayLike<number>, inputs?: ArrayLike<number>): number {
  const need = (vec: ArrayLike<number> | undefined, name: 'weights' | 'inputs', index: number): number => {
    if (vec === undefined) {
      fail(path, `${name === 'weights' ? 'weight' : 'input'} ${index} is unresolved; pass the ${name} vector to toQasm to write numbers`);
    }
    if (index >= vec.length) fail(path, `${name === 'weights' ? 'weight' : 'input'} ${index} is out of range; ${name} has ${vec.length} values`);
    return vec[index]!;
  };
  let v: number;
  switch (p.kind) {
    case 'const':
      v = p.value;
      break;
    case 'weight':
      v = need(weights, 'weights', p.index) * (p.scale ?? 1);
      break;
    case 'input':
      v = need(inputs, 'inputs', p.index) * (p.scale ?? 1);
      break;
    case 'inputProduct':
      v = need(inputs, 'inputs', p.indices[0]) * need(inputs, 'inputs', p.indices[1]) * (p.scale ?? 1);
      break;
  }
  if (!Number.isFinite(v)) fail(path, `resolves to ${v}, not a finite number`);
  return v;
}

/**
 * Writes the circuit as OpenQASM 2.0 using only qelib1.inc gates. Weight and
 * input parameters are resolved with `weights` and one input row `inputs`;
 * gates qelib1.inc lacks are decomposed exactly (phases included): Rot as
 * rz ry rz, RYY through rzz, controls on any gate through cu3, ccx, cswap and
 * Barenco's construction. Numbers round-trip exactly.
 */
export function toQasm(circuit: Circuit, weights?: ArrayLike<number>, inputs?: ArrayLike<number>): string {
  validateCircuit(circuit);
  if (circuit.prep.kind !== 'zero') {
    const what = circuit.prep.kind === 'amplitude' ? 'amplitude embedding' : "state preparation ('state')";
    fail('prep', `${what} cannot be exported: OpenQASM 2.0 has no state-preparation statement; only circuits starting from |0...0> can be written`);
  }
  const w = new Writer();
  circuit.ops.forEach((op, i) => {
    const values = op.params.map((p, j) => resolve(p, `ops[${i}].params[${j}]`, weights, inputs));
    w.op(op, values);
  });
  return ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${circuit.nQubits}];`, ...w.lines, ''].join('\n');
}
