import { fail } from '../util/errors.js';
import { superoperator, type Channel } from './channels.js';
import { applyFixed, applyPhase, applyRPP, applyRX, applyRY, applyRZ, applyRZZ, applySwap, type Trig } from './kernels.js';
import { localOffsets, noisyProgram, type NoiseModel, type NoisyStep } from './noise.js';
import { paramValues } from './params.js';
import { allocState, checkArgs, prepare, TrigScratch, type RunArgs, type ShiftSpec, type StateBatch } from './statevector.js';
import type { TapeOp } from './tape.js';
import { cos, sin } from '../util/detmath.js';
import { acquireWorkspace } from './wasm/runtime.js';

/**
 * Batched density-matrix simulator (float64) sharing the circuit format, the
 * tape and the statevector kernels. B density matrices of n qubits are two
 * Float64Arrays of length B * 4^n, rho_b[i][j] at (b * 2^n + i) * 2^n + j.
 *
 * Read as a vector, rho is a state of 2n qubits whose high n bits are the row
 * and low n bits the column (vec(rho) = sum rho_ij |i>|j>), and
 * U rho U^dagger = (U (x) conj(U)) vec(rho). So a gate is the statevector
 * kernel on the row bits (bit << n) followed by the kernel of the conjugate
 * gate on the column bits: conj of RX, RZ, Phase, RXX, RYY, RZZ is the same
 * rotation with -theta, RY is real. Per-sample angles are looked up by
 * index >> 2n, which the kernels do when told the register has 2n qubits.
 *
 * A channel applies its superoperator to every d x d block of rho on its wires
 * (channels.ts); measurements are in density-measure.ts.
 */
export interface DensityBatch {
  readonly nQubits: number;
  readonly batch: number;
  readonly re: Float64Array;
  readonly im: Float64Array;
}

/** Largest batch * 4^n the simulator allocates (2 x 8 GiB). */
const MAX_ENTRIES = 2 ** 30;

export function allocDensity(nQubits: number, batch: number): DensityBatch {
  const size = batch * 4 ** nQubits;
  if (nQubits > 15 || size > MAX_ENTRIES) {
    fail('batch', `${batch} density matrices of ${nQubits} qubits need ${(size * 16) / 2 ** 30} GiB; reduce the batch or qubits, or use trajectories`);
  }
  // As a state of 2n qubits in a wasm workspace, the gate kernels run in SIMD on it.
  const w = acquireWorkspace(2 * nQubits, batch);
  if (w) return { nQubits, batch, re: w.arrays[0]!, im: w.arrays[1]! };
  const buffer = new ArrayBuffer(size * 16);
  return { nQubits, batch, re: new Float64Array(buffer, 0, size), im: new Float64Array(buffer, size * 8, size) };
}

export function cloneDensity(rho: DensityBatch): DensityBatch {
  return { nQubits: rho.nQubits, batch: rho.batch, re: rho.re.slice(), im: rho.im.slice() };
}

/** rho_b = |psi_b><psi_b| for every state of the batch. */
export function densityFromStates(s: StateBatch, into?: DensityBatch): DensityBatch {
  const rho = into ?? allocDensity(s.nQubits, s.batch);
  const dim = 1 << s.nQubits;
  const { re, im } = rho;
  for (let b = 0; b < s.batch; b++) {
    const at = b * dim;
    for (let i = 0; i < dim; i++) {
      const ar = s.re[at + i]!, ai = s.im[at + i]!;
      const row = (at + i) * dim;
      for (let j = 0; j < dim; j++) {
        const br = s.re[at + j]!, bi = s.im[at + j]!;
        re[row + j] = ar * br + ai * bi;
        im[row + j] = ai * br - ar * bi;
      }
    }
  }
  return rho;
}

/** Writes the prepared initial density matrices (|0><0|, or |psi><psi| of the prepared states). */
export function prepareDensity(args: RunArgs, rho: DensityBatch): void {
  const n = args.circuit.nQubits;
  if (args.circuit.prep.kind === 'zero') {
    rho.re.fill(0);
    rho.im.fill(0);
    const dim2 = 4 ** n;
    for (let b = 0; b < args.batch; b++) rho.re[b * dim2] = 1;
    return;
  }
  const psi = allocState(n, args.batch);
  prepare(args, psi);
  densityFromStates(psi, rho);
}

/** Scratch for one pass: angles for rows and columns, 2x2 matrices, channel blocks. */
export class DensityScratch {
  readonly row: TrigScratch;
  readonly col: TrigScratch;
  readonly m0 = new Float64Array(8);
  readonly m1 = new Float64Array(8);
  /** Gather buffers of a channel block (up to 3 qubits: 64 entries). */
  readonly gr = new Float64Array(64);
  readonly gi = new Float64Array(64);
  /** Offsets of a channel block's entries from its corner. */
  readonly at = new Int32Array(64);
  constructor(batch: number) {
    this.row = new TrigScratch(batch);
    this.col = new TrigScratch(batch);
  }
}

