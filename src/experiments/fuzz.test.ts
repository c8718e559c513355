import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import test from 'node:test';
import { create } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { parseCheckpoint } from '../fl/checkpoint.js';
import { parseQasm } from '../quantum/qasm.js';
import { decodeResult, WireError } from '../transport/codec.js';
import { ResultSchema, TensorSchema } from '../transport/gen/qfl/fleet/v1/fleet_pb.js';
import { checkResult } from '../transport/plausibility.js';
import { QflError } from '../util/errors.js';
import { RunConfigSchema } from './run-schema.js';
import { validate } from './validate.js';

/**
 * Fuzzing the inputs a process takes from outside (config files, QASM
 * text, Fleet messages, checkpoint files): whatever comes in, the answer is
 * a value or the project's own error naming the field, never a crash of
 * another kind. Fixed seed and bounded runs, so CI sees the same cases.
 */
const RUNS = { seed: 17, numRuns: 300 } as const;

/** Runs `f`; only the named error types may escape. */
function onlyClearErrors(f: () => unknown, ...allowed: (new (...a: never[]) => Error)[]): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (allowed.some((k) => e instanceof k)) return true;
    throw e;
  }
}

const VALID_QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\ngate g(t) a, b { rz(t/2) a; cx a, b; }\nh q[0];\ng(pi*0.25) q[0], q[1];\nu3(0.1,-0.2,(0.3+pi)^2) q[1];\nmeasure q -> c;\n';

test('QASM text: any string, and any mutation of a valid program, parses or is refused clearly', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => onlyClearErrors(() => parseQasm(s), QflError)), RUNS);
  const mutated = fc.tuple(fc.nat(VALID_QASM.length), fc.nat(40), fc.string({ maxLength: 20, unit: fc.constantFrom(...'()[];,{}+-*/^ q0123456789pi\n'.split('')) }));
  fc.assert(
    fc.property(mutated, ([at, cut, insert]) => onlyClearErrors(() => parseQasm(VALID_QASM.slice(0, at) + insert + VALID_QASM.slice(at + cut)), QflError)),
    RUNS,
  );
});

test('configs: any JSON value, and valid configs with one field replaced, validate or are refused clearly', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => onlyClearErrors(() => validate(RunConfigSchema, v), QflError)), RUNS);
  const base = { data: { name: 'entanglement', qubits: 3 }, model: { kind: 'qstate', layers: 1 }, federation: { clients: 2, rounds: 1 }, local: { epochs: 1, batch_size: 4, lr: 0.1 } };
  const keys = ['name', 'seed', 'data', 'model', 'federation', 'local', 'strategy', 'runtime', 'sweep', 'pipeline', 'attacks'];
  const odd = fc.oneof(fc.jsonValue(), fc.constantFrom(Infinity, -1, 1e308, 2 ** 53, '', 'x'.repeat(300)));
  fc.assert(fc.property(fc.constantFrom(...keys), odd, (k, v) => onlyClearErrors(() => validate(RunConfigSchema, { ...base, [k]: v }), QflError)), RUNS);
});

test('Fleet results: random messages decode or are refused with a WireError; plausibility never throws', () => {
  const tensor = fc.record({
    dtype: fc.constantFrom('float64', 'float32', ''),
    shape: fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 3 }),
    data: fc.uint8Array({ maxLength: 64 }),
  });
  const metrics = fc.dictionary(fc.string({ maxLength: 8 }), fc.double());
  const outcome = fc.oneof(
    fc.record({ case: fc.constant('fit' as const), value: fc.record({ update: tensor, numExamples: fc.double(), metrics }) }),
    fc.record({ case: fc.constant('evaluate' as const), value: fc.record({ loss: fc.double(), numExamples: fc.double(), metrics }) }),
    fc.record({ case: fc.constant('failure' as const), value: fc.string({ maxLength: 600 }) }),
  );
  const message = fc.record({ clientId: fc.integer({ min: -1, max: 3 }), round: fc.integer({ min: 0, max: 2 }), outcome });
  fc.assert(
    fc.property(message, fc.constantFrom('fit' as const, 'evaluate' as const), (m, kind) => {
      const value = m.outcome.case === 'fit' ? { ...m.outcome.value, update: create(TensorSchema, m.outcome.value.update) } : m.outcome.value;
      const r = create(ResultSchema, { instructionId: 'i', clientId: m.clientId, round: m.round, outcome: { case: m.outcome.case, value } as never });
      let decoded: ReturnType<typeof decodeResult> | undefined;
      onlyClearErrors(() => (decoded = decodeResult(r, { kind, clientId: 1, round: 1, paramCount: 2 })), WireError);
      if (decoded && !('reason' in decoded)) {
        const why = checkResult(kind, decoded, { expectedExamples: () => 5 });
        assert.ok(why === undefined || typeof why === 'string');
      }
      return true;
    }),
    RUNS,
  );
});

test('checkpoint files: any text, and any byte changed in a valid one, load or are refused clearly', () => {
  const body = JSON.stringify({ version: 1, round: 2, params: Buffer.from(Float64Array.of(0.5, -1).buffer).toString('base64'), strategyState: { strategy: {} }, rngState: [1, 2, 3, 4], elapsedSeconds: 1 });
  const valid = `${body.slice(0, -1)},"sha256":"${createHash('sha256').update(body).digest('hex')}"}`;
  assert.equal(parseCheckpoint(valid, 'c.json').round, 2);
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => onlyClearErrors(() => parseCheckpoint(s, 'c.json'), QflError)), RUNS);
  fc.assert(
    fc.property(fc.nat(valid.length - 1), fc.integer({ min: 32, max: 126 }), (at, code) => {
      const text = valid.slice(0, at) + String.fromCharCode(code) + valid.slice(at + 1);
      let ok = false;
      onlyClearErrors(() => {
        parseCheckpoint(text, 'c.json');
        ok = true;
      }, QflError);
      // A changed byte loads only if it changed nothing that counts (the same character, or JSON whitespace).
      if (ok) assert.ok(text === valid || JSON.stringify(JSON.parse(text)) === JSON.stringify(JSON.parse(valid)), `loaded a changed checkpoint: ${text}`);
      return true;
    }),
    RUNS,
  );
});
