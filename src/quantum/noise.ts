import { fail } from '../util/errors.js';
import type { Circuit, Operation } from './circuit.js';
import {
  amplitudeDamping,
  bitFlip,
  depolarizing,
  generalizedAmplitudeDamping,
  kraus,
  MAX_CHANNEL_QUBITS,
  pauliChannel,
  phaseDamping,
  phaseFlip,
  thermalRelaxation,
  type Channel,
  type ComplexMatrix,
} from './channels.js';
import { GATES, isGateName, MATRICES, type GateName, type Mat2 } from './gates.js';
import { parity } from './kernels.js';
import { pauliMasks, type PauliWord } from './measure.js';
import { compile, wireBit, type TapeOp } from './tape.js';

/**
 * A noise model in the shape of Qiskit Aer's `NoiseModel`: channels attach
 * after gates by gate name and wire, readout errors to measured wires, so any
 * circuit of the project runs noisy without being rewritten.
 *
 * ```ts
 * const noise = new NoiseModel()
 *   .addAllQubitQuantumError(depolarizing(0.001), ['RX', 'RY', 'RZ', 'H'])
 *   .addAllQubitQuantumError(depolarizing(0.01, 2), ['CNOT', 'CZ'])
 *   .addQuantumError(amplitudeDamping(0.05), 'all', [3])
 *   .addAllQubitReadoutError(bitReadout(0.02, 0.05));
 * const rho = simulateDensity(args, { noise });
 * ```
 *
 * Matching rules:
 * - a 1-qubit channel is applied to every qubit the operation touches (its
 *   wires and extra controls); added with `addQuantumError(ch, gates, [w])`,
 *   only to wire w;
 * - a k-qubit channel (k >= 2) goes with k-wire gates and is applied to the
 *   operation's wires in order; with explicit wires, only when the operation's
 *   wires are exactly those, in that order;
 * - as in Qiskit, a local error (explicit wires) replaces the all-qubit errors
 *   of the same gate on the same qubits; errors of the same scope compose in
 *   the order they were added;
 * - local errors on wires the circuit does not have never match (a model of a
 *   larger device serves smaller circuits).
 */

/** Which gates an error follows: a list of gate names, or every gate. */
export type GateSelector = readonly GateName[] | 'all';

/**
 * A classical readout error on k measured bits: probabilities[t * 2^k + m] =
 * P(measured m | true outcome t), each row summing to 1 (Qiskit's
 * `ReadoutError` layout).
 */
export interface ReadoutError {
  readonly nQubits: number;
  readonly probabilities: Float64Array;
}

/** A readout error from its confusion matrix, rows = true outcome, columns = reported outcome. */
export function readoutError(matrix: readonly (readonly number[])[], tol = 1e-10): ReadoutError {
  const d = matrix.length;
  const nQubits = Math.log2(d);
  if (!Number.isInteger(nQubits) || nQubits < 1 || nQubits > MAX_CHANNEL_QUBITS) {
    fail('readoutError', `must be 2 x 2, 4 x 4 or 8 x 8, got ${d} rows`);
  }
  const probabilities = new Float64Array(d * d);
  matrix.forEach((row, t) => {
    if (row.length !== d) fail(`readoutError[${t}]`, `must have ${d} entries, got ${row.length}`);
    let sum = 0;
    row.forEach((p, m) => {
      if (!(p >= 0 && p <= 1)) fail(`readoutError[${t}][${m}]`, `must be a probability in [0, 1], got ${p}`);
      probabilities[t * d + m] = p;
      sum += p;
    });
    if (!(Math.abs(sum - 1) <= tol)) fail(`readoutError[${t}]`, `must sum to 1 (a distribution of reported outcomes), sums to ${sum}`);
  });
  return { nQubits, probabilities };
}

/** One-bit readout error: a true 0 reads 1 with probability p01, a true 1 reads 0 with p10. */
export function bitReadout(p01: number, p10: number = p01): ReadoutError {
  return readoutError([
    [1 - p01, p01],
    [p10, 1 - p10],
  ]);
}

interface QuantumEntry {
  readonly channel: Channel;
  readonly gates: ReadonlySet<GateName> | 'all';
  readonly wires?: readonly number[];
}

interface ReadoutEntry {
  readonly error: ReadoutError;
  readonly wires?: readonly number[];
}

/** A channel placed on circuit wires. */
export interface ChannelPlacement {
  readonly channel: Channel;
  readonly wires: readonly number[];
}