/** out = conj(m) (entrywise), or m^T when `transpose` (= conj(m^dagger)). */
function conjOf(m: ArrayLike<number>, transpose: boolean, out: Float64Array): Float64Array {
  if (transpose) {
    out.set([m[0]!, m[1]!, m[4]!, m[5]!, m[2]!, m[3]!, m[6]!, m[7]!]);
  } else {
    out.set([m[0]!, -m[1]!, m[2]!, -m[3]!, m[4]!, -m[5]!, m[6]!, -m[7]!]);
  }
  return out;
}

/** out = m^dagger. */
export function daggerOf(m: ArrayLike<number>, out: Float64Array): Float64Array {
  out.set([m[0]!, -m[1]!, m[4]!, -m[5]!, m[2]!, -m[3]!, m[6]!, -m[7]!]);
  return out;
}

/** rho <- M rho M^dagger for a fixed 2x2 matrix on `bit` (controls `ctrl`), over any number of samples. */
export function conjugateFixed(
  re: Float64Array,
  im: Float64Array,
  n: number,
  bit: number,
  ctrl: number,
  m: ArrayLike<number>,
  sc: DensityScratch,
): void {
  applyFixed(re, im, bit << n, ctrl << n, m);
  applyFixed(re, im, bit, ctrl, conjOf(m, false, sc.m1));
}

function rotKernel(op: TapeOp & { kind: 'rot' }, re: Float64Array, im: Float64Array, n: number, shiftBits: number, t: Trig): void {
  const b0 = op.bits[0]! << shiftBits;
  const b1 = (op.bits[1] ?? 0) << shiftBits;
  const ctrl = op.ctrl << shiftBits;
  switch (op.rot) {
    case 'RX':
      return applyRX(re, im, n, b0, ctrl, t);
    case 'RY':
      return applyRY(re, im, n, b0, ctrl, t);
    case 'RZ':
      return applyRZ(re, im, n, b0, ctrl, t);
    case 'Phase':
      return applyPhase(re, im, n, b0, ctrl, t);
    case 'RXX':
      return applyRPP(re, im, n, b0, b1, ctrl, t, false);
    case 'RYY':
      return applyRPP(re, im, n, b0, b1, ctrl, t, true);
    case 'RZZ':
      return applyRZZ(re, im, n, b0, b1, ctrl, t);
  }
}

/**
 * rho <- U rho U^dagger for one tape operation (or its inverse U^dagger rho U
 * when `inverse`), with an optional extra angle `shift` on a rotation.
 */
export function applyGateDensity(
  rho: DensityBatch,
  op: TapeOp,
  args: RunArgs,
  sc: DensityScratch,
  inverse: boolean,
  shift = 0,
): void {
  const { re, im, nQubits: n } = rho;
  switch (op.kind) {
    case 'fixed': {
      const row: ArrayLike<number> = inverse ? daggerOf(op.matrix, sc.m0) : op.matrix;
      applyFixed(re, im, op.bit << n, op.ctrl << n, row);
      applyFixed(re, im, op.bit, op.ctrl, conjOf(op.matrix, inverse, sc.m1));
      return;
    }
    case 'swap':
      applySwap(re, im, op.bits[0] << n, op.bits[1] << n, op.ctrl << n);
      applySwap(re, im, op.bits[0], op.bits[1], op.ctrl);
      return;
    case 'rot': {
      const { row, col } = sc;
      const perSample = paramValues(op.param, args, row.angle);
      const count = perSample ? rho.batch : 1;
      const sign = inverse ? -1 : 1;
      const half = op.rot === 'Phase' ? 1 : 0.5;
      // conj(R(theta)) = R(-theta) for every rotation but RY, which is real.
      const colSign = op.rot === 'RY' ? 1 : -1;
      for (let k = 0; k < count; k++) {
        const a = sign * (row.angle[k]! + shift) * half;
        row.cos[k] = col.cos[k] = cos(a);
        row.sin[k] = sin(a);
        col.sin[k] = colSign * row.sin[k]!;
      }
      row.perSample = col.perSample = perSample;
      rotKernel(op, re, im, 2 * n, n, row);
      rotKernel(op, re, im, 2 * n, 0, col);
      return;
    }
  }
}

/**
 * A superoperator as a sparse list of entries (most channels are sparse), and
 * dense (re/im interleaved) for the unrolled 1-qubit kernel.
 */
