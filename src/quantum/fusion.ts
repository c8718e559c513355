import type { Param } from './circuit.js';
import { mul, dagger, imTraceProduct, setIdentity } from './mat2.js';
import type { StateBatch, RunArgs } from './statevector.js';
import { paramValues } from './params.js';
import type { Tape, TapeOp } from './tape.js';
import { cos, sin } from '../util/detmath.js';
import { wasmAdjointBlock, wasmGather, wasmMat1 } from './wasm/dispatch.js';

/**
 * Gate fusion: runs of uncontrolled single-qubit gates on one wire become one
 * 2x2 matrix, applied in one pass over the state. Gates on other wires commute
 * with the run, so the run collects every such gate until another gate touches
 * its wire, and is emitted just before that gate.
 *
 * The adjoint pass differentiates inside a fused run without extra passes over
 * the state: with C = Tr_rest(|psi_before><lam_after|) (one read pass), the
 * gradient of gate k with generator G_k is
 *   dL/dθ_k = 2 Im Tr(B_k G_k A_k C),
 * where A_k = U_k...U_1 and B_k = U_m...U_{k+1} are 2x2 products.
 */
export type FusedItem =
  | { readonly kind: 'op'; readonly op: TapeOp }
  | { readonly kind: 'block'; readonly bit: number; readonly ops: readonly TapeOp[] }
  | { readonly kind: 'perm'; readonly ops: readonly TapeOp[]; readonly gather: Int32Array; readonly scatter: Int32Array };

/**
 * Runs of basis permutations (X with any controls: CNOT, Toffoli; SWAP) fuse
 * into one gather through a table of 2^n indices, for n up to this bound
 * (a CNOT ring becomes one pass instead of n).
 */
const MAX_PERM_QUBITS = 14;

function isPermutation(op: TapeOp): boolean {
  if (op.kind === 'swap') return true;
  if (op.kind !== 'fixed') return false;
  const m = op.matrix;
  return m[0] === 0 && m[1] === 0 && m[2] === 1 && m[3] === 0 && m[4] === 1 && m[5] === 0 && m[6] === 0 && m[7] === 0;
}

/** Where basis state i goes under a permutation gate. */
function permute(op: TapeOp, i: number): number {
  if ((i & op.ctrl) !== op.ctrl) return i;
  if (op.kind === 'fixed') return i ^ op.bit;
  if (op.kind !== 'swap') return i;
  const [a, b] = op.bits;
  return ((i & a) !== 0) === ((i & b) !== 0) ? i : i ^ a ^ b;
}

function permItem(ops: TapeOp[], nQubits: number): FusedItem {
  const dim = 1 << nQubits;
  const scatter = new Int32Array(dim);
  const gather = new Int32Array(dim);
  for (let i = 0; i < dim; i++) {
    let j = i;
    for (const op of ops) j = permute(op, j);
    scatter[i] = j;
    gather[j] = i;
  }
  return { kind: 'perm', ops, gather, scatter };
}

const FUSABLE_ROTATIONS = new Set(['RX', 'RY', 'RZ', 'Phase']);

function singleWireBit(op: TapeOp): number {
  if (op.ctrl !== 0) return 0;
  if (op.kind === 'fixed') return op.bit;
  if (op.kind === 'rot' && op.bits.length === 1 && FUSABLE_ROTATIONS.has(op.rot)) return op.bits[0]!;
  return 0;
}

function touched(op: TapeOp): number {
  switch (op.kind) {
    case 'fixed':
      return op.bit | op.ctrl;
    case 'swap':
      return op.bits[0] | op.bits[1] | op.ctrl;
    case 'rot':
      return op.bits.reduce((m, b) => m | b, op.ctrl);
  }
}

const cache = new WeakMap<Tape, readonly FusedItem[]>();

