import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { Rng } from '../util/random.js';
import { constant, type Operation } from './circuit.js';
import {
  accumulatePauli,
  adjointStart,
  bitstring,
  expval,
  expvalShots,
  formatPauliWord,
  parseObservables,
  parsePauliWord,
  probs,
  sample,
  type Pauli,
  type PauliWord,
} from './measure.js';
import { allocState, type StateBatch } from './statevector.js';
import {
  TOL,
  assertClose,
  circuitOf,
  cmul,
  cx,
  inner,
  makeOp,
  matVec,
  pauliMatrix,
  randomState,
  run,
  throwsExactly,
  type C,
} from './testing.js';

/** A state batch holding the given states. */
function batchOf(states: readonly (readonly C[])[]): StateBatch {
  const dim = states[0]!.length;
  const s = allocState(Math.log2(dim), states.length);
  states.forEach((v, b) => v.forEach((z, i) => ((s.re[b * dim + i] = z[0]), (s.im[b * dim + i] = z[1]))));
  return s;
}

/** A random Pauli word on n qubits (possibly the identity). */
const wordArb = (n: number): fc.Arbitrary<PauliWord> =>
  fc
    .array(fc.constantFrom<Pauli | 'I'>('I', 'X', 'Y', 'Z'), { minLength: n, maxLength: n })
    .map((ps) => ({ terms: ps.flatMap((pauli, wire) => (pauli === 'I' ? [] : [{ wire, pauli }])) }));

const dense = (v: readonly C[], word: PauliWord, n: number): number => inner(v, matVec(pauliMatrix(word, n), v))[0];

describe('Pauli words', () => {
  test('parsing: spaces optional, parentheses, lowercase, identity', () => {
    assert.deepEqual(parsePauliWord('X0 Z2 Y3'), {
      terms: [{ wire: 0, pauli: 'X' }, { wire: 2, pauli: 'Z' }, { wire: 3, pauli: 'Y' }],
    });
    assert.deepEqual(parsePauliWord('X0Z2'), parsePauliWord('X0 Z2'));
    assert.deepEqual(parsePauliWord(' Z(1) '), { terms: [{ wire: 1, pauli: 'Z' }] });
    assert.deepEqual(parsePauliWord('y1x0'), { terms: [{ wire: 1, pauli: 'Y' }, { wire: 0, pauli: 'X' }] });
    assert.deepEqual(parsePauliWord('I'), { terms: [] });
    assert.deepEqual(parsePauliWord('I0 Z1'), { terms: [{ wire: 1, pauli: 'Z' }] });
    assert.deepEqual(parseObservables('Z0,X1 Z2', 3).map(formatPauliWord), ['Z0', 'X1 Z2']);
    assert.equal(formatPauliWord({ terms: [] }), 'I');
    assert.equal(bitstring(5, 4), '0101');
  });
});

describe('Pauli word wires must be distinct whatever the order', () => {
  // Fails until fixed: 'X0 I0' is rejected but 'I0 X0' is accepted, because the
  // duplicate check only looks at the non-identity terms collected so far.
  test("'I0 X0' is rejected like 'X0 I0'", () => {
    throwsExactly(() => parsePauliWord('X0 I0'), "observable 'X0 I0': wire 0 appears twice");
    throwsExactly(() => parsePauliWord('I0 X0'), "observable 'I0 X0': wire 0 appears twice");
  });
});

