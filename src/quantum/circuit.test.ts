import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../util/errors.js';
import { vjp } from './adjoint.js';
import { CircuitBuilder, constant, input, validateCircuit, weight, type Circuit } from './circuit.js';
import type { GateName } from './gates.js';
import { parsePauliWord, probs, sample, Z } from './measure.js';
import { allocState, simulate } from './statevector.js';
import { angleEmbedding, amplitudeEmbedding, hardwareEfficient, saginAnsatz, stronglyEntangling, basicEntangler, iqpEmbedding } from './templates.js';
import { Rng } from '../util/random.js';
import { args, circuitOf, makeOp, run, throwsExactly } from './testing.js';

describe('builder and validation errors (exact messages)', () => {
  test('wrong wire count', () => {
    throwsExactly(() => new CircuitBuilder(2).add('CNOT', [0]), 'ops[0].wires: CNOT acts on 2 wire(s), got 1');
    throwsExactly(() => new CircuitBuilder(3).h(0).add('RX', [0, 1], [0.1]), 'ops[1].wires: RX acts on 1 wire(s), got 2');
  });

  test('wire out of range, also in controls, and non-integer wires', () => {
    throwsExactly(() => new CircuitBuilder(2).x(2), 'ops[0].wires: wire 2 is not in [0, 1]');
    throwsExactly(() => new CircuitBuilder(2).x(-1), 'ops[0].wires: wire -1 is not in [0, 1]');
    throwsExactly(() => new CircuitBuilder(2).add('X', [0], [], [5]), 'ops[0].wires: wire 5 is not in [0, 1]');
    throwsExactly(() => new CircuitBuilder(2).x(0.5), 'ops[0].wires: wire 0.5 is not in [0, 1]');
  });

  test('duplicate wires, also between wires and controls', () => {
    throwsExactly(() => new CircuitBuilder(2).cnot(1, 1), 'ops[0].wires: wires must be distinct, got [1, 1]');
    throwsExactly(() => new CircuitBuilder(3).add('CRX', [0, 1], [0.2], [0]), 'ops[0].wires: wires must be distinct, got [0, 1, 0]');
  });

  test('wrong parameter count', () => {
    throwsExactly(() => new CircuitBuilder(1).add('RX', [0]), 'ops[0].params: RX takes 1 parameter(s), got 0');
    throwsExactly(() => new CircuitBuilder(1).add('U3', [0], [1, 2]), 'ops[0].params: U3 takes 3 parameter(s), got 2');
    throwsExactly(() => new CircuitBuilder(1).add('H', [0], [1]), 'ops[0].params: H takes 0 parameter(s), got 1');
  });

  test('unknown gate', () => {
    throwsExactly(() => new CircuitBuilder(1).add('FOO' as GateName, [0]), "ops[0].gate: unknown gate 'FOO'");
    // Not fooled by names on Object.prototype.
    throwsExactly(() => new CircuitBuilder(1).add('toString' as GateName, [0]), "ops[0].gate: unknown gate 'toString'");
  });

  test('invalid parameters', () => {
    throwsExactly(() => new CircuitBuilder(1).rx(0, NaN), 'ops[0].params: invalid const parameter {"kind":"const","value":null}');
    throwsExactly(() => new CircuitBuilder(1).rx(0, weight(-1)), 'ops[0].params: invalid weight parameter {"kind":"weight","index":-1}');
    throwsExactly(() => new CircuitBuilder(1).rx(0, input(1.5)), 'ops[0].params: invalid input parameter {"kind":"input","index":1.5}');
  });

  test('qubit count', () => {
    throwsExactly(() => new CircuitBuilder(0), 'nQubits: must be an integer in [1, 30], got 0');
    throwsExactly(() => new CircuitBuilder(31), 'nQubits: must be an integer in [1, 30], got 31');
    const c: Circuit = { nQubits: 2.5, prep: { kind: 'zero' }, ops: [], nWeights: 0, nInputs: 0 };
    throwsExactly(() => validateCircuit(c), 'nQubits: must be an integer in [1, 30], got 2.5');
  });

  test('validateCircuit checks hand-made circuits op by op', () => {
    const bad: Circuit = {
      nQubits: 2,
      prep: { kind: 'zero' },
      ops: [makeOp('H', [0], []), makeOp('CZ', [1, 2], [])],
      nWeights: 0,
      nInputs: 0,
    };
    throwsExactly(() => validateCircuit(bad), 'ops[1].wires: wire 2 is not in [0, 1]');
    const unknown = { ...bad, ops: [{ gate: 'Bogus' as GateName, wires: [0], params: [] }] };
    throwsExactly(() => validateCircuit(unknown), "ops[0].gate: unknown gate 'Bogus'");
  });

  test('state preparation: too many amplitude features, prep after the first gate', () => {
    throwsExactly(
      () => amplitudeEmbedding(new CircuitBuilder(2), { features: 5 }),
      'prep.length: amplitude embedding of 5 features needs 1..4 (2^nQubits)',
    );
    throwsExactly(
      () => new CircuitBuilder(2).h(0).setPrep({ kind: 'state' }),
      'prep: state preparation must come before the first operation',
    );
  });

  test('templates that need more wires than there are', () => {
    throwsExactly(
      () => angleEmbedding(new CircuitBuilder(2), { features: 3 }),
      'features: angle embedding of 3 features needs as many wires, got 2',
    );
    throwsExactly(
      () => iqpEmbedding(new CircuitBuilder(2), { features: 3 }),
      'features: IQP embedding of 3 features needs as many wires, got 2',
    );
  });
});