function checkWires(wires: readonly number[], count: number, field: string): void {
  if (wires.length !== count) fail(field, `needs ${count} wire(s), got [${wires.join(', ')}]`);
  for (const w of wires) if (!Number.isInteger(w) || w < 0) fail(field, `wire ${w} is not a non-negative integer`);
  if (new Set(wires).size !== wires.length) fail(field, `wires must be distinct, got [${wires.join(', ')}]`);
}

const sameWires = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((w, i) => w === b[i]);

export class NoiseModel {
  private readonly quantum: QuantumEntry[] = [];
  private readonly readout: ReadoutEntry[] = [];

  /** True when the model adds nothing (no quantum and no readout errors). */
  get isIdeal(): boolean {
    return this.quantum.length === 0 && this.readout.length === 0;
  }

  get hasReadoutErrors(): boolean {
    return this.readout.length > 0;
  }

  /** After every listed gate, on any qubits (see the matching rules above). */
  addAllQubitQuantumError(channel: Channel, gates: GateSelector): this {
    this.quantum.push({ channel, gates: this.selector(channel, gates) });
    return this;
  }

  /** After every listed gate on `wires` only (one wire for a 1-qubit channel). */
  addQuantumError(channel: Channel, gates: GateSelector, wires: readonly number[]): this {
    checkWires(wires, channel.nQubits, 'addQuantumError.wires');
    this.quantum.push({ channel, gates: this.selector(channel, gates), wires: [...wires] });
    return this;
  }

  /** A 1-qubit readout error on every measured wire. */
  addAllQubitReadoutError(error: ReadoutError): this {
    if (error.nQubits !== 1) fail('addAllQubitReadoutError', `needs a 1-qubit readout error, got ${error.nQubits} qubits; use addReadoutError with wires`);
    this.readout.push({ error });
    return this;
  }

  /** A readout error on `wires` (its size); without wires, the same as `addAllQubitReadoutError`. */
  addReadoutError(error: ReadoutError, wires?: readonly number[]): this {
    if (wires === undefined) return this.addAllQubitReadoutError(error);
    checkWires(wires, error.nQubits, 'addReadoutError.wires');
    this.readout.push({ error, wires: [...wires] });
    return this;
  }

  private selector(channel: Channel, gates: GateSelector): ReadonlySet<GateName> | 'all' {
    if (gates === 'all') return 'all';
    if (gates.length === 0) fail('gates', 'must name at least one gate, or be "all"');
    for (const g of gates) {
      if (!isGateName(g)) fail('gates', `unknown gate '${String(g)}'`);
      const k = channel.nQubits;
      if (k > 1 && GATES[g].nWires !== k) {
        fail('gates', `a ${k}-qubit channel (${channel.name}) cannot follow ${g}, which acts on ${GATES[g].nWires} wire(s)`);
      }
    }
    return new Set(gates);
  }

  /** The channels to apply after `op`, in order. */
  channelsAfter(op: Operation, nQubits: number): ChannelPlacement[] {
    const touched = [...(op.controls ?? []), ...op.wires];
    const out: { placement: ChannelPlacement; local: boolean }[] = [];
    for (const e of this.quantum) {
      if (e.gates !== 'all' && !e.gates.has(op.gate)) continue;
      const k = e.channel.nQubits;
      if (e.wires) {
        if (e.wires.some((w) => w >= nQubits)) continue;
        if (k === 1 ? touched.includes(e.wires[0]!) : sameWires(op.wires, e.wires)) {
          out.push({ placement: { channel: e.channel, wires: e.wires }, local: true });
        }
      } else if (k === 1) {
        for (const w of touched) out.push({ placement: { channel: e.channel, wires: [w] }, local: false });
      } else if (op.wires.length === k) {
        out.push({ placement: { channel: e.channel, wires: op.wires }, local: false });
      }
    }
    const localKeys = new Set(out.filter((x) => x.local).map((x) => x.placement.wires.join(',')));
    return out.filter((x) => x.local || !localKeys.has(x.placement.wires.join(','))).map((x) => x.placement);
  }

