import { create } from '@bufbuild/protobuf';
import type { Dataset } from '../data/dataset.js';
import type { EvaluateIns, EvaluateRes, FitIns, FitRes, Metrics } from '../updates/messages.js';
import {
  FitConfigSchema,
  InstructionSchema,
  ResultSchema,
  TensorSchema,
  type Instruction,
  type Result,
  type Tensor,
} from './gen/qfl/fleet/v1/fleet_pb.js';

/**
 * Between the federation's records (fl/messages.ts) and the wire messages
 * (proto/qfl/fleet/v1/fleet.proto). Decoding checks what the bytes claim
 * (dtype, shape, length, finiteness) and throws a `WireError` naming the
 * field; the caller answers the sender with it. Float64 travels as its
 * exact bytes, so a model crosses the network bit for bit.
 */
export class WireError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'WireError';
  }
}

/** Little-endian bytes of a float64 vector (a copy; the platform is little-endian, as Node's targets are). */
export function encodeVector(v: Float64Array): Tensor {
  const data = new Uint8Array(v.byteLength);
  data.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return create(TensorSchema, { dtype: 'float64', shape: [v.length], data });
}

/** A float64 vector of exactly `length` finite numbers, or a WireError. */
export function decodeVector(t: Tensor | undefined, length: number, field: string): Float64Array {
  if (!t) throw new WireError(field, 'missing');
  if (t.dtype !== 'float64') throw new WireError(`${field}.dtype`, `must be 'float64', got '${t.dtype}'`);
  if (t.shape.length !== 1 || t.shape[0] !== length) throw new WireError(`${field}.shape`, `must be [${length}] (the model's parameter count), got [${t.shape.join(', ')}]`);
  if (t.data.byteLength !== length * 8) throw new WireError(`${field}.data`, `must hold ${length * 8} bytes for ${length} float64, got ${t.data.byteLength}`);
  // Copy into an aligned buffer (the message's bytes may sit at any offset).
  const v = new Float64Array(length);
  new Uint8Array(v.buffer).set(t.data);
  for (let i = 0; i < length; i++) {
    if (!Number.isFinite(v[i]!)) throw new WireError(`${field}.data`, `element ${i} is ${v[i]} (NaN and infinities are refused)`);
  }
  return v;
}

function checkMetrics(m: Record<string, number>, field: string): Metrics {
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new WireError(`${field}.${k}`, `must be a number, got ${v}`);
  }
  return { ...m };
}

function checkCount(n: number, field: string): number {
  if (!(Number.isInteger(n) && n >= 0 && n <= Number.MAX_SAFE_INTEGER)) throw new WireError(field, `must be an integer >= 0, got ${n}`);
  return n;
}

export function fitInstruction(id: string, ins: FitIns, deadlineS: number): Instruction {
  const c = ins.config;
  return create(InstructionSchema, {
    id,
    round: ins.round,
    clientId: ins.clientId,
    deadlineS,
    task: {
      case: 'fit',
      value: {
        params: encodeVector(ins.params),
        config: create(FitConfigSchema, { epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, proximalMu: c.proximalMu, optimizer: c.optimizer, seed: c.seed }),
      },
    },
  });
}

export function evaluateInstruction(id: string, ins: EvaluateIns, deadlineS: number): Instruction {
  return create(InstructionSchema, { id, round: ins.round, clientId: ins.clientId, deadlineS, task: { case: 'evaluate', value: { params: encodeVector(ins.params) } } });
}

/** The node's side: an instruction back into the record the client runtime takes. */
export function decodeInstruction(
  i: Instruction,
  paramCount: number,
): { readonly kind: 'fit'; readonly ins: FitIns } | { readonly kind: 'evaluate'; readonly ins: EvaluateIns } {
  const where = `instruction ${i.id}`;
  if (i.task.case === 'fit') {
    const c = i.task.value.config;
    if (!c) throw new WireError(`${where}.fit.config`, 'missing');
    if (c.optimizer !== 'adam' && c.optimizer !== 'sgd') throw new WireError(`${where}.fit.config.optimizer`, `must be 'adam' or 'sgd', got '${c.optimizer}'`);
    const params = decodeVector(i.task.value.params, paramCount, `${where}.fit.params`);
    const config = { epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, proximalMu: c.proximalMu, optimizer: c.optimizer, seed: c.seed } as const;
    return { kind: 'fit', ins: { round: i.round, clientId: i.clientId, params, config } };
  }
  if (i.task.case === 'evaluate') {
    return { kind: 'evaluate', ins: { round: i.round, clientId: i.clientId, params: decodeVector(i.task.value.params, paramCount, `${where}.evaluate.params`) } };
  }
  throw new WireError(`${where}.task`, `this node cannot run '${i.task.case ?? 'empty'}' tasks`);
}

