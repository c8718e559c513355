import { create } from '@bufbuild/protobuf';
import { z } from 'zod';
import { GATE_NAMES } from '../quantum/gates.js';
import type { Circuit, Operation, Param } from '../quantum/circuit.js';
import { formatPauliWord, parsePauliWord } from '../quantum/measure.js';
import { fromQasm, toQasm } from '../quantum/qasm.js';
import type { GateSideAction } from '../quantum/cutting/decompositions.js';
import type { SubCircuitTask } from '../quantum/cutting/subcircuit.js';
import { QflError } from '../util/errors.js';
import { encodeVector, WireError } from './codec.js';
import { InstructionSchema, ResultSchema, type Instruction, type Result, type Tensor } from './gen/qfl/fleet/v1/fleet_pb.js';

/**
 * Sub-circuit tasks on the wire (`CutTask` / `CutResult` in
 * proto/qfl/fleet/v1/fleet.proto). Segments travel as qfl circuit data
 * (JSON; weight and input parameters stay unbound) or as OpenQASM 2.0 (then
 * bound to the task's single weights and inputs row). Decoding trusts
 * nothing: the JSON is parsed by a strict schema, shapes and labels are
 * checked, and a WireError names the field.
 */

export type SegmentEncoding = 'json' | 'qasm';

/** Wire labels of the gate-cut actions. */
const SLOT_LABEL: Readonly<Record<GateSideAction, string>> = { id: 'id', z: 'z', measure: 'measure', rzPlus: 'rz+', rzMinus: 'rz-' };
const SLOT_ACTION = new Map(Object.entries(SLOT_LABEL).map(([a, l]) => [l, a as GateSideAction]));

export interface CutTaskData {
  readonly task: SubCircuitTask;
  /** W x nWeights and B x nInputs, row-major. */
  readonly weights: Float64Array;
  readonly W: number;
  readonly inputs: Float64Array;
  readonly B: number;
  readonly shots: number;
  readonly seed: number;
}

function matrix(v: Float64Array, rows: number, cols: number): Tensor {
  const t = encodeVector(v);
  t.shape = [rows, cols];
  return t;
}

function decodeMatrix(t: Tensor | undefined, field: string, cols: number, maxRows: number): { v: Float64Array; rows: number } {
  if (!t) throw new WireError(field, 'missing');
  if (t.dtype !== 'float64') throw new WireError(`${field}.dtype`, `must be 'float64', got '${t.dtype}'`);
  if (t.shape.length !== 2 || t.shape[1] !== cols) throw new WireError(`${field}.shape`, `must be [rows, ${cols}], got [${t.shape.join(', ')}]`);
  const rows = t.shape[0]!;
  if (!(rows >= 1 && rows <= maxRows)) throw new WireError(`${field}.shape`, `must have 1..${maxRows} rows, got ${rows}`);
  if (t.data.byteLength !== rows * cols * 8) throw new WireError(`${field}.data`, `must hold ${rows * cols * 8} bytes, got ${t.data.byteLength}`);
  const v = new Float64Array(rows * cols);
  new Uint8Array(v.buffer).set(t.data);
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) throw new WireError(`${field}.data`, `element ${i} is ${v[i]} (NaN and infinities are refused)`);
  return { v, rows };
}