interface Super {
  /** Compressed rows: the entries of row r are [rowStart[r], rowStart[r + 1]). */
  readonly rowStart: Int32Array;
  readonly cols: Int32Array;
  readonly vr: Float64Array;
  readonly vi: Float64Array;
  readonly dense: Float64Array;
}

const superCache = new WeakMap<Channel, { forward: Super; adjoint: Super }>();

function supers(ch: Channel): { forward: Super; adjoint: Super } {
  const hit = superCache.get(ch);
  if (hit) return hit;
  const s = superoperator(ch);
  const D = 1 << (2 * ch.nQubits);
  const make = (adj: boolean): Super => {
    const dense = new Float64Array(2 * D * D);
    const entries: [number, number, number, number][] = [];
    for (let r = 0; r < D; r++) {
      for (let c = 0; c < D; c++) {
        // The adjoint channel's superoperator is the conjugate transpose.
        const from = adj ? 2 * (c * D + r) : 2 * (r * D + c);
        const vr = s[from]!;
        const vi = adj ? -s[from + 1]! : s[from + 1]!;
        dense[2 * (r * D + c)] = vr;
        dense[2 * (r * D + c) + 1] = vi;
        if (vr !== 0 || vi !== 0) entries.push([r, c, vr, vi]);
      }
    }
    const rowStart = new Int32Array(D + 1);
    for (const e of entries) rowStart[e[0] + 1]++;
    for (let r = 0; r < D; r++) rowStart[r + 1] += rowStart[r]!;
    return {
      rowStart,
      cols: Int32Array.from(entries, (e) => e[1]),
      vr: Float64Array.from(entries, (e) => e[2]),
      vi: Float64Array.from(entries, (e) => e[3]),
      dense,
    };
  };
  const out = { forward: make(false), adjoint: make(true) };
  superCache.set(ch, out);
  return out;
}

/**
 * rho <- E(rho) = sum_k K rho K^dagger for a channel on the wires with masks
 * `bits` (first = most significant bit of the local index); with `adjoint`,
 * the adjoint channel sum_k K^dagger rho K (the backward pass uses it).
 */
export function applyChannelDensity(
  rho: DensityBatch,
  ch: Channel,
  bits: readonly number[],
  sc: DensityScratch,
  adjoint = false,
): void {
  if (bits.length !== ch.nQubits) fail('channel', `${ch.name} acts on ${ch.nQubits} qubit(s), placed on ${bits.length}`);
  const sp = adjoint ? supers(ch).adjoint : supers(ch).forward;
  if (bits.length === 1) applySuper1(rho, bits[0]!, sp.dense);
  else applySuperK(rho, bits, sp, sc);
}

/** One-qubit channel: the 4 x 4 superoperator unrolled on each 2 x 2 block (rows i, i|bit; columns j, j|bit). */
function applySuper1(rho: DensityBatch, bit: number, s: Float64Array): void {
  const { re, im, nQubits: n, batch } = rho;
  const dim = 1 << n;
  const [a00, b00, a01, b01, a02, b02, a03, b03, a10, b10, a11, b11, a12, b12, a13, b13] = s;
  const [a20, b20, a21, b21, a22, b22, a23, b23, a30, b30, a31, b31, a32, b32, a33, b33] = s.subarray(16);
  const rowStep = bit * dim;
  for (let b = 0; b < batch; b++) {
    const base = b * dim * dim;
    for (let ib = 0; ib < dim; ib += bit << 1) {
      for (let i = ib; i < ib + bit; i++) {
        const r0 = base + i * dim;
        const r1 = r0 + rowStep;
        for (let jb = 0; jb < dim; jb += bit << 1) {
          for (let j = jb; j < jb + bit; j++) {
            const p0 = r0 + j, p1 = p0 + bit, p2 = r1 + j, p3 = p2 + bit;
            const x0 = re[p0]!, y0 = im[p0]!, x1 = re[p1]!, y1 = im[p1]!;
            const x2 = re[p2]!, y2 = im[p2]!, x3 = re[p3]!, y3 = im[p3]!;
            re[p0] = a00! * x0 - b00! * y0 + a01! * x1 - b01! * y1 + a02! * x2 - b02! * y2 + a03! * x3 - b03! * y3;
            im[p0] = a00! * y0 + b00! * x0 + a01! * y1 + b01! * x1 + a02! * y2 + b02! * x2 + a03! * y3 + b03! * x3;
            re[p1] = a10! * x0 - b10! * y0 + a11! * x1 - b11! * y1 + a12! * x2 - b12! * y2 + a13! * x3 - b13! * y3;
            im[p1] = a10! * y0 + b10! * x0 + a11! * y1 + b11! * x1 + a12! * y2 + b12! * x2 + a13! * y3 + b13! * x3;
            re[p2] = a20! * x0 - b20! * y0 + a21! * x1 - b21! * y1 + a22! * x2 - b22! * y2 + a23! * x3 - b23! * y3;
            im[p2] = a20! * y0 + b20! * x0 + a21! * y1 + b21! * x1 + a22! * y2 + b22! * x2 + a23! * y3 + b23! * x3;
            re[p3] = a30! * x0 - b30! * y0 + a31! * x1 - b31! * y1 + a32! * x2 - b32! * y2 + a33! * x3 - b33! * y3;
            im[p3] = a30! * y0 + b30! * x0 + a31! * y1 + b31! * x1 + a32! * y2 + b32! * x2 + a33! * y3 + b33! * x3;
          }
        }
      }
    }
  }
}

