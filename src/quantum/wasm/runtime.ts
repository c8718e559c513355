import { fail } from '../../util/errors.js';
import { KERNELS_WASM_BASE64 } from './gen/kernels-binary.js';

/**
 * The WebAssembly SIMD kernels (kernels.wat) and the memory they work in.
 *
 * A wasm module reaches only its own linear memory, so a state that the
 * kernels should touch lives inside one: a *workspace* is one
 * WebAssembly.Memory with an instance of the kernels, a header for small
 * per-call data (matrices, angles, permutation tables, cross matrices) and
 * room for two states (the adjoint's psi and lam; one buffer, re and im
 * side by side; one state only where two would pass 4 GiB). The memory never grows, so views onto it never detach.
 * Kernels in kernels.ts and fusion.ts ask `workspaceOf(re)` and run the wasm
 * kernel when the arrays live in one; otherwise (no WebAssembly, the JS
 * backend chosen, a small state, an odd shape) the JS loop runs. Both compute
 * the same expressions in the same order, so results are bit-identical.
 */

/** The kernels' exports; every pointer and length is in bytes. */
interface KernelExports {
  mat1(re: number, im: number, bytes: number, dimB: number, bitB: number, mats: number, per: number): void;
  mat1b1(re: number, im: number, bytes: number, dimB: number, mats: number, per: number): void;
  adjointBlockB1(pr: number, pi: number, lr: number, li: number, bytes: number, dimB: number, mats: number, per: number, out: number, doLam: number): void;
  adjointBlock(
    pr: number, pi: number, lr: number, li: number, bytes: number, dimB: number, bitB: number,
    mats: number, per: number, out: number, doLam: number,
  ): void;
  rot(re: number, im: number, bytes: number, dimB: number, bitB: number, ctrl: number, cs: number, per: number, kind: number): void;
  xgate(re: number, im: number, bytes: number, bitB: number, ctrl: number): void;
  gather(arr: number, bytes: number, dimB: number, table: number, scratch: number): void;
}

/** The few WebAssembly JS-API members used here (lib.dom is not in the Node build). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

const PAGE = 65536;
/** The most pages a 32-bit memory may have (4 GiB less one page keeps every end offset below 2^32). */
const MAX_PAGES = 65535;
/** Below this many amplitudes per state the JS loops win over a workspace's set-up. */
const MIN_AMPLITUDES = 1024;
/** Permutation tables (fusion.ts) exist for up to this many qubits. */
const MAX_TABLE_QUBITS = 14;
/** Gap between arrays: re[i] and im[i] 4 KiB apart would alias in the store buffer. */
const PAD = 4096 + 64;

let compiled: object | null | undefined;

function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