/** The server's side: one fragment's task for the given rows. */
export function cutInstruction(id: string, round: number, d: CutTaskData, encoding: SegmentEncoding = 'json', deadlineS = 0): Instruction {
  const t = d.task;
  let segments;
  let weights = matrix(d.weights, d.W, t.nWeights);
  let inputs = matrix(d.inputs, d.B, t.nInputs);
  if (encoding === 'qasm') {
    if (d.W !== 1 || d.B !== 1) throw new QflError('encoding', `OpenQASM segments carry constant parameters: one weights row and one inputs row, got ${d.W} and ${d.B}`);
    segments = t.segments.map((c) => ({ body: { case: 'qasm' as const, value: toQasm(c, d.weights, d.inputs) } }));
    weights = matrix(new Float64Array(0), 1, 0);
    inputs = matrix(new Float64Array(0), 1, 0);
  } else {
    segments = t.segments.map((c) => ({ body: { case: 'circuitJson' as const, value: JSON.stringify({ nQubits: c.nQubits, ops: c.ops, nWeights: c.nWeights, nInputs: c.nInputs }) } }));
  }
  return create(InstructionSchema, {
    id,
    round,
    clientId: 0,
    deadlineS,
    task: {
      case: 'cut',
      value: {
        numQubits: t.nQubits,
        segments,
        slotQubits: [...t.slotQubits],
        experiments: t.experiments.map((e) => ({
          prepare: e.prepare.map((p) => ({ qubit: p.qubit, label: p.state })),
          measure: e.measure.map((m) => ({ qubit: m.qubit, label: m.basis })),
          slots: e.slots.map((a) => SLOT_LABEL[a]),
        })),
        observables: t.observables.map(formatPauliWord),
        weights,
        inputs,
        shots: d.shots,
        seed: d.seed,
      },
    },
  });
}

const ParamJson = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('const'), value: z.number() }).strict(),
  z.object({ kind: z.literal('weight'), index: z.number().int().min(0), scale: z.number().optional() }).strict(),
  z.object({ kind: z.literal('input'), index: z.number().int().min(0), scale: z.number().optional() }).strict(),
  z.object({ kind: z.literal('inputProduct'), indices: z.tuple([z.number().int().min(0), z.number().int().min(0)]), scale: z.number().optional() }).strict(),
]);
const CircuitJson = z
  .object({
    nQubits: z.number().int().min(1).max(30),
    ops: z.array(z.object({ gate: z.enum(GATE_NAMES), wires: z.array(z.number().int().min(0)), params: z.array(ParamJson), controls: z.array(z.number().int().min(0)).optional() }).strict()).max(100_000),
    nWeights: z.number().int().min(0),
    nInputs: z.number().int().min(0),
  })
  .strict();

function decodeSegment(body: { case: 'circuitJson' | 'qasm' | undefined; value?: string }, field: string): Circuit {
  if (body.case === 'qasm') {
    try {
      return fromQasm(body.value!);
    } catch (e) {
      throw new WireError(`${field}.qasm`, (e as Error).message);
    }
  }
  if (body.case !== 'circuitJson') throw new WireError(field, 'has no circuit (circuit_json or qasm)');
  let raw: unknown;
  try {
    raw = JSON.parse(body.value!);
  } catch (e) {
    throw new WireError(`${field}.circuit_json`, `is not JSON: ${(e as Error).message}`);
  }
  const r = CircuitJson.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new WireError(`${field}.circuit_json.${issue.path.join('.')}`, issue.message);
  }
  const c = r.data;
  // Drop absent optional keys (exactOptionalPropertyTypes): the schema has checked every value.
  const param = (p: z.infer<typeof ParamJson>): Param => JSON.parse(JSON.stringify(p)) as Param;
  const ops: Operation[] = c.ops.map((op) => ({ gate: op.gate, wires: op.wires, params: op.params.map(param), ...(op.controls ? { controls: op.controls } : {}) }));
  return { nQubits: c.nQubits, prep: { kind: 'zero' }, ops, nWeights: c.nWeights, nInputs: c.nInputs };
}

/** Most weights and inputs rows one task may carry. */
export const MAX_TASK_ROWS = 100_000;

/**
 * The node's side: a CutTask back into the task record and rows. Throws a
 * WireError (bad encoding) or a QflError (bad structure or labels) naming the
 * field; the node answers with it as the task's failure.
 */
