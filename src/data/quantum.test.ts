import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CircuitBuilder } from '../quantum/circuit.js';
import { meyerWallach, stabilizerRenyiEntropy } from '../quantum/entanglement.js';
import { simulate } from '../quantum/statevector.js';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { classCounts } from './dataset.js';
import {
  entanglementDataset,
  magicDataset,
  randomCliffordTCircuit,
  randomEntanglingCircuit,
  statesOf,
  type QuantumDataset,
} from './quantum.js';

const EXACT = 1e-12;

const isQfl = (field: string, pattern?: RegExp) => (e: unknown) =>
  e instanceof QflError && e.field === field && (pattern === undefined || pattern.test(e.message));

/** Shape, balance and normalization every generated data set must show. */
function assertWellFormed(q: QuantumDataset, samples: number): void {
  const { dataset: ds, nQubits } = q;
  const dim = 1 << nQubits;
  assert.deepEqual(ds.shape, [2 * dim]);
  assert.equal(ds.n, samples);
  assert.equal(ds.classes, 2);
  assert.deepEqual([...classCounts(ds)], [samples / 2, samples / 2], 'classes balanced exactly');
  assert.equal(q.measure.length, samples);
  assert.equal(q.depths.length, samples);
  assert.ok(q.attempts >= samples);
  for (let i = 0; i < ds.n; i++) {
    let norm2 = 0;
    for (let k = 0; k < 2 * dim; k++) norm2 += ds.x[i * 2 * dim + k]! ** 2;
    assert.ok(Math.abs(norm2 - 1) < EXACT, `row ${i} has norm^2 ${norm2}`);
  }
}

const sameData = (a: QuantumDataset, b: QuantumDataset): void => {
  assert.deepEqual(a.dataset.x, b.dataset.x);
  assert.deepEqual(a.dataset.y, b.dataset.y);
  assert.deepEqual(a.measure, b.measure);
  assert.deepEqual(a.depths, b.depths);
};

describe('entanglementDataset', () => {
  const base = { nQubits: 5, samples: 60, seed: 11 } as const;
  const q = entanglementDataset(base);

  test('rows are normalized states in the state prep layout; classes balanced', () => {
    assertWellFormed(q, 60);
    assert.equal(q.measureName, 'meyer-wallach');
    for (const d of q.depths) assert.ok(d >= 1 && d <= 5, `depth ${d} in the default range [1, nQubits]`);
  });

  test('deterministic with a seed; another seed gives other states', () => {
    sameData(entanglementDataset(base), q);
    assert.notDeepEqual(entanglementDataset({ ...base, seed: 12 }).dataset.x, q.dataset.x);
  });

  test('labels agree with the Meyer-Wallach Q recomputed from the rows', () => {
    const recomputed = meyerWallach(statesOf(q.dataset));
    for (let i = 0; i < q.dataset.n; i++) {
      assert.ok(Math.abs(recomputed[i]! - q.measure[i]!) < EXACT, `row ${i}`);
      assert.equal(q.dataset.y[i], q.measure[i]! > q.threshold ? 1 : 0, `row ${i}: Q ${q.measure[i]} vs ${q.threshold}`);
    }
  });

  test('default threshold is the pilot median: inside (0, 1), and passing it explicitly changes nothing', () => {
    assert.ok(q.threshold > 0.1 && q.threshold < 0.9, `threshold ${q.threshold}`);
    sameData(entanglementDataset({ ...base, threshold: q.threshold }), q);
    const other = entanglementDataset({ ...base, pilot: 31 });
    assert.notEqual(other.threshold, q.threshold, 'another pilot, another median');
  });

  test('an explicit threshold and margin: label 1 iff Q > t, nothing within the margin', () => {
    const t = 0.3;
    const r = entanglementDataset({ ...base, threshold: t, margin: 0.05 });
    assertWellFormed(r, 60);
    assert.equal(r.threshold, t);
    for (let i = 0; i < r.dataset.n; i++) {
      const m = r.measure[i]!;
      assert.equal(r.dataset.y[i], m > t ? 1 : 0);
      assert.ok(Math.abs(m - t) > 0.05, `Q ${m} lies outside the margin`);
    }
  });

  test('fixed depth and two qubits work', () => {
    const r = entanglementDataset({ nQubits: 2, samples: 20, seed: 3, depth: 2 });
    assertWellFormed(r, 20);
    assert.ok(r.depths.every((d) => d === 2));
  });

  test('a model reads the rows through setPrep({ kind: "state" })', () => {
    const n = q.nQubits;
    const b = new CircuitBuilder(n).setPrep({ kind: 'state' });
    for (let w = 0; w < n; w++) b.ry(w, 0.3 * (w + 1)).rz(w, 0.7);
    const circuit = b.build();
    assert.equal(circuit.nInputs, q.dataset.shape[0]);
    const s = simulate({ circuit, inputs: q.dataset.x, weights: new Float64Array(0), batch: q.dataset.n });
    // Local rotations keep Q: the model sees the very states that were labelled.
    const after = meyerWallach(s);
    for (let i = 0; i < q.dataset.n; i++) assert.ok(Math.abs(after[i]! - q.measure[i]!) < 1e-10);
  });

  test('bad options name the field', () => {
    assert.throws(() => entanglementDataset({ samples: 7, seed: 1 }), isQfl('samples', /even/));
    assert.throws(() => entanglementDataset({ samples: 10, seed: 1, nQubits: 1 }), isQfl('nQubits'));
    assert.throws(() => entanglementDataset({ samples: 10, seed: 1, threshold: 1 }), isQfl('threshold', /\[0, 1\)/));
    assert.throws(() => entanglementDataset({ samples: 10, seed: 1, depth: [3, 2] }), isQfl('depth[1]'));
    assert.throws(() => entanglementDataset({ samples: 10, seed: Number.NaN }), isQfl('seed'));
    assert.throws(() => entanglementDataset({ samples: 10, seed: 1, margin: -1 }), isQfl('margin'));
    // Depth-1 circuits on 3 qubits never reach Q = 0.99: give up with advice.
    assert.throws(
      () => entanglementDataset({ nQubits: 3, samples: 10, seed: 1, depth: 1, threshold: 0.99, maxAttempts: 200 }),
      isQfl('threshold', /after 200 states .* move the threshold/),
    );
  });
});