export function fuse(tape: Tape): readonly FusedItem[] {
  const hit = cache.get(tape);
  if (hit) return hit;
  const items: FusedItem[] = [];
  const open = new Map<number, TapeOp[]>();
  // A run of permutations being collected; open single-wire runs flushed
  // meanwhile commute with it (it never touched their wire) and go before it.
  let perm: TapeOp[] = [];
  let permMask = 0;
  const fusePerms = tape.nQubits <= MAX_PERM_QUBITS;
  const flush = (bit: number) => {
    const ops = open.get(bit);
    if (!ops) return;
    open.delete(bit);
    items.push(ops.length === 1 ? { kind: 'op', op: ops[0]! } : { kind: 'block', bit, ops });
  };
  const flushPerm = () => {
    if (perm.length === 1) items.push({ kind: 'op', op: perm[0]! });
    else if (perm.length > 1) items.push(permItem(perm, tape.nQubits));
    perm = [];
    permMask = 0;
  };
  for (const op of tape.ops) {
    const bit = singleWireBit(op);
    if (bit !== 0) {
      // A gate after the pending permutations on one of their wires must follow them.
      if ((bit & permMask) !== 0) flushPerm();
      const run = open.get(bit);
      if (run) run.push(op);
      else open.set(bit, [op]);
      continue;
    }
    const mask = touched(op);
    for (const b of [...open.keys()]) if ((b & mask) !== 0) flush(b);
    if (fusePerms && isPermutation(op)) {
      perm.push(op);
      permMask |= mask;
      continue;
    }
    flushPerm();
    items.push({ kind: 'op', op });
  }
  for (const b of [...open.keys()]) flush(b);
  flushPerm();
  cache.set(tape, items);
  return items;
}

/** Applies a fused permutation through its table (forward: gather; inverse: scatter table). */
export function applyPermutation(state: StateBatch, table: Int32Array, scratch: Float64Array): void {
  if (wasmGather(state.re, state.im, table)) return;
  const dim = table.length;
  for (const arr of [state.re, state.im]) {
    for (let at = 0; at < arr.length; at += dim) {
      for (let j = 0; j < dim; j++) scratch[j] = arr[at + table[j]!]!;
      for (let j = 0; j < dim; j++) arr[at + j] = scratch[j]!;
    }
  }
}

/** Writes the 2x2 matrix of a single-wire gate for angle `a` (already scaled). */
function gateMatrix(op: TapeOp, a: number, out: Float64Array, o: number): void {
  if (op.kind === 'fixed') {
    for (let i = 0; i < 8; i++) out[o + i] = op.matrix[i]!;
    return;
  }
  if (op.kind !== 'rot') throw new Error('gateMatrix: not a single-wire gate');
  const c = cos(op.rot === 'Phase' ? a : a / 2);
  const s = sin(op.rot === 'Phase' ? a : a / 2);
  out.fill(0, o, o + 8);
  switch (op.rot) {
    case 'RX':
      out[o] = c;
      out[o + 3] = -s;
      out[o + 5] = -s;
      out[o + 6] = c;
      return;
    case 'RY':
      out[o] = c;
      out[o + 2] = -s;
      out[o + 4] = s;
      out[o + 6] = c;
      return;
    case 'RZ':
      out[o] = c;
      out[o + 1] = -s;
      out[o + 6] = c;
      out[o + 7] = s;
      return;
    default:
      out[o] = 1;
      out[o + 6] = c;
      out[o + 7] = s;
  }
}

/** The generator G (dU/dθ = -i G U) of a single-wire rotation as a 2x2 matrix. */
function generator(op: TapeOp, out: Float64Array): void {
  out.fill(0);
  if (op.kind !== 'rot') return;
  switch (op.rot) {
    case 'RX':
      out[2] = 0.5;
      out[4] = 0.5;
      return;
    case 'RY':
      out[3] = -0.5;
      out[5] = 0.5;
      return;
    case 'RZ':
      out[0] = 0.5;
      out[6] = -0.5;
      return;
    default:
      out[6] = -1;
  }
}

const isPerSample = (p: Param) => p.kind === 'input' || p.kind === 'inputProduct';

/**
 * Matrices of a block's gates: `unitaries[k]` holds S matrices (S = batch when
 * any gate reads an input, else 1), and `product` the block's S products.
 */
export class BlockMatrices {
  readonly samples: number;
  readonly unitaries: Float64Array[];
  readonly product: Float64Array;
  private readonly angles: Float64Array;