describe('run-time errors (exact messages)', () => {
  const c = (() => {
    const b = new CircuitBuilder(2);
    angleEmbedding(b, { features: 2 });
    b.ry(0, weight(0)).ry(1, weight(1)).reserveInputs(3);
    return b.build();
  })();

  test('wrong inputs length', () => {
    throwsExactly(
      () => simulate({ circuit: c, weights: new Float64Array(2), inputs: new Float64Array(5), batch: 2 }),
      'inputs: expected batch (2) x nInputs (3) = 6 values, got 5',
    );
  });

  test('too few weights; bad batch', () => {
    throwsExactly(
      () => simulate({ circuit: c, weights: new Float64Array(1), inputs: new Float64Array(3), batch: 1 }),
      'weights: circuit reads 2 weights, got 1',
    );
    throwsExactly(
      () => simulate({ circuit: c, weights: new Float64Array(2), inputs: new Float64Array(0), batch: 0 }),
      'batch: must be a positive integer, got 0',
    );
  });

  test('amplitude embedding of an all-zero input (names the sample)', () => {
    const b = new CircuitBuilder(2);
    amplitudeEmbedding(b, { features: 4 });
    const amp = b.build();
    throwsExactly(
      () => run(amp, { inputs: [1, 0, 0, 0, 0, 0, 0, 0], batch: 2 }),
      'inputs[1]: amplitude embedding needs a finite, non-zero feature vector (its norm is 0)',
    );
    throwsExactly(
      () => run(amp, { inputs: [1, NaN, 0, 0] }),
      'inputs[0]: amplitude embedding needs a finite, non-zero feature vector (its norm is NaN)',
    );
  });

  test('a prepared state of norm 0', () => {
    const s = circuitOf(1, [], { kind: 'state' });
    throwsExactly(() => run(s, { inputs: [0, 0, 0, 0] }), 'inputs[0]: a prepared state needs finite, non-zero amplitudes (its norm is 0)');
  });

  test('a state batch too large to allocate', () => {
    throwsExactly(() => allocState(30, 4), 'batch: 4 states of 30 qubits need 64 GiB; reduce the batch or qubits');
  });

  test('gradOutputs of the wrong length', () => {
    throwsExactly(
      () => vjp(args(c, { weights: [0, 0], inputs: [0, 0, 0] }), [Z(0), Z(1)], new Float64Array(3)),
      'gradOutputs: expected batch (1) x observables (2) values, got 3',
    );
  });

  test('bad Pauli words', () => {
    throwsExactly(() => parsePauliWord('  '), `observable '  ': is empty; write a Pauli word such as "Z0" or "X0 Z2 Y3"`);
    throwsExactly(() => parsePauliWord('X0 Q1'), "observable 'X0 Q1': cannot read 'Q1'; expected terms like X0, Y1, Z2");
    throwsExactly(() => parsePauliWord('Z'), "observable 'Z': cannot read 'Z'; expected terms like X0, Y1, Z2");
    throwsExactly(() => parsePauliWord('X0 Y0'), "observable 'X0 Y0': wire 0 appears twice");
    throwsExactly(() => parsePauliWord('Z3', 2), "observable 'Z3': wire 3 is not in [0, 1]");
    const s = run(circuitOf(2, []));
    throwsExactly(() => probs(s, [0, 2]), 'wires: wire 2 is not in [0, 1]');
    throwsExactly(() => probs(s, [1, 1]), 'wires: must be distinct');
    throwsExactly(() => sample(s, 0, new Rng(1)), 'shots: must be a positive integer, got 0');
  });
});