describe('magicDataset', () => {
  const base = { nQubits: 5, samples: 40, seed: 5 } as const;
  const q = magicDataset(base);

  test('rows are normalized states; classes balanced', () => {
    assertWellFormed(q, 40);
    assert.equal(q.measureName, 'stabilizer-renyi-2');
    assert.equal(q.threshold, 0.1);
  });

  test('deterministic with a seed', () => {
    const again = magicDataset(base);
    sameData(again, q);
    assert.deepEqual(again.tCounts, q.tCounts);
    assert.notDeepEqual(magicDataset({ ...base, seed: 6 }).dataset.x, q.dataset.x);
  });

  test('class 0 are stabilizer states, class 1 have M_2 above the margin, as recomputed from the rows', () => {
    const recomputed = stabilizerRenyiEntropy(statesOf(q.dataset));
    for (let i = 0; i < q.dataset.n; i++) {
      const m = recomputed[i]!;
      assert.ok(Math.abs(m - q.measure[i]!) < 1e-10, `row ${i}`);
      if (q.dataset.y[i] === 0) {
        assert.ok(m < 1e-8, `stabilizer row ${i} has M_2 ${m}`);
        assert.equal(q.tCounts[i], 0);
      } else {
        assert.ok(m > q.threshold, `magic row ${i} has M_2 ${m}`);
        assert.ok(q.tCounts[i]! >= 1 && q.tCounts[i]! <= 3);
      }
    }
  });

  test('margin and T-gate counts are honoured', () => {
    const r = magicDataset({ nQubits: 3, samples: 20, seed: 2, tGates: [2, 4], depth: [2, 3], margin: 0.5 });
    assertWellFormed(r, 20);
    for (let i = 0; i < r.dataset.n; i++) {
      assert.ok(r.depths[i]! >= 2 && r.depths[i]! <= 3);
      if (r.dataset.y[i] === 1) {
        assert.ok(r.measure[i]! > 0.5);
        assert.ok(r.tCounts[i]! >= 2 && r.tCounts[i]! <= 4);
      }
    }
    assertWellFormed(magicDataset({ nQubits: 1, samples: 10, seed: 1 }), 10);
  });

  test('bad options name the field', () => {
    assert.throws(() => magicDataset({ samples: 0, seed: 1 }), isQfl('samples'));
    assert.throws(() => magicDataset({ samples: 10, seed: 1, nQubits: 11 }), isQfl('nQubits', /\[1, 10\]/));
    assert.throws(() => magicDataset({ samples: 10, seed: 1, tGates: 0 }), isQfl('tGates'));
    // One T gate on 2 qubits never reaches M_2 = 3.
    assert.throws(
      () => magicDataset({ nQubits: 2, samples: 4, seed: 1, tGates: 1, margin: 3, maxAttempts: 50 }),
      isQfl('margin', /after 50 states/),
    );
  });
});

describe('circuit generators', () => {
  test('random Clifford circuits without T gates make stabilizer states', () => {
    const rng = new Rng(8);
    for (let t = 0; t < 10; t++) {
      const c = randomCliffordTCircuit(4, 1 + (t % 4), 0, rng);
      assert.ok(c.ops.every((op) => op.gate !== 'T'));
      const s = simulate({ circuit: c, inputs: new Float64Array(0), weights: new Float64Array(0), batch: 1 });
      assert.ok(stabilizerRenyiEntropy(s)[0]! < 1e-10);
    }
    const withT = randomCliffordTCircuit(4, 2, 3, rng);
    assert.equal(withT.ops.filter((op) => op.gate === 'T').length, 3);
    assert.throws(() => randomCliffordTCircuit(2, 1, 3, rng), isQfl('tGates'));
  });

  test('random entangling circuits use only rotations, CNOT and CZ, depth layers deep', () => {
    const c = randomEntanglingCircuit(4, 3, new Rng(1));
    assert.ok(c.ops.every((op) => ['Rot', 'CNOT', 'CZ'].includes(op.gate)));
    assert.equal(c.ops.filter((op) => op.gate === 'Rot').length, 4 * 4, 'a rotation layer per depth plus the last');
  });

  test('statesOf refuses rows that are not prepared states', () => {
    const ds = { x: new Float64Array(6), y: new Int32Array(2), n: 2, shape: [3], classes: 2 };
    assert.throws(() => statesOf(ds), isQfl('dataset.shape'));
  });
});
