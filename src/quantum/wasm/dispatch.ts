import { workspaceOf, type Workspace } from './runtime.js';

/**
 * Entry points from the JS kernels into the wasm ones. Each returns false
 * when it cannot take the call (arrays outside a workspace; bit 0 as a
 * control, or as the target of a kernel without a bit-0 twin: lanes i and
 * i+1 would belong to different pairs),
 * and the JS kernel then runs its own loop. Shapes are the JS kernels'.
 */

/** Per-sample data (matrices, angles) too large for the header goes the JS way. */
function fits(w: Workspace, values: number): boolean {
  return values * 8 <= w.matsBytes;
}

export function wasmMat1(re: Float64Array, im: Float64Array, n: number, bit: number, mats: Float64Array): boolean {
  const w = workspaceOf(re, im);
  if (!w || !fits(w, mats.length)) return false;
  w.f64.set(mats, w.mats >> 3);
  const per = mats.length > 8 ? 1 : 0;
  if (bit === 1) w.k.mat1b1(re.byteOffset, im.byteOffset, re.length * 8, 8 << n, w.mats, per);
  else w.k.mat1(re.byteOffset, im.byteOffset, re.length * 8, 8 << n, bit * 8, w.mats, per);
  return true;
}

/**
 * psi <- M psi, cross matrices of the new psi and the old lam into `cross`
 * (batch x 8), then lam <- M lam when `doLam`: one pass over both states.
 */
export function wasmAdjointBlock(
  pr: Float64Array, pi: Float64Array, lr: Float64Array, li: Float64Array,
  n: number, bit: number, mats: Float64Array, cross: Float64Array, doLam: boolean,
): boolean {
  const w = workspaceOf(pr, pi);
  if (!w || workspaceOf(lr, li) !== w || !fits(w, mats.length) || cross.length * 8 > w.trig - w.cross) return false;
  w.f64.set(mats, w.mats >> 3);
  const per = mats.length > 8 ? 1 : 0;
  if (bit === 1) {
    w.k.adjointBlockB1(pr.byteOffset, pi.byteOffset, lr.byteOffset, li.byteOffset, pr.length * 8, 8 << n, w.mats, per, w.cross, doLam ? 1 : 0);
  } else {
    w.k.adjointBlock(pr.byteOffset, pi.byteOffset, lr.byteOffset, li.byteOffset, pr.length * 8, 8 << n, bit * 8, w.mats, per, w.cross, doLam ? 1 : 0);
  }
  cross.set(w.f64.subarray(w.cross >> 3, (w.cross >> 3) + cross.length));
  return true;
}

export const ROT_KIND = { RY: 0, RX: 1, RZ: 2, Phase: 3 } as const;

/** A rotation with (cos, sin) per sample (`perSample`) or shared. */
export function wasmRot(
  re: Float64Array, im: Float64Array, n: number, bit: number, ctrl: number,
  cos: Float64Array, sin: Float64Array, perSample: boolean, kind: number,
): boolean {
  if (bit < 2 || (ctrl & 1) !== 0) return false;
  const w = workspaceOf(re, im);
  if (!w) return false;
  const count = perSample ? re.length >> n : 1;
  if (count * 16 > w.table - w.trig) return false;
  const at = w.trig >> 3;
  for (let k = 0; k < count; k++) {
    w.f64[at + 2 * k] = cos[k]!;
    w.f64[at + 2 * k + 1] = sin[k]!;
  }
  w.k.rot(re.byteOffset, im.byteOffset, re.length * 8, 8 << n, bit * 8, ctrl, w.trig, perSample ? 1 : 0, kind);
  return true;
}

/** X on `bit` under the control mask `ctrl`. */
export function wasmX(re: Float64Array, im: Float64Array, bit: number, ctrl: number): boolean {
  if (bit < 2 || (ctrl & 1) !== 0) return false;
  const w = workspaceOf(re, im);
  if (!w) return false;
  w.k.xgate(re.byteOffset, im.byteOffset, re.length * 8, bit * 8, ctrl);
  return true;
}

/** arr[at + j] <- arr[at + table[j]] for every sample, re and im. */
export function wasmGather(re: Float64Array, im: Float64Array, table: Int32Array): boolean {
  const dim = table.length;
  if (dim < 2) return false;
  const w = workspaceOf(re, im);
  if (!w || w.tableLength !== dim) return false;
  if (w.lastTable !== table) {
    w.i32.set(table, w.table >> 2);
    w.lastTable = table;
  }
  for (const a of [re, im]) w.k.gather(a.byteOffset, a.length * 8, dim * 8, w.table, w.scratch);
  return true;
}

/** A fixed uncontrolled 2x2 matrix (H, SX, ...): mat1 with the whole buffer as one sample. */
export function wasmFixed(re: Float64Array, im: Float64Array, bit: number, m: ArrayLike<number>): boolean {
  if (bit < 2) return false;
  const w = workspaceOf(re, im);
  if (!w) return false;
  w.f64.set(m, w.mats >> 3);
  w.k.mat1(re.byteOffset, im.byteOffset, re.length * 8, re.length * 8, bit * 8, w.mats, 0);
  return true;
}

/** diag(1, c + is) on `bit` under `ctrl` (Z, S, T, CZ): the Phase kernel with one shared angle. */
export function wasmPhase(re: Float64Array, im: Float64Array, bit: number, ctrl: number, c: number, s: number): boolean {
  if (bit < 2 || (ctrl & 1) !== 0) return false;
  const w = workspaceOf(re, im);
  if (!w) return false;
  w.f64[w.trig >> 3] = c;
  w.f64[(w.trig >> 3) + 1] = s;
  w.k.rot(re.byteOffset, im.byteOffset, re.length * 8, re.length * 8, bit * 8, ctrl, w.trig, 0, ROT_KIND.Phase);
  return true;
}