/**
 * k-qubit channel (k = 2, 3): gather each d x d block, apply the sparse
 * superoperator row by row, write the results straight back.
 */
function applySuperK(rho: DensityBatch, bits: readonly number[], sp: Super, sc: DensityScratch): void {
  const { re, im, nQubits: n, batch } = rho;
  const dim = 1 << n;
  const off = localOffsets(bits);
  const d = off.length;
  const D = d * d;
  const mask = bits.reduce((m, b) => m | b, 0);
  const { gr, gi } = sc;
  const { rowStart, cols, vr, vi } = sp;
  // Block entry e = a * d + c sits at (i | off[a]) * dim + (j | off[c]) from the block's corner (i, j).
  const at = sc.at;
  for (let a = 0; a < d; a++) for (let c = 0; c < d; c++) at[a * d + c] = off[a]! * dim + off[c]!;
  // The row (and column) indices with the channel's bits clear.
  const free = new Int32Array(dim / d);
  for (let i = 0, f = 0; i < dim; i++) if ((i & mask) === 0) free[f++] = i;
  const nFree = free.length;
  for (let b = 0; b < batch; b++) {
    const base = b * dim * dim;
    for (let fi = 0; fi < nFree; fi++) {
      const rowBase = base + free[fi]! * dim;
      for (let fj = 0; fj < nFree; fj++) {
        const corner = rowBase + free[fj]!;
        for (let e = 0; e < D; e++) {
          const p = corner + at[e]!;
          gr[e] = re[p]!;
          gi[e] = im[p]!;
        }
        for (let r = 0; r < D; r++) {
          let sr = 0;
          let si = 0;
          for (let e = rowStart[r]!, end = rowStart[r + 1]!; e < end; e++) {
            const c = cols[e]!;
            const xr = vr[e]!, xi = vi[e]!;
            sr += xr * gr[c]! - xi * gi[c]!;
            si += xr * gi[c]! + xi * gr[c]!;
          }
          const p = corner + at[r]!;
          re[p] = sr;
          im[p] = si;
        }
      }
    }
  }
}

/** Applies one step of a noisy program (gate or channel); `shift` adds an angle to one tape operation. */
export function applyStep(rho: DensityBatch, step: NoisyStep, args: RunArgs, sc: DensityScratch, shift?: ShiftSpec): void {
  if (step.kind === 'gate') {
    applyGateDensity(rho, step.op, args, sc, false, shift && shift.tapeIndex === step.tapeIndex ? shift.shift : 0);
  } else {
    applyChannelDensity(rho, step.channel, step.bits, sc);
  }
}

export interface DensityOptions {
  /** Channels after gates (readout errors apply at measurement: pass the model to expvalDensity / probsDensity). */
  readonly noise?: NoiseModel;
  /** Shift one tape operation's angle (parameter shift). */
  readonly shift?: ShiftSpec;
  /** Reuse a buffer of the right size. */
  readonly into?: DensityBatch;
}

/**
 * Simulates the circuit for every input row of the batch and returns the
 * final density matrices. Without noise it agrees with `simulate` (the
 * statevector) to rounding.
 *
 * ```ts
 * const noise = new NoiseModel().addAllQubitQuantumError(depolarizing(0.01), 'all');
 * const rho = simulateDensity(args, { noise });
 * const z = expvalDensity(rho, [Z(0)], noise);
 * ```
 */
export function simulateDensity(args: RunArgs, options: DensityOptions = {}): DensityBatch {
  checkArgs(args);
  const { circuit, batch } = args;
  const { into } = options;
  if (into && (into.nQubits !== circuit.nQubits || into.batch !== batch)) {
    fail('into', `density buffer holds ${into.batch} x ${into.nQubits} qubits, the run needs ${batch} x ${circuit.nQubits}`);
  }
  const rho = into ?? allocDensity(circuit.nQubits, batch);
  prepareDensity(args, rho);
  const sc = new DensityScratch(batch);
  for (const step of noisyProgram(circuit, options.noise)) applyStep(rho, step, args, sc, options.shift);
  return rho;
}