function kernelModule(): object | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const api = wasmApi();
  if (!api) return compiled;
  try {
    const bin = atob(KERNELS_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    // validate() is false where SIMD is not supported: the JS kernels run instead.
    if (api.validate(bytes)) compiled = new api.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

export const KERNEL_BACKENDS = ['wasm', 'js'] as const;
export type KernelBackend = (typeof KERNEL_BACKENDS)[number];

let backend: KernelBackend | undefined;

/** True where this runtime can run the WebAssembly SIMD kernels. */
export function wasmKernelsAvailable(): boolean {
  return kernelModule() !== null;
}

/** The kernels in use: 'wasm' by default where available, else 'js'. */
export function kernelBackend(): KernelBackend {
  backend ??= wasmKernelsAvailable() ? 'wasm' : 'js';
  return backend;
}

/**
 * Chooses the simulator's kernels. 'js' runs the plain loops everywhere
 * (states allocated before keep their memory but take the JS path); 'wasm'
 * fails where WebAssembly SIMD is missing. Results are the same bit for bit.
 */
export function setKernelBackend(b: KernelBackend): void {
  if (!KERNEL_BACKENDS.includes(b)) fail('kernels', `must be one of ${KERNEL_BACKENDS.join(', ')}, got ${String(b)}`);
  if (b === 'wasm' && !wasmKernelsAvailable()) fail('kernels', 'WebAssembly SIMD is not available in this runtime; use js');
  backend = b;
}

/** One memory, one instance of the kernels, a header and two state slots. */
export class Workspace {
  readonly k: KernelExports;
  readonly f64: Float64Array;
  readonly i32: Int32Array;
  /** Byte offsets of the header areas and capacities in bytes. */
  readonly mats: number;
  readonly matsBytes: number;
  readonly cross: number;
  readonly trig: number;
  readonly table: number;
  readonly scratch: number;
  readonly tableLength: number;
  /** The permutation table copied in last, so a repeated gate does not copy it again. */
  lastTable: Int32Array | undefined;
  /** The slots' arrays: [re0, im0, re1, im1], or [re0, im0] where two states do not fit. */
  readonly arrays: readonly Float64Array[];

  constructor(api: WasmApi, module: object, readonly nQubits: number, readonly batch: number, pages: number, layout: Layout) {
    const memory = new api.Memory({ initial: pages, maximum: pages });
    this.k = new api.Instance(module, { env: { memory } }).exports as KernelExports;
    this.f64 = new Float64Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.mats = layout.mats;
    this.matsBytes = layout.cross - layout.mats;
    this.cross = layout.cross;
    this.trig = layout.trig;
    this.table = layout.table;
    this.scratch = layout.scratch;
    this.tableLength = layout.tableLength;
    const total = batch * 2 ** nQubits;
    this.arrays = layout.slots.map((at) => new Float64Array(memory.buffer, at, total));
  }
}

interface Layout {
  mats: number;
  cross: number;
  trig: number;
  table: number;
  scratch: number;
  tableLength: number;
  slots: number[];
  bytes: number;
}

const align = (x: number) => Math.ceil(x / 64) * 64;

function layout(nQubits: number, batch: number, slots: 1 | 2): Layout {
  const dim = 2 ** nQubits;
  const tableLength = nQubits <= MAX_TABLE_QUBITS ? dim : 0;
  const mats = 0;
  const cross = align(mats + batch * 64);
  const trig = align(cross + batch * 64);
  const table = align(trig + batch * 16);
  const scratch = align(table + tableLength * 4);
  let at = align(scratch + tableLength * 8);
  const starts: number[] = [];
  const arrayBytes = batch * dim * 8;
  for (let s = 0; s < 2 * slots; s++) {
    starts.push(at);
    at = align(at + arrayBytes) + PAD;
  }
  return { mats, cross, trig, table, scratch, tableLength, slots: starts, bytes: at };
}

const owners = new WeakMap<ArrayBuffer, Workspace>();
/** Released workspaces, reused by the next allocation of the same shape (a training loop's steps). */
const pool: Workspace[] = [];
const POOL_SIZE = 4;

/**
 * A workspace for `batch` states of `nQubits` qubits, or undefined where the
 * wasm kernels are off or unavailable, the state is small, or it does not fit
 * in a 32-bit memory (the caller then allocates plain arrays).
 */
export function acquireWorkspace(nQubits: number, batch: number): Workspace | undefined {
  if (kernelBackend() !== 'wasm' || nQubits < 2 || batch * 2 ** nQubits < MIN_AMPLITUDES) return undefined;
  const hit = pool.findIndex((w) => w.nQubits === nQubits && w.batch === batch);
  if (hit >= 0) {
    const w = pool.splice(hit, 1)[0]!;
    for (const a of w.arrays) a.fill(0);
    return w;
  }
  const api = wasmApi();
  const module = kernelModule();
  if (!api || !module) return undefined;
  // Room for a companion state where both fit in 4 GiB; else the state alone (26 qubits).
  let l = layout(nQubits, batch, 2);
  if (Math.ceil(l.bytes / PAGE) > MAX_PAGES) l = layout(nQubits, batch, 1);
  const pages = Math.ceil(l.bytes / PAGE);
  if (pages > MAX_PAGES) return undefined;
  try {
    const w = new Workspace(api, module, nQubits, batch, pages, l);
    owners.set(w.f64.buffer as ArrayBuffer, w);
    return w;
  } catch {
    // Out of address space or memory: the JS arrays are the fallback.
    return undefined;
  }
}

/** Hands a workspace back once nothing reads its states any more. */
export function releaseWorkspace(w: Workspace): void {
  if (pool.includes(w)) return;
  pool.push(w);
  if (pool.length > POOL_SIZE) pool.shift();
}

/** The workspace both arrays live in, when the wasm kernels should run on them. */
export function workspaceOf(re: Float64Array, im: Float64Array): Workspace | undefined {
  if (re.buffer !== im.buffer || backend !== 'wasm') return undefined;
  return owners.get(re.buffer as ArrayBuffer);
}

/** The owning workspace of a state's arrays, regardless of the backend chosen now. */
export function ownerOf(re: Float64Array): Workspace | undefined {
  return owners.get(re.buffer as ArrayBuffer);
}