describe('builder bookkeeping', () => {
  test('weights and inputs grow to cover every index; newWeight hands out the next one', () => {
    const b = new CircuitBuilder(3);
    b.rx(0, weight(4)).ry(1, input(2)).add('RZZ', [0, 2], [{ kind: 'inputProduct', indices: [0, 5] }]);
    assert.equal(b.nWeights, 5);
    assert.equal(b.nInputs, 6);
    assert.deepEqual(b.newWeight(), { kind: 'weight', index: 5 });
    assert.equal(b.build().nWeights, 6, 'an unused newWeight() still counts');
  });

  test('the state prep reserves 2 * 2^n inputs; constants are wrapped', () => {
    const b = new CircuitBuilder(2).setPrep({ kind: 'state' });
    b.rx(0, 0.5);
    const c = b.build();
    assert.equal(c.nInputs, 8);
    assert.deepEqual(c.ops[0]!.params, [constant(0.5)]);
    assert.equal(c.ops[0]!.controls, undefined, 'no empty controls field');
  });

  test('template weight counts: 2nL, 3nL, nL, 4nL', () => {
    const count = (f: (b: CircuitBuilder) => void) => {
      const b = new CircuitBuilder(3);
      f(b);
      return b.build().nWeights;
    };
    assert.equal(count((b) => hardwareEfficient(b, { layers: 2 })), 12);
    assert.equal(count((b) => stronglyEntangling(b, { layers: 2 })), 18);
    assert.equal(count((b) => basicEntangler(b, { layers: 2 })), 6);
    assert.equal(count((b) => saginAnsatz(b, { layers: 2 })), 24);
  });
});

describe('hand-made circuits whose parameters read past nWeights / nInputs', () => {
  // validateCircuit is documented as the check for circuits that did not come
  // from the builder, but it does not compare parameter indices with
  // nWeights / nInputs, so such a circuit simulates to NaN without an error.
  const c: Circuit = {
    nQubits: 1,
    prep: { kind: 'zero' },
    ops: [makeOp('RX', [0], [weight(3)]), makeOp('RY', [0], [input(2)])],
    nWeights: 1,
    nInputs: 1,
  };

  test('validateCircuit rejects a weight index >= nWeights and an input index >= nInputs (fails until fixed)', () => {
    assert.throws(
      () => validateCircuit(c),
      (e: unknown) => e instanceof QflError && e.field === 'ops[0].params' && /weight/.test(e.detail),
    );
    const inputsOnly: Circuit = { ...c, ops: [c.ops[1]!] };
    assert.throws(
      () => validateCircuit(inputsOnly),
      (e: unknown) => e instanceof QflError && e.field === 'ops[0].params' && /input/.test(e.detail),
    );
  });
});