  constructor(readonly ops: readonly TapeOp[], args: RunArgs) {
    const perSample = ops.some((op) => op.kind === 'rot' && isPerSample(op.param));
    this.samples = perSample ? args.batch : 1;
    this.angles = new Float64Array(args.batch);
    this.unitaries = ops.map((op) => this.fill(op, args));
    this.product = new Float64Array(this.samples * 8);
    const tmp = new Float64Array(8);
    const p = this.product;
    for (let s = 0; s < this.samples; s++) {
      const o = s * 8;
      setIdentity(p, o);
      for (const u of this.unitaries) {
        mul(u, u.length === 8 ? 0 : o, p, o, tmp, 0);
        for (let i = 0; i < 8; i++) p[o + i] = tmp[i]!;
      }
    }
  }

  private fill(op: TapeOp, args: RunArgs): Float64Array {
    if (op.kind !== 'rot') {
      const m = new Float64Array(8);
      gateMatrix(op, 0, m, 0);
      return m;
    }
    const per = paramValues(op.param, args, this.angles);
    const count = per ? args.batch : 1;
    const m = new Float64Array(count * 8);
    for (let s = 0; s < count; s++) gateMatrix(op, this.angles[s]!, m, s * 8);
    return m;
  }

  /** The S products' conjugate transposes. */
  daggerProduct(): Float64Array {
    const out = new Float64Array(this.product.length);
    for (let s = 0; s < this.samples; s++) dagger(this.product, s * 8, out, s * 8);
    return out;
  }

  /**
   * dL/dθ_k of every gate k of the block, per sample, given the cross
   * matrices C (batch x 8): 2 Im Tr(B_k G_k A_k C) = 2 Im Tr(G_k (A_k C B_k)).
   * A_k (prefix products) and B_k (suffix products) are built once per
   * sample. When the block reads no input (one set of matrices), the traces
   * are taken once against `summedC`, the sum of C over the batch, and
   * `out[k]` holds one number; otherwise `out[k]` holds one per sample.
   * Entries for gates without a trainable parameter are left untouched.
   */
  gradients(cross: Float64Array, summedC: Float64Array, out: readonly Float64Array[]): void {
    const m = this.ops.length;
    const prefix = new Float64Array(m * 8);
    const suffix = new Float64Array(m * 8);
    const t = new Float64Array(8);
    const acb = new Float64Array(8);
    const gens = this.ops.map((op) => {
      const trainable = op.kind === 'rot' && op.param.kind !== 'const';
      if (!trainable) return undefined;
      const gm = new Float64Array(8);
      generator(op, gm);
      return gm;
    });
    const us = this.unitaries;
    // No closures or views inside the per-sample loop: it runs batch times per block.
    for (let s = 0; s < this.samples; s++) {
      const o = s * 8;
      // prefix[k] = U_k ... U_0; suffix[k] = U_{m-1} ... U_{k+1}.
      const u0 = us[0]!;
      const o0 = u0.length === 8 ? 0 : o;
      for (let i = 0; i < 8; i++) prefix[i] = u0[o0 + i]!;
      for (let k = 1; k < m; k++) {
        const uk = us[k]!;
        mul(uk, uk.length === 8 ? 0 : o, prefix, (k - 1) * 8, prefix, k * 8);
      }
      setIdentity(suffix, (m - 1) * 8);
      for (let k = m - 2; k >= 0; k--) {
        const uk = us[k + 1]!;
        mul(suffix, (k + 1) * 8, uk, uk.length === 8 ? 0 : o, suffix, k * 8);
      }
      const c = this.samples === 1 ? summedC : cross;
      const co = this.samples === 1 ? 0 : o;
      for (let k = 0; k < m; k++) {
        const gk = gens[k];
        if (!gk) continue;
        mul(prefix, k * 8, c, co, t, 0);
        mul(t, 0, suffix, k * 8, acb, 0);
        out[k]![this.samples === 1 ? 0 : s] = 2 * imTraceProduct(gk, 0, acb, 0);
      }
    }
  }
}