export function fitResult(instructionId: string, r: FitRes): Result {
  return create(ResultSchema, {
    instructionId,
    clientId: r.clientId,
    round: r.round,
    outcome: { case: 'fit', value: { update: encodeVector(r.update), numExamples: r.numExamples, metrics: r.metrics } },
  });
}

export function evaluateResult(instructionId: string, r: EvaluateRes): Result {
  return create(ResultSchema, {
    instructionId,
    clientId: r.clientId,
    round: r.round,
    outcome: { case: 'evaluate', value: { loss: r.loss, numExamples: r.numExamples, metrics: r.metrics } },
  });
}

export function failureResult(instructionId: string, clientId: number, round: number, reason: string): Result {
  return create(ResultSchema, { instructionId, clientId, round, outcome: { case: 'failure', value: reason } });
}

/** The server's side: a result for the instruction it answers, checked against it. */
export function decodeResult(
  r: Result,
  expected: { readonly kind: 'fit' | 'evaluate'; readonly clientId: number; readonly round: number; readonly paramCount: number },
): FitRes | EvaluateRes | { readonly clientId: number; readonly reason: string } {
  const where = `result ${r.instructionId}`;
  if (r.clientId !== expected.clientId) throw new WireError(`${where}.client_id`, `must be ${expected.clientId}, got ${r.clientId}`);
  if (r.round !== expected.round) throw new WireError(`${where}.round`, `must be ${expected.round}, got ${r.round}`);
  const base = { clientId: r.clientId, round: r.round };
  const o = r.outcome;
  if (o.case === 'failure') return { clientId: r.clientId, reason: `client reported: ${o.value.slice(0, 500)}` };
  if (o.case !== expected.kind) throw new WireError(`${where}.outcome`, `must be '${expected.kind}' (the instruction's task), got '${o.case ?? 'empty'}'`);
  if (o.case === 'fit') {
    return {
      ...base,
      update: decodeVector(o.value.update, expected.paramCount, `${where}.fit.update`),
      numExamples: checkCount(o.value.numExamples, `${where}.fit.num_examples`),
      metrics: checkMetrics(o.value.metrics, `${where}.fit.metrics`),
    };
  }
  if (!Number.isFinite(o.value.loss)) throw new WireError(`${where}.evaluate.loss`, `must be finite, got ${o.value.loss}`);
  return {
    ...base,
    loss: o.value.loss,
    numExamples: checkCount(o.value.numExamples, `${where}.evaluate.num_examples`),
    metrics: checkMetrics(o.value.metrics, `${where}.evaluate.metrics`),
  };
}

/** A data set as two tensors: features float64 [n, ...shape] and labels int32 [n]. */
export function encodeDataset(d: Dataset): { x: Tensor; y: Tensor } {
  const x = encodeVector(d.x);
  x.shape = [d.n, ...d.shape];
  const y = create(TensorSchema, { dtype: 'int32', shape: [d.n], data: new Uint8Array(d.y.buffer.slice(d.y.byteOffset, d.y.byteOffset + d.y.byteLength)) });
  return { x, y };
}

export function decodeDataset(x: Tensor | undefined, y: Tensor | undefined, classes: number, field: string): Dataset {
  if (!x || !y) throw new WireError(field, 'missing features or labels');
  if (x.shape.length < 2) throw new WireError(`${field}.x.shape`, `must be [n, ...sample shape], got [${x.shape.join(', ')}]`);
  const [n, ...shape] = x.shape as [number, ...number[]];
  const features = shape.reduce((a, b) => a * b, 1);
  const xs = decodeVector(create(TensorSchema, { dtype: x.dtype, shape: [n * features], data: x.data }), n * features, `${field}.x`);
  if (y.dtype !== 'int32' || y.shape.length !== 1 || y.shape[0] !== n || y.data.byteLength !== 4 * n) {
    throw new WireError(`${field}.y`, `must be int32 [${n}] (one label per sample), got ${y.dtype} [${y.shape.join(', ')}]`);
  }
  const ys = new Int32Array(n);
  new Uint8Array(ys.buffer).set(y.data);
  for (let i = 0; i < n; i++) if (!(ys[i]! >= 0 && ys[i]! < classes)) throw new WireError(`${field}.y`, `label ${ys[i]} at ${i} is not in 0..${classes - 1}`);
  return { x: xs, y: ys, n, shape, classes };
}
