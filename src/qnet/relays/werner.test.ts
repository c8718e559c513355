import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../../util/errors.js';
import {
  CLASSICAL_TELEPORTATION_FIDELITY,
  chainWerner,
  decohere,
  fidelityFromWerner,
  memoryFactor,
  qberFromWerner,
  swapFidelity,
  swapWerner,
  teleportationFidelity,
  teleportationFidelityFromFidelity,
  wernerFromFidelity,
  wernerFromQber,
} from './werner.js';

const close = (a: number, b: number, tol: number, msg = ''): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: got ${a}, expected ${b} +- ${tol}`);
const refused = (fn: () => unknown, field: string): void =>
  assert.throws(fn, (e: unknown) => e instanceof QflError && e.field === field);

// ------------------------------------------------------------------------
// A tiny real density-matrix toolkit (every state and operation used here is
// real): the formulas are checked against the physics they summarize.

type Mat = { n: number; a: Float64Array };
const mat = (n: number): Mat => ({ n, a: new Float64Array(n * n) });
const get = (m: Mat, i: number, j: number): number => m.a[i * m.n + j]!;

function kron(x: Mat, y: Mat): Mat {
  const out = mat(x.n * y.n);
  for (let i = 0; i < x.n; i++)
    for (let j = 0; j < x.n; j++)
      for (let k = 0; k < y.n; k++) for (let l = 0; l < y.n; l++) out.a[(i * y.n + k) * out.n + (j * y.n + l)] = get(x, i, j) * get(y, k, l);
  return out;
}

function mul(x: Mat, y: Mat): Mat {
  const out = mat(x.n);
  for (let i = 0; i < x.n; i++) for (let k = 0; k < x.n; k++) for (let j = 0; j < x.n; j++) out.a[i * x.n + j]! += get(x, i, k) * get(y, k, j);
  return out;
}

function transpose(x: Mat): Mat {
  const out = mat(x.n);
  for (let i = 0; i < x.n; i++) for (let j = 0; j < x.n; j++) out.a[j * x.n + i] = get(x, i, j);
  return out;
}

/** v^T m v. */
function quad(m: Mat, v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < m.n; i++) for (let j = 0; j < m.n; j++) s += v[i]! * get(m, i, j) * v[j]!;
  return s;
}

const fromRows = (rows: number[][]): Mat => ({ n: rows.length, a: Float64Array.from(rows.flat()) });
const I2 = fromRows([
  [1, 0],
  [0, 1],
]);
const PHI_PLUS = [Math.SQRT1_2, 0, 0, Math.SQRT1_2];

/** w |Phi+><Phi+| + (1 - w) I/4 on qubits (first, second), index 2 q0 + q1. */
function wernerState(w: number): Mat {
  const m = mat(4);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) m.a[i * 4 + j] = w * PHI_PLUS[i]! * PHI_PLUS[j]! + (i === j ? (1 - w) / 4 : 0);
  }
  return m;
}

/** Sum_k (I x K) rho (I x K)^T: a channel with real Kraus operators on the second qubit. */
function onSecond(rho: Mat, kraus: Mat[]): Mat {
  const out = mat(4);
  for (const k of kraus) {
    const big = kron(I2, k);
    const term = mul(mul(big, rho), transpose(big));
    for (let i = 0; i < 16; i++) out.a[i]! += term.a[i]!;
  }
  return out;
}

// ------------------------------------------------------------------------

describe('Werner parameter and fidelity (Werner 1989)', () => {
  test('F = (1 + 3 w) / 4 and back; e = (1 - w) / 2', () => {
    assert.equal(fidelityFromWerner(1), 1);
    assert.equal(fidelityFromWerner(0), 0.25);
    close(fidelityFromWerner(-1 / 3), 0, 1e-16, 'w = -1/3');
    for (const w of [-0.3, 0, 0.2, 0.5, 0.9, 1]) {
      close(wernerFromFidelity(fidelityFromWerner(w)), w, 1e-15, `round trip ${w}`);
      close(fidelityFromWerner(w), quad(wernerState(w), PHI_PLUS), 1e-15, `<Phi+|rho|Phi+> at ${w}`);
      close(wernerFromQber(qberFromWerner(w)), w, 1e-15, `qber round trip ${w}`);
    }
    close(qberFromWerner(0.78), 0.11, 1e-15, 'w 0.78 -> e 11 %');
    refused(() => fidelityFromWerner(1.01), 'w');
    refused(() => fidelityFromWerner(-0.5), 'w');
    refused(() => wernerFromFidelity(NaN), 'fidelity');
  });
});

describe('entanglement swapping (Duer, Briegel, Cirac & Zoller 1999)', () => {
  test('w = w1 w2, F = (1 + 3 w1 w2) / 4, and w = 1 is the identity', () => {
    for (const [w1, w2] of [
      [0.9, 0.8],
      [0.5, 0.5],
      [1, 0.37],
      [0, 0.9],
    ] as const) {
      close(swapWerner(w1, w2), w1 * w2, 1e-16, `${w1} x ${w2}`);
      close(fidelityFromWerner(swapWerner(w1, w2)), (1 + 3 * w1 * w2) / 4, 1e-15, 'F');
      close(swapFidelity(fidelityFromWerner(w1), fidelityFromWerner(w2)), (1 + 3 * w1 * w2) / 4, 1e-15, 'DBCZ form F1F2 + (1-F1)(1-F2)/3');
    }
    for (const w of [-0.2, 0, 0.6, 1]) assert.equal(swapWerner(1, w), w, `identity at ${w}`);
    assert.equal(swapFidelity(1, 0.8), 0.8);
    close(swapWerner(0.9, 0.9, 0.95), 0.81 * 0.95, 1e-15, 'imperfect Bell measurement');
    refused(() => swapWerner(0.9, 2), 'w2');
    refused(() => swapWerner(0.9, 0.9, 1.5), 'bsmWerner');
  });

  test('agrees with projecting the middle qubits of two Werner pairs onto |Phi+>', () => {
    for (const [w1, w2] of [
      [0.9, 0.7],
      [0.4, 1],
      [0.55, 0.35],
    ] as const) {
      // Qubits (A, B1, B2, C), index 8a + 4b1 + 2b2 + c.
      const rho = kron(wernerState(w1), wernerState(w2));
      // Probability of the outcome Phi+ on (B1, B2): sum over (a, c) of <a, Phi+, c| rho |a, Phi+, c>.
      let prob = 0;
      for (let a = 0; a < 2; a++)
        for (let c = 0; c < 2; c++) {
          const u = new Float64Array(16);
          for (let b = 0; b < 2; b++) u[8 * a + 4 * b + 2 * b + c] = Math.SQRT1_2;
          prob += quad(rho, u);
        }
      // <Phi+_AC, Phi+_B1B2| rho |...>.
      const v = new Float64Array(16);
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) v[8 * a + 4 * b + 2 * b + a] = 0.5;
      close(prob, 0.25, 1e-15, 'each Bell outcome has probability 1/4');
      close(quad(rho, v) / prob, fidelityFromWerner(swapWerner(w1, w2)), 1e-14, `fidelity after swapping ${w1}, ${w2}`);
    }
  });

  test('a chain multiplies its links and its Bell measurements', () => {
    close(chainWerner([0.9, 0.8, 0.95]), 0.9 * 0.8 * 0.95, 1e-15, 'three links');
    close(chainWerner([0.9, 0.8, 0.95], 0.99), 0.9 * 0.8 * 0.95 * 0.99 * 0.99, 1e-15, 'two imperfect swaps');
    assert.equal(chainWerner([0.7]), 0.7);
    assert.equal(chainWerner([0.7], 0.5), 0.7, 'no swap in a one-link chain');
    refused(() => chainWerner([]), 'ws');
    refused(() => chainWerner([0.9, 3]), 'ws[1]');
  });
});

describe('memory decoherence', () => {
  test('exp(-t / T2) for a depolarizing memory', () => {
    const memory = { t2Seconds: 0.01 };
    assert.equal(memoryFactor(0, memory), 1);
    close(memoryFactor(0.01, memory), Math.exp(-1), 1e-15, 't = T2');
    close(memoryFactor(0.03, memory), Math.exp(-3), 1e-15, 't = 3 T2');
    close(decohere(0.9, 0.005, memory), 0.9 * Math.exp(-0.5), 1e-15, 'w decays');
    close(memoryFactor(0.02, { t2Seconds: 0.02, t1Seconds: 0.02 }), Math.exp(-1), 1e-15, 'T1 = T2 is the same');
    close(memoryFactor(0.01, { t2Seconds: 0.01, t1Seconds: Infinity }), (1 + 2 * Math.exp(-1)) / 3, 1e-15, 'pure dephasing');
    let last = 1;
    for (const t of [0, 1e-3, 1e-2, 0.1, 1]) {
      const l = memoryFactor(t, memory);
      assert.ok(l <= last && l >= 0, `monotone at ${t}`);
      last = l;
    }
  });

  test('the T1/T2 factor matches amplitude damping and dephasing applied to |Phi+>', () => {
    for (const [t1, t2, t] of [
      [2, 1.5, 0.7],
      [1, 2, 0.3],
      [5, 0.5, 0.4],
      [1, 1, 1],
    ] as const) {
      const gamma = 1 - Math.exp(-t / t1);
      const damp = [
        fromRows([
          [1, 0],
          [0, Math.sqrt(1 - gamma)],
        ]),
        fromRows([
          [0, Math.sqrt(gamma)],
          [0, 0],
        ]),
      ];
      // Extra dephasing so that the coherence decays as e^(-t/T2) overall (needs T2 <= 2 T1).
      const c = Math.exp(-t / t2) / Math.sqrt(1 - gamma);
      const dephase = [
        fromRows([
          [Math.sqrt((1 + c) / 2), 0],
          [0, Math.sqrt((1 + c) / 2)],
        ]),
        fromRows([
          [Math.sqrt((1 - c) / 2), 0],
          [0, -Math.sqrt((1 - c) / 2)],
        ]),
      ];
      const rho = onSecond(onSecond(wernerState(1), damp), dephase);
      const f = quad(rho, PHI_PLUS);
      close(f, fidelityFromWerner(memoryFactor(t, { t1Seconds: t1, t2Seconds: t2 })), 1e-14, `T1 ${t1}, T2 ${t2}, t ${t}`);
    }
  });

  test('T2 > 2 T1 is refused', () => {
    refused(() => memoryFactor(1, { t2Seconds: 3, t1Seconds: 1 }), 'memory.t2Seconds');
    refused(() => memoryFactor(-1, { t2Seconds: 1 }), 'seconds');
    refused(() => memoryFactor(1, { t2Seconds: 0 }), 'memory.t2Seconds');
  });
});

describe('teleportation (Horodecki, Horodecki & Horodecki 1999)', () => {
  test('F_tel = (1 + w) / 2 = (2 F + 1) / 3; 2/3 at w = 1/3', () => {
    for (const w of [-1 / 3, 0, 1 / 3, 0.5, 0.8, 1]) {
      close(teleportationFidelity(w), teleportationFidelityFromFidelity(fidelityFromWerner(w)), 1e-15, `w = ${w}`);
    }
    close(teleportationFidelity(1 / 3), CLASSICAL_TELEPORTATION_FIDELITY, 1e-15, 'classical limit');
    assert.equal(teleportationFidelity(1), 1);
    assert.equal(teleportationFidelity(0), 0.5, 'a useless resource: a random guess');
  });

  test('agrees with running the protocol over a Werner resource', () => {
    // Qubits (input, A, B), index 4 i + 2 a + b. Bell outcome on (input, A) and Bob's correction.
    const r = Math.SQRT1_2;
    const outcomes: Array<[number[], Mat]> = [
      [[r, 0, 0, r], I2], // Phi+ : I
      [[r, 0, 0, -r], fromRows([[1, 0], [0, -1]])], // Phi- : Z
      [[0, r, r, 0], fromRows([[0, 1], [1, 0]])], // Psi+ : X
      [[0, r, -r, 0], fromRows([[0, 1], [-1, 0]])], // Psi- : Z X
    ];
    for (const w of [1, 0.8, 0.3]) {
      for (const theta of [0, 0.3, Math.PI / 4, 1.1, Math.PI / 2]) {
        const psi = [Math.cos(theta), Math.sin(theta)];
        const rho = kron(fromRows([psi.map((x) => x * psi[0]!), psi.map((x) => x * psi[1]!)]), wernerState(w));
        let fid = 0;
        for (const [bell, u] of outcomes) {
          const bob = mat(2);
          for (let b = 0; b < 2; b++)
            for (let b2 = 0; b2 < 2; b2++) {
              let s = 0;
              for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) s += bell[x]! * bell[y]! * get(rho, 2 * x + b, 2 * y + b2);
              bob.a[2 * b + b2] = s;
            }
          fid += quad(mul(mul(u, bob), transpose(u)), psi);
        }
        close(fid, teleportationFidelity(w), 1e-14, `w ${w}, theta ${theta}`);
      }
    }
  });
});
