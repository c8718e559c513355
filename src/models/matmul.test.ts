import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemmNN, gemmNT, gemmTN } from './matmul.js';
import { Rng } from '../util/random.js';

/** Textbook `C += op(A) · op(B)`. */
function reference(
  m: number, n: number, k: number,
  a: Float64Array, transA: boolean, b: Float64Array, transB: boolean, c: Float64Array,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i]! : a[i * k + p]!) * (transB ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] += s;
    }
  }
}

function randn(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

function assertClose(actual: Float64Array, expected: Float64Array, tol: number, label: string): void {
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (d > tol * (1 + Math.abs(expected[i]!))) assert.fail(`${label}: entry ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

const KERNELS = [
  { name: 'NN', f: gemmNN, transA: false, transB: false },
  { name: 'NT', f: gemmNT, transA: false, transB: true },
  { name: 'TN', f: gemmTN, transA: true, transB: false },
] as const;

test('a 2x2 product by hand', () => {
  // A = [[1,2,3],[4,5,6]], B = [[1,0],[0,1],[1,1]] -> AB = [[4,5],[10,11]]
  const a = new Float64Array([1, 2, 3, 4, 5, 6]);
  const b = new Float64Array([1, 0, 0, 1, 1, 1]);
  const c = new Float64Array(4);
  gemmNN(2, 2, 3, a, b, c);
  assert.deepEqual(Array.from(c), [4, 5, 10, 11]);
});

test('every layout matches the textbook product on ragged and blocked sizes, and accumulates', () => {
  const rng = new Rng(7);
  // 1..9 cover every 4x4 remainder; 130 and 300 cross the NC = 128 and KC = 256 blocks.
  const sizes: [number, number, number][] = [
    [1, 1, 1], [3, 5, 2], [4, 4, 4], [5, 7, 9], [6, 28, 25], [9, 8, 1],
    [7, 130, 3], [5, 6, 300], [13, 131, 257],
  ];
  for (const { name, f, transA, transB } of KERNELS) {
    for (const [m, n, k] of sizes) {
      const a = randn(m * k, rng);
      const b = randn(k * n, rng);
      const c0 = randn(m * n, rng);
      const got = c0.slice();
      const want = c0.slice();
      f(m, n, k, a, b, got);
      reference(m, n, k, a, transA, b, transB, want);
      assertClose(got, want, 1e-12, `${name} ${m}x${n}x${k}`);
    }
  }
});

test('offsets select sub-arrays and leave the rest alone', () => {
  const rng = new Rng(3);
  const [m, n, k] = [5, 6, 7];
  for (const { name, f, transA, transB } of KERNELS) {
    const a = randn(3 + m * k, rng);
    const b = randn(2 + k * n, rng);
    const c = randn(4 + m * n + 4, rng);
    const want = c.slice();
    f(m, n, k, a, b, c, 3, 2, 4);
    const sub = want.subarray(4, 4 + m * n);
    reference(m, n, k, a.subarray(3), transA, b.subarray(2), transB, sub);
    assertClose(c, want, 1e-12, name);
  }
});

test('empty dimensions are a no-op', () => {
  const c = new Float64Array([1, 2]);
  gemmNN(0, 2, 3, new Float64Array(0), new Float64Array(6), c);
  gemmNN(1, 2, 0, new Float64Array(0), new Float64Array(0), c);
  assert.deepEqual(Array.from(c), [1, 2]);
});