  /**
   * The readout maps for an n-qubit register, in the order they act: local
   * errors on their wires, the all-qubit errors on every wire no local error
   * covers.
   */
  readoutMaps(nQubits: number): ReadoutMap[] {
    const covered = new Set<number>();
    const local = this.readout.filter((e) => e.wires && e.wires.every((w) => w < nQubits));
    for (const e of local) for (const w of e.wires!) covered.add(w);
    const maps: ReadoutMap[] = [];
    for (const e of this.readout) {
      if (e.wires) {
        if (e.wires.every((w) => w < nQubits)) maps.push(readoutMap(e.error, e.wires, nQubits));
      } else {
        for (let w = 0; w < nQubits; w++) if (!covered.has(w)) maps.push(readoutMap(e.error, [w], nQubits));
      }
    }
    return maps;
  }
}

// ----------------------------------------------------------- noisy program

/** One step of a noisy run: a tape operation, or a channel after a circuit operation. */
export type NoisyStep =
  | { readonly kind: 'gate'; readonly op: TapeOp; readonly tapeIndex: number }
  | {
      readonly kind: 'channel';
      readonly channel: Channel;
      readonly wires: readonly number[];
      /** Bit masks of the wires, first wire = most significant bit of the channel's local index. */
      readonly bits: readonly number[];
      readonly opIndex: number;
    };

/**
 * The circuit's tape with the noise model's channels placed after each
 * operation (after all of its primitives; an `I` gate lowers to no primitive
 * and still carries its idle noise).
 */
export function noisyProgram(circuit: Circuit, noise?: NoiseModel): NoisyStep[] {
  const tape = compile(circuit);
  const n = circuit.nQubits;
  const steps: NoisyStep[] = [];
  let t = 0;
  circuit.ops.forEach((op, opIndex) => {
    while (t < tape.ops.length && tape.ops[t]!.opIndex === opIndex) {
      steps.push({ kind: 'gate', op: tape.ops[t]!, tapeIndex: t });
      t++;
    }
    if (!noise) return;
    for (const { channel, wires } of noise.channelsAfter(op, n)) {
      steps.push({ kind: 'channel', channel, wires, bits: wires.map((w) => wireBit(n, w)), opIndex });
    }
  });
  return steps;
}

// ----------------------------------------------------------------- readout

/** A readout error placed on an n-qubit register: bit masks plus the confusion matrix. */
export interface ReadoutMap {
  readonly bits: readonly number[];
  readonly probabilities: Float64Array;
}

function readoutMap(error: ReadoutError, wires: readonly number[], nQubits: number): ReadoutMap {
  return { bits: wires.map((w) => wireBit(nQubits, w)), probabilities: error.probabilities };
}

/** The 2^k offsets of a k-bit local index (first bit = most significant). */
export function localOffsets(bits: readonly number[]): Int32Array {
  const k = bits.length;
  const off = new Int32Array(1 << k);
  for (let a = 0; a < 1 << k; a++) {
    let o = 0;
    for (let q = 0; q < k; q++) if ((a >> (k - 1 - q)) & 1) o |= bits[q]!;
    off[a] = o;
  }
  return off;
}

/**
 * Applies a confusion matrix to every 2^n block of `v` on the map's bits:
 * `transpose` false: v[t] <- sum_m P(m|t) v[m] (pulls a function of the
 * reported outcome back to the true outcome); true: v[m] <- sum_t P(m|t) v[t]
 * (pushes a distribution of true outcomes to reported ones).
 */
export function applyReadoutMap(v: Float64Array, map: ReadoutMap, transpose: boolean): void {
  const off = localOffsets(map.bits);
  const d = off.length;
  const mask = map.bits.reduce((m, b) => m | b, 0);
  const P = map.probabilities;
  const tmp = new Float64Array(d);
  for (let i = 0; i < v.length; i++) {
    if ((i & mask) !== 0) continue;
    for (let a = 0; a < d; a++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += (transpose ? P[c * d + a]! : P[a * d + c]!) * v[i + off[c]!]!;
      tmp[a] = acc;
    }
    for (let a = 0; a < d; a++) v[i + off[a]!] = tmp[a]!;
  }
}

/** Reported-outcome distributions from true ones (batch x 2^n, in place). */
export function applyReadoutToProbs(p: Float64Array, maps: readonly ReadoutMap[]): void {
  for (const m of maps) applyReadoutMap(p, m, true);
}

/**
 * The basis change that measures a Pauli word in the computational basis:
 * H on X wires, S^dagger then H on Y wires (R P R^dagger is Z on the word's wires).
 */