describe('expval', () => {
  test('equals <psi|P|psi> from dense matrices (random states and words, n <= 4)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }).chain((n) =>
          fc.record({ n: fc.constant(n), words: fc.array(wordArb(n), { minLength: 1, maxLength: 4 }), seed: fc.nat() }),
        ),
        ({ n, words, seed }) => {
          const rng = new Rng(seed);
          const states = [randomState(rng, n), randomState(rng, n)];
          const out = expval(batchOf(states), words);
          // Layout: out[b * K + k].
          const expected = states.flatMap((v) => words.map((w) => dense(v, w, n)));
          assertClose(out, expected, TOL.exact, 'expval');
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  test('hand-worked values: Bell state, |+i>, and wire order', () => {
    const bell = run(circuitOf(2, [makeOp('H', [0], []), makeOp('CNOT', [0, 1], [])]));
    const words = ['Z0', 'Z0 Z1', 'X0 X1', 'Y0 Y1', 'X0 Y1', 'I'].map((w) => parsePauliWord(w));
    assertClose(expval(bell, words), [0, 1, 1, -1, 0, 1], TOL.exact, 'Bell');
    const plusI = run(circuitOf(2, [makeOp('H', [1], []), makeOp('S', [1], [])]));
    assertClose(expval(plusI, ['Y1', 'Y0', 'X1', 'Z0'].map((w) => parsePauliWord(w))), [1, 0, 0, 1], TOL.exact, '|0>|+i>');
    const one = run(circuitOf(3, [makeOp('X', [0], [])]));
    assertClose(expval(one, ['Z0', 'Z1', 'Z2'].map((w) => parsePauliWord(w))), [-1, 1, 1], TOL.exact, '|100>');
  });

  test('accumulatePauli adds coef_b * P psi_b into the output (adjoint start vector)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }).chain((n) => fc.record({ n: fc.constant(n), w: wordArb(n), seed: fc.nat() })), ({ n, w, seed }) => {
        const rng = new Rng(seed);
        const states = [randomState(rng, n), randomState(rng, n), randomState(rng, n)];
        const s = batchOf(states);
        // coef is read at coef[b * stride + offset]; stride 2, offset 1.
        const coef = Float64Array.from({ length: 6 }, () => rng.normal());
        const start = states.map(() => randomState(rng, n));
        const out = batchOf(start);
        accumulatePauli(s, w, coef, 2, 1, out.re, out.im);
        const P = pauliMatrix(w, n);
        const dim = 1 << n;
        states.forEach((v, b) => {
          const pv = matVec(P, v);
          const expected = start[b]!.flatMap((z, i) => [z[0] + coef[b * 2 + 1]! * pv[i]![0], z[1] + coef[b * 2 + 1]! * pv[i]![1]]);
          const got = Array.from({ length: dim }, (_, i) => [out.re[b * dim + i]!, out.im[b * dim + i]!]).flat();
          assertClose(got, expected, TOL.exact, `sample ${b}`);
        });
      }),
      { numRuns: 100, seed: 8 },
    );
  });
});

describe('probs', () => {
  const rng = new Rng(31);
  const n = 4;
  const states = [randomState(rng, n), randomState(rng, n)];
  const s = batchOf(states);
  /** Brute-force marginal of `wires` (first listed wire is the most significant bit). */
  const marginal = (v: readonly C[], wires: readonly number[]): number[] => {
    const out = new Array<number>(1 << wires.length).fill(0);
    v.forEach((z, i) => {
      const idx = wires.reduce((acc, w) => (acc << 1) | ((i >> (n - 1 - w)) & 1), 0);
      out[idx]! += z[0] ** 2 + z[1] ** 2;
    });
    return out;
  };

  for (const wires of [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0], [0, 2], [3], [1, 3, 0]]) {
    test(`wires [${wires.join(', ')}] give the marginal in that order`, () => {
      const p = probs(s, wires);
      assert.equal(p.length, 2 << wires.length);
      assertClose(p, states.flatMap((v) => marginal(v, wires)), TOL.exact, 'probs');
      for (let b = 0; b < 2; b++) {
        const row = p.subarray(b << wires.length, (b + 1) << wires.length);
        assert.ok(Math.abs(row.reduce((a, x) => a + x, 0) - 1) < TOL.exact, 'sums to 1');
      }
    });
  }

  test('default wires are all wires in order; [2, 0] is [0, 2] with the index bits swapped', () => {
    assertClose(probs(s), probs(s, [0, 1, 2, 3]), 0, 'default');
    const a = probs(s, [0, 2]);
    const b = probs(s, [2, 0]);
    for (const k of [0, 1]) for (const idx of [0, 1, 2, 3]) {
      const swapped = ((idx & 1) << 1) | (idx >> 1);
      assert.ok(Math.abs(a[k * 4 + idx]! - b[k * 4 + swapped]!) < TOL.exact);
    }
  });

  test('a hand-worked marginal: RY(theta) on wire 1 of |000>', () => {
    const t = 1.2;
    const st = run(circuitOf(3, [makeOp('RY', [1], [constant(t)])]));
    assertClose(probs(st, [1]), [Math.cos(t / 2) ** 2, Math.sin(t / 2) ** 2], TOL.exact, 'wire 1');
    assertClose(probs(st, [0, 1]), [Math.cos(t / 2) ** 2, Math.sin(t / 2) ** 2, 0, 0], TOL.exact, 'wires 0, 1');
    assertClose(probs(st, [1, 0]), [Math.cos(t / 2) ** 2, 0, Math.sin(t / 2) ** 2, 0], TOL.exact, 'wires 1, 0');
  });
});

