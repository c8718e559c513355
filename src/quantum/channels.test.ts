import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../util/random.js';
import {
  amplitudeDamping,
  bitFlip,
  choiMatrix,
  completenessError,
  compose,
  depolarizing,
  generalizedAmplitudeDamping,
  hermitianEigenvalues,
  kraus,
  minChoiEigenvalue,
  pauliChannel,
  phaseDamping,
  phaseFlip,
  superoperator,
  thermalRelaxation,
  type Channel,
} from './channels.js';
import { allocDensity, applyChannelDensity, DensityScratch, type DensityBatch } from './density.js';
import { assertClose, randomState, throwsExactly, TOL } from './testing.js';

/** Every channel constructor, at ordinary and edge parameters. */
const CHANNELS: Channel[] = [
  depolarizing(0),
  depolarizing(0.1),
  depolarizing(1),
  depolarizing(4 / 3),
  depolarizing(0.05, 2),
  depolarizing(1, 2),
  depolarizing(16 / 15, 2),
  amplitudeDamping(0),
  amplitudeDamping(0.3),
  amplitudeDamping(1),
  generalizedAmplitudeDamping(0.2, 0.7),
  phaseDamping(0.4),
  phaseDamping(1),
  bitFlip(0.25),
  phaseFlip(0.6),
  pauliChannel(0.1, 0.2, 0.3),
  thermalRelaxation(50, 70, 10),
  thermalRelaxation(50, 100, 10),
  compose(amplitudeDamping(0.2), depolarizing(0.1)),
  kraus([[[1, 0], [0, [0, 1]]]], { name: 'S as a channel' }),
];

/** A single n-qubit density matrix |psi><psi| of a seeded random state. */
function randomDensity(rng: Rng, n: number): DensityBatch {
  const psi = randomState(rng, n);
  const dim = 1 << n;
  const rho = allocDensity(n, 1);
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      rho.re[i * dim + j] = psi[i]![0] * psi[j]![0] + psi[i]![1] * psi[j]![1];
      rho.im[i * dim + j] = psi[i]![1] * psi[j]![0] - psi[i]![0] * psi[j]![1];
    }
  }
  return rho;
}

const apply = (rho: DensityBatch, ch: Channel, times = 1) => {
  const sc = new DensityScratch(rho.batch);
  const bits = Array.from({ length: ch.nQubits }, (_, q) => 1 << (rho.nQubits - 1 - q));
  for (let t = 0; t < times; t++) applyChannelDensity(rho, ch, bits, sc);
  return rho;
};

/** Entries of rho as [re, im] pairs for comparison with a textbook matrix. */
const entries = (rho: DensityBatch) => Array.from(rho.re).flatMap((r, i) => [r, rho.im[i]!]);

describe('channels are CPTP', () => {
  for (const ch of CHANNELS) {
    test(`${ch.name}: trace preserving, Choi matrix PSD with Tr_out J = I`, () => {
      assert.ok(completenessError(ch) <= TOL.exact, `sum K^dagger K - I off by ${completenessError(ch)}`);
      const min = minChoiEigenvalue(ch);
      assert.ok(min >= -1e-12, `smallest Choi eigenvalue ${min}`);
      // Tr over the output of J is the identity on the input.
      const d = 1 << ch.nQubits;
      const D = d * d;
      const J = choiMatrix(ch);
      for (let a = 0; a < d; a++) {
        for (let c = 0; c < d; c++) {
          let re = 0;
          let im = 0;
          for (let x = 0; x < d; x++) {
            re += J[2 * ((a * d + x) * D + c * d + x)]!;
            im += J[2 * ((a * d + x) * D + c * d + x) + 1]!;
          }
          assertClose([re, im], [a === c ? 1 : 0, 0], TOL.exact, `Tr_out J [${a}][${c}]`);
        }
      }
    });
  }

  test('the Choi matrix of the transpose map (not CP) has eigenvalue -1: the check can fail', () => {
    // J of rho -> rho^T on one qubit is SWAP.
    const swap = new Float64Array(32);
    for (const [r, c] of [[0, 0], [1, 2], [2, 1], [3, 3]] as const) swap[2 * (r * 4 + c)] = 1;
    assertClose(hermitianEigenvalues(swap, 4), [-1, 1, 1, 1], TOL.exact);
  });

  test('hermitianEigenvalues: sum = trace and sum of squares = Frobenius norm on a random Hermitian matrix', () => {
    const rng = new Rng(5);
    const m = 6;
    const h = new Float64Array(2 * m * m);
    for (let i = 0; i < m; i++) {
      for (let j = i; j < m; j++) {
        const re = rng.normal();
        const im = i === j ? 0 : rng.normal();
        h[2 * (i * m + j)] = re;
        h[2 * (i * m + j) + 1] = im;
        h[2 * (j * m + i)] = re;
        h[2 * (j * m + i) + 1] = -im;
      }
    }
    const eig = hermitianEigenvalues(h, m);
    let trace = 0;
    let frob = 0;
    for (let i = 0; i < m; i++) trace += h[2 * (i * m + i)]!;
    for (let i = 0; i < 2 * m * m; i++) frob += h[i]! ** 2;
    assertClose([eig.reduce((a, x) => a + x, 0), eig.reduce((a, x) => a + x * x, 0)], [trace, frob], 1e-10);
    for (let i = 1; i < m; i++) assert.ok(eig[i]! >= eig[i - 1]!, 'ascending');
  });
});