export function eigenbasisRotation(word: PauliWord, nQubits: number): { readonly bit: number; readonly matrix: Mat2 }[] {
  return word.terms.flatMap(({ wire, pauli }) => {
    const bit = wireBit(nQubits, wire);
    if (pauli === 'X') return [{ bit, matrix: MATRICES.H }];
    if (pauli === 'Y') return [{ bit, matrix: MATRICES.Sdg }, { bit, matrix: MATRICES.H }];
    return [];
  });
}

/**
 * The measured value of a Pauli word with readout errors, as a diagonal in
 * the word's eigenbasis: d[t] = E[(-1)^{parity of the reported bits on the
 * word's wires} | true outcome t]. The noisy expectation value is then
 * Tr(rho R^dagger diag(d) R) with R = `eigenbasisRotation(word)`.
 */
export function measuredDiagonal(word: PauliWord, nQubits: number, maps: readonly ReadoutMap[]): Float64Array {
  const dim = 1 << nQubits;
  const z = pauliMasks({ terms: word.terms.map((t) => ({ wire: t.wire, pauli: 'Z' as const })) }, nQubits).z;
  const d = new Float64Array(dim);
  for (let i = 0; i < dim; i++) d[i] = parity(i & z) ? -1 : 1;
  // Maps act in order on the outcome, so their pull-backs act in reverse.
  for (let k = maps.length - 1; k >= 0; k--) applyReadoutMap(d, maps[k]!, false);
  return d;
}

// -------------------------------------------------------------- from data

/** Channels as data (configs, reports): the vocabulary of `channelFromSpec`. */
export type ChannelSpec =
  | { readonly kind: 'depolarizing'; readonly p: number; readonly nQubits?: 1 | 2 }
  | { readonly kind: 'amplitudeDamping'; readonly gamma: number }
  | { readonly kind: 'generalizedAmplitudeDamping'; readonly gamma: number; readonly p: number }
  | { readonly kind: 'phaseDamping'; readonly lambda: number }
  | { readonly kind: 'bitFlip'; readonly p: number }
  | { readonly kind: 'phaseFlip'; readonly p: number }
  | { readonly kind: 'pauli'; readonly px: number; readonly py: number; readonly pz: number }
  | { readonly kind: 'thermalRelaxation'; readonly t1: number; readonly t2: number; readonly time: number }
  | { readonly kind: 'kraus'; readonly ops: readonly ComplexMatrix[] };

export const CHANNEL_KINDS = [
  'depolarizing', 'amplitudeDamping', 'generalizedAmplitudeDamping', 'phaseDamping', 'bitFlip', 'phaseFlip', 'pauli',
  'thermalRelaxation', 'kraus',
] as const satisfies readonly ChannelSpec['kind'][];

export function channelFromSpec(spec: ChannelSpec): Channel {
  switch (spec.kind) {
    case 'depolarizing':
      return depolarizing(spec.p, spec.nQubits ?? 1);
    case 'amplitudeDamping':
      return amplitudeDamping(spec.gamma);
    case 'generalizedAmplitudeDamping':
      return generalizedAmplitudeDamping(spec.gamma, spec.p);
    case 'phaseDamping':
      return phaseDamping(spec.lambda);
    case 'bitFlip':
      return bitFlip(spec.p);
    case 'phaseFlip':
      return phaseFlip(spec.p);
    case 'pauli':
      return pauliChannel(spec.px, spec.py, spec.pz);
    case 'thermalRelaxation':
      return thermalRelaxation(spec.t1, spec.t2, spec.time);
    case 'kraus':
      return kraus(spec.ops);
    default:
      return fail('channel.kind', `unknown channel '${String((spec as { kind: unknown }).kind)}'; allowed: ${CHANNEL_KINDS.join(', ')}`);
  }
}

/** A noise model as data: quantum errors (wires omitted = all qubits) and readout errors. */
export interface NoiseSpec {
  readonly quantum?: readonly { readonly channel: ChannelSpec; readonly gates: GateSelector; readonly wires?: readonly number[] }[];
  readonly readout?: readonly { readonly matrix: readonly (readonly number[])[]; readonly wires?: readonly number[] }[];
}

export function noiseModelFromSpec(spec: NoiseSpec): NoiseModel {
  const model = new NoiseModel();
  for (const q of spec.quantum ?? []) {
    const ch = channelFromSpec(q.channel);
    if (q.wires) model.addQuantumError(ch, q.gates, q.wires);
    else model.addAllQubitQuantumError(ch, q.gates);
  }
  for (const r of spec.readout ?? []) model.addReadoutError(readoutError(r.matrix), r.wires);
  return model;
}