describe('sample', () => {
  const rng = new Rng(41);
  const s3 = batchOf([randomState(rng, 3)]);

  test('is deterministic for a seed and differs across seeds', () => {
    const a = sample(s3, 500, new Rng(5));
    const b = sample(s3, 500, new Rng(5));
    const c = sample(s3, 500, new Rng(6));
    assert.deepEqual([...a[0]!.entries()].sort(), [...b[0]!.entries()].sort());
    assert.notDeepEqual([...a[0]!.entries()].sort(), [...c[0]!.entries()].sort());
  });

  test('frequencies approach probs: chi-square below the 99.99% quantile (7 dof)', () => {
    const shots = 20000;
    const p = probs(s3);
    const [counts] = sample(s3, shots, new Rng(2024));
    let total = 0;
    let chi2 = 0;
    for (let i = 0; i < 8; i++) {
      const o = counts!.get(i) ?? 0;
      total += o;
      chi2 += (o - shots * p[i]!) ** 2 / (shots * p[i]!);
    }
    assert.equal(total, shots);
    assert.ok(chi2 < 29.9, `chi-square ${chi2} >= 29.9`);
  });

  test('outcomes of probability zero never occur; subsets of wires index by their order', () => {
    const ghz = run(circuitOf(3, [makeOp('H', [0], []), makeOp('CNOT', [0, 1], []), makeOp('CNOT', [1, 2], [])]));
    const [all] = sample(ghz, 2000, new Rng(1));
    assert.deepEqual([...all!.keys()].sort((x, y) => x - y), [0, 7]);
    // |0> on wire 0 and |1> on wire 2: outcome index of wires [2, 0] is 0b10 = 2.
    const st = run(circuitOf(3, [makeOp('X', [2], [])]));
    assert.deepEqual([...sample(st, 50, new Rng(1), [2, 0])[0]!.entries()], [[2, 50]]);
    assert.deepEqual([...sample(st, 50, new Rng(1), [0, 2])[0]!.entries()], [[1, 50]]);
  });

  test('samples each batch member from its own distribution', () => {
    const st = run(circuitOf(1, [makeOp('RX', [0], [{ kind: 'input', index: 0 }])], undefined), {
      inputs: [0, Math.PI],
      batch: 2,
    });
    const [a, b] = sample(st, 100, new Rng(3));
    assert.deepEqual([...a!.entries()], [[0, 100]]);
    assert.deepEqual([...b!.entries()], [[1, 100]]);
  });
});