describe('channels act as their formulas', () => {
  test('depolarizing(p): rho -> (1 - p) rho + p I/2 on a random state', () => {
    const rng = new Rng(1);
    for (const p of [0.1, 0.7, 4 / 3]) {
      const rho = randomDensity(rng, 1);
      const expected = entries(rho).map((v, i) => (1 - p) * v + ([0, 6].includes(i) ? p / 2 : 0));
      assertClose(entries(apply(rho, depolarizing(p))), expected, TOL.exact, `p = ${p}`);
    }
  });

  test('2-qubit depolarizing(p): rho -> (1 - p) rho + p I/4', () => {
    const rho = randomDensity(new Rng(2), 2);
    const p = 0.3;
    const expected = entries(rho).map((v, i) => (1 - p) * v + (i % 2 === 0 && (i / 2) % 5 === 0 ? p / 4 : 0));
    assertClose(entries(apply(rho, depolarizing(p, 2))), expected, TOL.exact);
  });

  test('amplitude damping: populations move |1> -> |0> with gamma, coherences shrink by sqrt(1 - gamma)', () => {
    const rho = randomDensity(new Rng(3), 1);
    const g = 0.35;
    const [r00, , r01r, r01i, r10r, r10i, r11] = entries(rho) as [number, number, number, number, number, number, number, number];
    const s = Math.sqrt(1 - g);
    assertClose(entries(apply(rho, amplitudeDamping(g))), [r00 + g * r11, 0, s * r01r, s * r01i, s * r10r, s * r10i, (1 - g) * r11, 0], TOL.exact);
  });

  test('phase damping keeps populations and shrinks coherences by sqrt(1 - lambda); phase flip by 1 - 2p', () => {
    const rho = randomDensity(new Rng(4), 1);
    const e = entries(rho);
    const l = 0.36;
    const s = Math.sqrt(1 - l);
    const want = (f: number) => e.map((v, i) => (i >= 2 && i < 6 ? f * v : v));
    assertClose(entries(apply(rho, phaseDamping(l))), want(s), TOL.exact, 'phase damping');
    const rho2 = randomDensity(new Rng(4), 1);
    assertClose(entries(apply(rho2, phaseFlip(0.2))), want(0.6), TOL.exact, 'phase flip');
  });

  test('bit flip mixes rho with X rho X', () => {
    const rho = randomDensity(new Rng(6), 1);
    const [a, ai, b, bi, c, ci, d, di] = entries(rho) as [number, number, number, number, number, number, number, number];
    const p = 0.2;
    // X rho X = [[d, c], [b, a]]
    const x = [d, di, c, ci, b, bi, a, ai];
    const expected = [a, ai, b, bi, c, ci, d, di].map((v, i) => (1 - p) * v + p * x[i]!);
    assertClose(entries(apply(rho, bitFlip(p))), expected, TOL.exact);
  });

  test('thermal relaxation: populations decay as exp(-t/T1), coherences as exp(-t/T2)', () => {
    const [t1, t2, time] = [40, 60, 7];
    const plus = allocDensity(1, 1);
    plus.re.set([0.5, 0.5, 0.5, 0.5]);
    apply(plus, thermalRelaxation(t1, t2, time));
    assertClose([plus.re[1]!, plus.re[3]!], [0.5 * Math.exp(-time / t2), 0.5 * Math.exp(-time / t1)], TOL.exact);
  });

  test('compose(a, b) is a then b', () => {
    const a = amplitudeDamping(0.3);
    const b = depolarizing(0.2);
    const rho1 = apply(apply(randomDensity(new Rng(8), 1), a), b);
    const rho2 = apply(randomDensity(new Rng(8), 1), compose(a, b));
    assertClose(entries(rho2), entries(rho1), TOL.exact);
  });

  test('the adjoint superoperator is the conjugate transpose: Tr(L E(rho)) = Tr(E^dagger(L) rho)', () => {
    const rng = new Rng(9);
    for (const ch of [amplitudeDamping(0.4), depolarizing(0.2, 2), generalizedAmplitudeDamping(0.3, 0.2)]) {
      const n = ch.nQubits;
      const rho = randomDensity(rng, n);
      const L = randomDensity(rng, n);
      const sc = new DensityScratch(1);
      const bits = Array.from({ length: n }, (_, q) => 1 << (n - 1 - q));
      const tr = (x: DensityBatch, y: DensityBatch) => {
        // Tr(x y) for Hermitian x, y: sum_ij x_ij conj(y_ij)
        let acc = 0;
        for (let i = 0; i < x.re.length; i++) acc += x.re[i]! * y.re[i]! + x.im[i]! * y.im[i]!;
        return acc;
      };
      const Erho = allocDensity(n, 1);
      Erho.re.set(rho.re);
      Erho.im.set(rho.im);
      applyChannelDensity(Erho, ch, bits, sc);
      const lhs = tr(L, Erho);
      applyChannelDensity(L, ch, bits, sc, true);
      assert.ok(Math.abs(lhs - tr(L, rho)) <= TOL.exact, `${ch.name}: ${lhs} vs ${tr(L, rho)}`);
    }
  });

  test('superoperator of the identity channel is the identity', () => {
    const s = superoperator(depolarizing(0));
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) assertClose([s[2 * (r * 4 + c)]!, s[2 * (r * 4 + c) + 1]!], [r === c ? 1 : 0, 0], TOL.exact);
  });
});