export function decodeCutTask(i: Instruction): CutTaskData {
  if (i.task.case !== 'cut') throw new WireError(`instruction ${i.id}.task`, `expected a cut task, got '${i.task.case ?? 'empty'}'`);
  const c = i.task.value;
  const where = `instruction ${i.id}.cut`;
  const segments = c.segments.map((s, k) => decodeSegment(s.body as never, `${where}.segments[${k}]`));
  const first = segments[0];
  if (!first) throw new WireError(`${where}.segments`, 'is empty');
  // QASM segments are bound: they read no weights or inputs.
  const nWeights = Math.max(...segments.map((s) => s.nWeights));
  const nInputs = Math.max(...segments.map((s) => s.nInputs));
  const w = decodeMatrix(c.weights, `${where}.weights`, nWeights, MAX_TASK_ROWS);
  const x = decodeMatrix(c.inputs, `${where}.inputs`, nInputs, MAX_TASK_ROWS);
  if (!(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= Number.MAX_SAFE_INTEGER)) throw new WireError(`${where}.seed`, `must be an integer in [0, 2^53), got ${c.seed}`);
  const observables = c.observables.map((o, k) => {
    try {
      return parsePauliWord(o, c.numQubits);
    } catch (e) {
      throw new WireError(`${where}.observables[${k}]`, (e as Error).message);
    }
  });
  const task: SubCircuitTask = {
    nQubits: c.numQubits,
    segments: segments.map((s) => ({ ...s, nWeights, nInputs })),
    slotQubits: [...c.slotQubits],
    experiments: c.experiments.map((e, k) => ({
      prepare: e.prepare.map((p) => ({ qubit: p.qubit, state: p.label as never })),
      measure: e.measure.map((m) => ({ qubit: m.qubit, basis: m.label as never })),
      slots: e.slots.map((l, j) => {
        const a = SLOT_ACTION.get(l);
        if (!a) throw new WireError(`${where}.experiments[${k}].slots[${j}]`, `'${l}' is not a gate-cut action; use one of ${[...SLOT_ACTION.keys()].join(', ')}`);
        return a;
      }),
    })),
    observables,
    nWeights,
    nInputs,
  };
  return { task, weights: w.v, W: w.rows, inputs: x.v, B: x.rows, shots: c.shots, seed: c.seed };
}

/** The node's answer: values [W, B, E, K]. */
export function cutResult(instructionId: string, round: number, values: Float64Array, shape: readonly [number, number, number, number], shots: number): Result {
  const t = encodeVector(values);
  t.shape = [...shape];
  return create(ResultSchema, { instructionId, clientId: 0, round, outcome: { case: 'cut', value: { values: t, shots } } });
}

/** The server's side: a CutResult checked against the task's shape and the range of expectation values. */
export function decodeCutResult(r: Result, expected: { readonly round: number; readonly shape: readonly [number, number, number, number]; readonly shots: number }): Float64Array | { readonly failed: string } {
  const where = `result ${r.instructionId}`;
  if (r.round !== expected.round) throw new WireError(`${where}.round`, `must be ${expected.round}, got ${r.round}`);
  const o = r.outcome;
  if (o.case === 'failure') return { failed: `node reported: ${o.value.slice(0, 500)}` };
  if (o.case !== 'cut') throw new WireError(`${where}.outcome`, `must be 'cut' (the instruction's task), got '${o.case ?? 'empty'}'`);
  const t = o.value.values;
  const shape = expected.shape;
  const n = shape.reduce((a, b) => a * b, 1);
  if (!t || t.dtype !== 'float64' || t.shape.length !== 4 || t.shape.some((d, i) => d !== shape[i]) || t.data.byteLength !== n * 8) {
    throw new WireError(`${where}.cut.values`, `must be float64 [${shape.join(', ')}], got ${t ? `${t.dtype} [${t.shape.join(', ')}] (${t.data.byteLength} bytes)` : 'nothing'}`);
  }
  if (o.value.shots !== expected.shots) throw new WireError(`${where}.cut.shots`, `must be ${expected.shots} (the task's), got ${o.value.shots}`);
  const v = new Float64Array(n);
  new Uint8Array(v.buffer).set(t.data);
  // An expectation value of a Pauli word (times +-1 signs) lies in [-1, 1]; anything else is not a measurement.
  for (let i = 0; i < n; i++) if (!(Math.abs(v[i]!) <= 1 + 1e-9)) throw new WireError(`${where}.cut.values`, `element ${i} is ${v[i]}, outside [-1, 1]`);
  return v;
}
