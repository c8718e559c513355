import { fail } from '../util/errors.js';
import { input, type CircuitBuilder } from './circuit.js';

/**
 * Embeddings and ansatz templates. Each appends operations to a builder;
 * ansatzes take fresh weight indices from `b.newWeight()`, in the order the
 * gates are applied, so weight k of a template is the k-th trainable gate.
 */

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const wiresOf = (b: CircuitBuilder, wires?: readonly number[]) => wires ?? range(b.nQubits);

export type Axis = 'X' | 'Y' | 'Z';

/** Angle embedding: feature offset+i drives R_axis(scale * x_i) on wire i. */
export function angleEmbedding(
  b: CircuitBuilder,
  opts: { features: number; rotation?: Axis; scale?: number; offset?: number; wires?: readonly number[] },
): void {
  const wires = wiresOf(b, opts.wires);
  if (opts.features > wires.length) fail('features', `angle embedding of ${opts.features} features needs as many wires, got ${wires.length}`);
  const gate = (`R${opts.rotation ?? 'X'}`) as 'RX' | 'RY' | 'RZ';
  for (let i = 0; i < opts.features; i++) b.add(gate, [wires[i]!], [input((opts.offset ?? 0) + i, opts.scale)]);
}

/**
 * Amplitude embedding of `features` values (from `offset`) on all wires:
 * padded with zeros to 2^n and L2-normalized; an all-zero input is an error.
 */
export function amplitudeEmbedding(b: CircuitBuilder, opts: { features: number; offset?: number }): void {
  b.setPrep({ kind: 'amplitude', offset: opts.offset ?? 0, length: opts.features });
}

/**
 * IQP embedding (Havlicek et al. 2019, PennyLane's IQPEmbedding): per repeat,
 * H on every wire, RZ(x_i) on wire i, then RZZ(x_i x_j) on every pair i < j.
 */
export function iqpEmbedding(b: CircuitBuilder, opts: { features: number; repeats?: number; offset?: number }): void {
  const n = opts.features;
  if (n > b.nQubits) fail('features', `IQP embedding of ${n} features needs as many wires, got ${b.nQubits}`);
  const off = opts.offset ?? 0;
  for (let r = 0; r < (opts.repeats ?? 1); r++) {
    for (let i = 0; i < n; i++) b.h(i);
    for (let i = 0; i < n; i++) b.rz(i, input(off + i));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) b.add('RZZ', [i, j], [{ kind: 'inputProduct', indices: [off + i, off + j] }]);
    }
  }
}

/** CNOT from each wire to the next, closing the ring when there are more than two wires. */
function cnotRing(b: CircuitBuilder, wires: readonly number[]): void {
  const n = wires.length;
  if (n < 2) return;
  const pairs = n === 2 ? 1 : n;
  for (let i = 0; i < pairs; i++) b.cnot(wires[i]!, wires[(i + 1) % n]!);
}

/** Hardware-efficient ansatz: per layer RY then RZ on every wire, then a CNOT ring. 2 n L weights. */
export function hardwareEfficient(b: CircuitBuilder, opts: { layers: number; wires?: readonly number[] }): void {
  const wires = wiresOf(b, opts.wires);
  for (let l = 0; l < opts.layers; l++) {
    for (const w of wires) b.ry(w, b.newWeight());
    for (const w of wires) b.rz(w, b.newWeight());
    cnotRing(b, wires);
  }
}

/**
 * Strongly entangling layers (Schuld et al. 2020, PennyLane's
 * StronglyEntanglingLayers): per layer Rot on every wire, then CNOT(i, i + r)
 * with range r = (l mod (n - 1)) + 1. 3 n L weights.
 */
export function stronglyEntangling(b: CircuitBuilder, opts: { layers: number; wires?: readonly number[] }): void {
  const wires = wiresOf(b, opts.wires);
  const n = wires.length;
  for (let l = 0; l < opts.layers; l++) {
    for (const w of wires) b.add('Rot', [w], [b.newWeight(), b.newWeight(), b.newWeight()]);
    if (n < 2) continue;
    const r = (l % (n - 1)) + 1;
    for (let i = 0; i < n; i++) b.cnot(wires[i]!, wires[(i + r) % n]!);
  }
}

/** Basic entangler layers: per layer a rotation on every wire, then a CNOT ring. n L weights. */
export function basicEntangler(b: CircuitBuilder, opts: { layers: number; rotation?: Axis; wires?: readonly number[] }): void {
  const wires = wiresOf(b, opts.wires);
  const gate = `R${opts.rotation ?? 'X'}` as 'RX' | 'RY' | 'RZ';
  for (let l = 0; l < opts.layers; l++) {
    for (const w of wires) b.add(gate, [w], [b.newWeight()]);
    cnotRing(b, wires);
  }
}

/**
 * The space-air-ground paper's circuit (arXiv 2411.01312): per layer RX, RY,
 * RZ on each wire, then a ring of trainable CRX gates from each wire to the
 * next. 4 n L weights.
 */
export function saginAnsatz(b: CircuitBuilder, opts: { layers: number; wires?: readonly number[] }): void {
  const wires = wiresOf(b, opts.wires);
  const n = wires.length;
  for (let l = 0; l < opts.layers; l++) {
    for (const w of wires) {
      b.rx(w, b.newWeight());
      b.ry(w, b.newWeight());
      b.rz(w, b.newWeight());
    }
    if (n < 2) continue;
    for (let i = 0; i < n; i++) b.crx(wires[i]!, wires[(i + 1) % n]!, b.newWeight());
  }
}