describe('fixed points', () => {
  test('amplitude damping drives any state to |0><0|', () => {
    const rho = apply(randomDensity(new Rng(10), 1), amplitudeDamping(0.5), 100);
    assertClose(entries(rho), [1, 0, 0, 0, 0, 0, 0, 0], TOL.exact);
  });

  test('depolarizing(1) gives I/d at once; repeated depolarizing(0.3) converges to I/d', () => {
    assertClose(entries(apply(randomDensity(new Rng(11), 1), depolarizing(1))), [0.5, 0, 0, 0, 0, 0, 0.5, 0], TOL.exact);
    const I4 = Array.from({ length: 32 }, (_, i) => (i % 2 === 0 && (i / 2) % 5 === 0 ? 0.25 : 0));
    assertClose(entries(apply(randomDensity(new Rng(12), 2), depolarizing(1, 2))), I4, TOL.exact, '2 qubits at once');
    assertClose(entries(apply(randomDensity(new Rng(13), 2), depolarizing(0.3, 2), 120)), I4, TOL.exact, 'repeated');
  });

  test('generalized amplitude damping drives any state to diag(p, 1 - p)', () => {
    const p = 0.8;
    assertClose(entries(apply(randomDensity(new Rng(14), 1), generalizedAmplitudeDamping(0.5, p), 100)), [p, 0, 0, 0, 0, 0, 1 - p, 0], TOL.exact);
  });
});

describe('validation', () => {
  test('Kraus operators that are not trace preserving are refused with the deviation', () => {
    throwsExactly(
      () => kraus([[[1, 0], [0, 0.5]]]),
      'kraus: sum of K^dagger K must be the identity (trace preserving) within 1e-10; it is off by 0.75',
    );
    throwsExactly(() => kraus([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]]), 'kraus[0]: must be 2 x 2, 4 x 4 or 8 x 8 (1 to 3 qubits), got 3 rows');
    throwsExactly(() => kraus([[[1, 0], [0, 1]], [[1], [0]]]), 'kraus[1]: must be 2 x 2, got 2 x 1');
    throwsExactly(() => kraus([]), 'kraus: needs at least one Kraus operator');
    throwsExactly(() => kraus([[[Number.NaN, 0], [0, 1]]]), 'kraus[0][0][0]: must be finite, got NaN');
  });

  test('a looser tolerance admits a nearly trace-preserving set', () => {
    const ch = kraus([[[1, 0], [0, 1 + 1e-9]]], { tol: 1e-8 });
    assert.equal(ch.nQubits, 1);
  });

  test('parameters outside their range name the field and the range', () => {
    throwsExactly(() => depolarizing(1.5), 'depolarizing.p: must be in [0, 1.3333333333333333], got 1.5');
    throwsExactly(() => amplitudeDamping(-0.1), 'amplitudeDamping.gamma: must be in [0, 1], got -0.1');
    throwsExactly(() => phaseDamping(Number.NaN), 'phaseDamping.lambda: must be in [0, 1], got NaN');
    throwsExactly(() => pauliChannel(0.5, 0.4, 0.3), 'pauliChannel: px + py + pz must be at most 1, got 1.2');
    throwsExactly(() => thermalRelaxation(10, 30, 1), 'thermalRelaxation.t2: must be in (0, 2 t1] = (0, 20], got 30');
    throwsExactly(() => compose(depolarizing(0.1), depolarizing(0.1, 2)), 'compose: channels act on 1 and 2 qubits; they must match');
  });
});