describe('expvalShots', () => {
  test('is exact for the identity and for basis states, deterministic for a seed', () => {
    const st = run(circuitOf(2, [makeOp('X', [1], [])]));
    const words = ['I', 'Z0', 'Z1', 'Z0 Z1'].map((w) => parsePauliWord(w));
    assertClose(expvalShots(st, words, 10, new Rng(1)), [1, 1, -1, -1], 0, 'exact');
    const r = batchOf([randomState(new Rng(9), 2)]);
    assertClose(expvalShots(r, words, 100, new Rng(4)), expvalShots(r, words, 100, new Rng(4)), 0, 'deterministic');
  });

  test('estimates X, Y, Z and multi-qubit words within 5 sigma (20000 shots)', () => {
    const rng = new Rng(12);
    const states = [randomState(rng, 3), randomState(rng, 3)];
    const s = batchOf(states);
    const words = ['X0', 'Y1', 'Z2', 'X0 Y1', 'Y0 Z1 X2', 'Y0 Y2'].map((w) => parsePauliWord(w));
    const shots = 20000;
    const est = expvalShots(s, words, shots, new Rng(13));
    const exact = expval(s, words);
    est.forEach((e, i) => {
      const sigma = Math.sqrt((1 - exact[i]! ** 2) / shots);
      assert.ok(Math.abs(e - exact[i]!) <= 5 * sigma + 1e-12, `word ${i % words.length}: ${e} vs ${exact[i]} (sigma ${sigma})`);
    });
  });

  test('the error shrinks like 1/sqrt(shots)', () => {
    // 400 identical states in one batch give 400 independent estimates.
    const B = 400;
    const theta = 1.1;
    const ops: Operation[] = [makeOp('RX', [0], [constant(theta)]), makeOp('RY', [1], [constant(-0.7)])];
    const c = circuitOf(2, ops);
    const s = run(c, { batch: B });
    const words = [parsePauliWord('Y0'), parsePauliWord('Z1')];
    const exact = [-Math.sin(theta), Math.cos(-0.7)];
    const rms = (shots: number, k: number) => {
      const est = expvalShots(s, words, shots, new Rng(shots));
      let acc = 0;
      for (let b = 0; b < B; b++) acc += (est[b * 2 + k]! - exact[k]!) ** 2;
      return Math.sqrt(acc / B);
    };
    for (const k of [0, 1]) {
      const sd = (shots: number) => Math.sqrt((1 - exact[k]! ** 2) / shots);
      const r100 = rms(100, k);
      const r1600 = rms(1600, k);
      // Relative standard error of an RMS over 400 draws is about 3.5%; allow 25%.
      assert.ok(Math.abs(r100 / sd(100) - 1) < 0.25, `rms at 100 shots ${r100} vs ${sd(100)}`);
      assert.ok(Math.abs(r1600 / sd(1600) - 1) < 0.25, `rms at 1600 shots ${r1600} vs ${sd(1600)}`);
      assert.ok(r100 / r1600 > 3 && r100 / r1600 < 5.3, `ratio ${r100 / r1600} should be about 4`);
    }
  });
});

describe('helpers agree with each other', () => {
  test('pauliMatrix(Y) is [[0, -i], [i, 0]]; cmul of i*i is -1', () => {
    const y = pauliMatrix({ terms: [{ wire: 0, pauli: 'Y' }] }, 1);
    assert.deepEqual(y[0]![1], cx(0, -1));
    assert.deepEqual(y[1]![0], cx(0, 1));
    assert.deepEqual(cmul(cx(0, 1), cx(0, 1)), cx(-1, 0));
  });
});

describe('adjointStart', () => {
  test('equals the sum of accumulatePauli over the words: single Z (one wire twice), identity, Z strings, X and Y words', () => {
    const rng = new Rng(17);
    const n = 4;
    const batch = 3;
    const state = allocState(n, batch);
    for (let i = 0; i < state.re.length; i++) {
      state.re[i] = rng.uniform() - 0.5;
      state.im[i] = rng.uniform() - 0.5;
    }
    for (const names of [['Z0', 'Z3', 'Z0', 'Z2'], ['Z1', 'I', 'Z0 Z2', 'X1 Y3', 'Z3']]) {
      const words = names.map((w) => parsePauliWord(w));
      const coef = Float64Array.from({ length: batch * words.length }, () => rng.uniform() - 0.5);
      const size = state.re.length;
      const want = { re: new Float64Array(size), im: new Float64Array(size) };
      words.forEach((w, k) => accumulatePauli(state, w, coef, words.length, k, want.re, want.im));
      const got = { re: new Float64Array(size), im: new Float64Array(size) };
      adjointStart(state, words, coef, got.re, got.im);
      assertClose(got.re, want.re, TOL.exact, `${names.join(',')} re`);
      assertClose(got.im, want.im, TOL.exact, `${names.join(',')} im`);
    }
  });
});