/** A general 2x2 complex matrix on one bit, per-sample (mats has batch x 8) or uniform (8). */
export function applyMatrix1(re: Float64Array, im: Float64Array, n: number, bit: number, mats: Float64Array): void {
  if (wasmMat1(re, im, n, bit, mats)) return;
  const total = re.length;
  const dim = 1 << n;
  const perSample = mats.length > 8;
  // One sample at a time, so a per-sample matrix is loaded once per sample, not once per pair.
  for (let at = 0; at < total; at += dim) {
    const o = perSample ? (at >> n) * 8 : 0;
    const m00r = mats[o]!, m00i = mats[o + 1]!, m01r = mats[o + 2]!, m01i = mats[o + 3]!;
    const m10r = mats[o + 4]!, m10i = mats[o + 5]!, m11r = mats[o + 6]!, m11i = mats[o + 7]!;
    const stop = at + dim;
    for (let base = at; base < stop; base += bit << 1) {
      const end = base + bit;
      for (let i = base; i < end; i++) {
        const j = i + bit;
        const ar = re[i]!, ai = im[i]!, br = re[j]!, bi = im[j]!;
        re[i] = m00r * ar - m00i * ai + m01r * br - m01i * bi;
        im[i] = m00r * ai + m00i * ar + m01r * bi + m01i * br;
        re[j] = m10r * ar - m10i * ai + m11r * br - m11i * bi;
        im[j] = m10r * ai + m10i * ar + m11r * bi + m11i * br;
      }
    }
  }
}

/**
 * Per-sample cross matrices C_ab = sum_rest psi[a, rest] conj(lam[b, rest])
 * on one bit, into out (batch x 8). For bit >= 2 even and odd indices are
 * summed apart and added at the end: the order of the SIMD kernel's two lanes,
 * so both give the same bits.
 */
export function crossMatrix(psi: StateBatch, lam: StateBatch, bit: number, out: Float64Array): void {
  const dim = 1 << psi.nQubits;
  const { re: pr, im: pi } = psi;
  const { re: lr, im: li } = lam;
  const lanes = bit >= 2 ? 2 : 1;
  const acc = new Float64Array(16);
  for (let b = 0; b < psi.batch; b++) {
    acc.fill(0);
    const stop = (b + 1) * dim;
    for (let base = b * dim; base < stop; base += bit << 1) {
      const end = base + bit;
      for (let i0 = base; i0 < end; i0 += lanes) {
        for (let lane = 0; lane < lanes; lane++) {
          const i = i0 + lane;
          const j = i + bit;
          const a = lane * 8;
          const p0r = pr[i]!, p0i = pi[i]!, p1r = pr[j]!, p1i = pi[j]!;
          const l0r = lr[i]!, l0i = li[i]!, l1r = lr[j]!, l1i = li[j]!;
          acc[a] += p0r * l0r + p0i * l0i;
          acc[a + 1] += p0i * l0r - p0r * l0i;
          acc[a + 2] += p0r * l1r + p0i * l1i;
          acc[a + 3] += p0i * l1r - p0r * l1i;
          acc[a + 4] += p1r * l0r + p1i * l0i;
          acc[a + 5] += p1i * l0r - p1r * l0i;
          acc[a + 6] += p1r * l1r + p1i * l1i;
          acc[a + 7] += p1i * l1r - p1r * l1i;
        }
      }
    }
    const o = b * 8;
    for (let k = 0; k < 8; k++) out[o + k] = lanes === 2 ? acc[k]! + acc[8 + k]! : acc[k]!;
  }
}

/**
 * One adjoint step back through a fused run: psi <- M psi (M the run's
 * inverse), the cross matrices of the new psi and the current lam, then
 * lam <- M lam when `doLam`. The wasm kernel does all three in one pass.
 */
export function adjointBlockStep(
  psi: StateBatch,
  lam: StateBatch,
  bit: number,
  mats: Float64Array,
  cross: Float64Array,
  doLam: boolean,
): void {
  const n = psi.nQubits;
  if (wasmAdjointBlock(psi.re, psi.im, lam.re, lam.im, n, bit, mats, cross, doLam)) return;
  applyMatrix1(psi.re, psi.im, n, bit, mats);
  crossMatrix(psi, lam, bit, cross);
  if (doLam) applyMatrix1(lam.re, lam.im, n, bit, mats);
}
