import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { CircuitBuilder } from './circuit.js';
import {
  concentratableEntanglement,
  meyerWallach,
  purity,
  singleQubitPurities,
  stabilizerRenyiEntropy,
} from './entanglement.js';
import { expval, type Pauli, type PauliWord } from './measure.js';
import { simulate, type StateBatch } from './statevector.js';

const EXACT = 1e-12;
/** Stabilizer states give M_2 = 0 up to rounding of a sum of 4^n terms. */
const STAB = 1e-10;

const close = (a: number, b: number, tol: number, what = ''): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what} expected ${b}, got ${a} (|diff| ${Math.abs(a - b)} > ${tol})`);

/** The state a builder's circuit makes from |0...0> (or from its prep). */
function run(b: CircuitBuilder, inputs = new Float64Array(0), batch = 1): StateBatch {
  return simulate({ circuit: b.build(), inputs, weights: new Float64Array(0), batch });
}

/** A state given by its amplitudes (re, im), as one sample. */
function fromAmplitudes(re: number[], im: number[] = re.map(() => 0)): StateBatch {
  const n = Math.log2(re.length);
  return { nQubits: n, batch: 1, re: Float64Array.from(re), im: Float64Array.from(im) };
}

/** Several single-sample states of the same width as one batch. */
function stack(states: StateBatch[]): StateBatch {
  const n = states[0]!.nQubits;
  const dim = 1 << n;
  const re = new Float64Array(states.length * dim);
  const im = new Float64Array(states.length * dim);
  states.forEach((s, b) => {
    re.set(s.re, b * dim);
    im.set(s.im, b * dim);
  });
  return { nQubits: n, batch: states.length, re, im };
}

/** Random Haar-ish single-qubit rotations on every wire (a product state). */
function rotations(b: CircuitBuilder, rng: Rng, wires: number[]): CircuitBuilder {
  for (const w of wires) b.add('Rot', [w], [rng.uniform() * 6.3, rng.uniform() * 3.2, rng.uniform() * 6.3]);
  return b;
}

/** A generic entangled state: layers of rotations and a CNOT ladder. */
function generic(n: number, rng: Rng, layers = 3): CircuitBuilder {
  const b = new CircuitBuilder(n);
  const wires = Array.from({ length: n }, (_, i) => i);
  for (let l = 0; l < layers; l++) {
    rotations(b, rng, wires);
    for (let w = 0; w + 1 < n; w++) b.cnot(w, w + 1);
  }
  return rotations(b, rng, wires);
}

function ghz(n: number): CircuitBuilder {
  const b = new CircuitBuilder(n).h(0);
  for (let w = 0; w + 1 < n; w++) b.cnot(w, w + 1);
  return b;
}

/** A random Clifford circuit of H, S and CNOT gates. */
function randomClifford(n: number, rng: Rng, gates: number): CircuitBuilder {
  const b = new CircuitBuilder(n);
  for (let g = 0; g < gates; g++) {
    const kind = n > 1 ? rng.int(3) : rng.int(2);
    const w = rng.int(n);
    if (kind === 0) b.h(w);
    else if (kind === 1) b.add('S', [w]);
    else b.cnot(w, (w + 1 + rng.int(n - 1)) % n);
  }
  return b;
}

/** The T state (|0> + e^{i pi/4} |1>) / sqrt2 on `wire` of an n-qubit register. */
const tState = (b: CircuitBuilder, wire: number): CircuitBuilder => b.h(wire).add('T', [wire]);

describe('purity', () => {
  test('matches a dense reduced density matrix on a random 4-qubit state', () => {
    const s = run(generic(4, new Rng(3)));
    for (const wires of [[0], [2], [0, 2], [1, 3], [0, 1, 3]]) {
      // rho_A[a, a'] = sum_b psi(a, b) conj(psi(a', b)), by the definition.
      const inA = (j: number, w: number) => (j >> (3 - w)) & 1;
      const key = (j: number) => wires.map((w) => inA(j, w)).join('');
      const rest = (j: number) => [0, 1, 2, 3].filter((w) => !wires.includes(w)).map((w) => inA(j, w)).join('');
      const rho = new Map<string, [number, number]>();
      for (let j = 0; j < 16; j++) {
        for (let k = 0; k < 16; k++) {
          if (rest(j) !== rest(k)) continue;
          const id = `${key(j)}|${key(k)}`;
          const [r, i] = rho.get(id) ?? [0, 0];
          rho.set(id, [r + s.re[j]! * s.re[k]! + s.im[j]! * s.im[k]!, i + s.im[j]! * s.re[k]! - s.re[j]! * s.im[k]!]);
        }
      }
      let want = 0;
      for (const [r, i] of rho.values()) want += r * r + i * i;
      close(purity(s, wires)[0]!, want, EXACT, `wires [${wires}]`);
    }
  });

  test('a pure state has the same purity on both sides of a cut, and 1 on none or all', () => {
    const s = run(generic(5, new Rng(8)));
    close(purity(s, [0, 3])[0]!, purity(s, [1, 2, 4])[0]!, EXACT);
    close(purity(s, [])[0]!, 1, EXACT);
    close(purity(s, [0, 1, 2, 3, 4])[0]!, 1, EXACT);
  });

  test('names the field for bad wires', () => {
    const s = run(ghz(3));
    assert.throws(() => purity(s, [3]), (e: unknown) => e instanceof QflError && e.field === 'wires' && /not in \[0, 2\]/.test(e.message));
    assert.throws(() => purity(s, [1, 1]), (e: unknown) => e instanceof QflError && /appears twice/.test(e.message));
    assert.throws(() => concentratableEntanglement(s, [0.5]), QflError);
  });
});

describe('Meyer-Wallach and concentratable entanglement', () => {
  test('product states: Q = 0 and C = 0', () => {
    const rng = new Rng(1);
    for (const n of [1, 3, 6]) {
      const s = run(rotations(new CircuitBuilder(n), rng, Array.from({ length: n }, (_, i) => i)));
      close(meyerWallach(s)[0]!, 0, EXACT, `n=${n} Q`);
      close(concentratableEntanglement(s)[0]!, 0, EXACT, `n=${n} C`);
    }
  });

  test('Bell and GHZ states: Q = 1, C = 1/2 - 2^-n', () => {
    for (const n of [2, 3, 5, 6]) {
      const s = run(ghz(n));
      close(meyerWallach(s)[0]!, 1, EXACT, `GHZ${n} Q`);
      close(concentratableEntanglement(s)[0]!, 0.5 - 2 ** -n, EXACT, `GHZ${n} C`);
      for (const p of singleQubitPurities(s)) close(p, 0.5, EXACT);
    }
  });

  test('W state: Q = 4 (n - 1) / n^2', () => {
    for (const n of [3, 4]) {
      const re = new Array<number>(1 << n).fill(0);
      for (let k = 0; k < n; k++) re[1 << k] = 1 / Math.sqrt(n);
      close(meyerWallach(fromAmplitudes(re))[0]!, (4 * (n - 1)) / n ** 2, EXACT, `W${n}`);
    }
  });

  test('Q = (4/n) sum_k C({k}), and both lie in [0, 1]', () => {
    const n = 5;
    const s = run(generic(n, new Rng(11)));
    let sum = 0;
    for (let k = 0; k < n; k++) sum += concentratableEntanglement(s, [k])[0]!;
    close(meyerWallach(s)[0]!, (4 / n) * sum, EXACT);
    const q = meyerWallach(s)[0]!;
    assert.ok(q > 0.3 && q <= 1, `a generic state is entangled: ${q}`);
    const c = concentratableEntanglement(s)[0]!;
    assert.ok(c > 0 && c < 1);
  });

  test('invariant under local unitaries and the norm', () => {
    const rng = new Rng(5);
    const b = generic(4, rng);
    const before = run(b);
    rotations(b, rng, [0, 1, 2, 3]);
    const after = run(b);
    close(meyerWallach(after)[0]!, meyerWallach(before)[0]!, EXACT);
    const scaled = { ...after, re: after.re.map((v) => 3 * v), im: after.im.map((v) => 3 * v) };
    close(meyerWallach(scaled)[0]!, meyerWallach(after)[0]!, EXACT);
    close(concentratableEntanglement(scaled)[0]!, concentratableEntanglement(after)[0]!, EXACT);
  });

  test('batches: one result per sample, equal to the samples run one by one', () => {
    const rng = new Rng(9);
    const states = [run(ghz(4)), run(generic(4, rng)), run(rotations(new CircuitBuilder(4), rng, [0, 1, 2, 3])), run(generic(4, rng, 1))];
    const batch = stack(states);
    const q = meyerWallach(batch);
    const c = concentratableEntanglement(batch, [0, 2]);
    const m = stabilizerRenyiEntropy(batch);
    assert.equal(q.length, 4);
    states.forEach((s, b) => {
      close(q[b]!, meyerWallach(s)[0]!, EXACT);
      close(c[b]!, concentratableEntanglement(s, [0, 2])[0]!, EXACT);
      close(m[b]!, stabilizerRenyiEntropy(s)[0]!, EXACT);
    });
  });
});

describe('stabilizer Renyi entropy M_2', () => {
  test('computational basis states and GHZ states are stabilizer states: M_2 = 0', () => {
    for (const n of [1, 3, 6]) {
      close(stabilizerRenyiEntropy(run(new CircuitBuilder(n)))[0]!, 0, STAB, `|0>^${n}`);
      const b = new CircuitBuilder(n);
      for (let w = 0; w < n; w += 2) b.x(w);
      close(stabilizerRenyiEntropy(run(b))[0]!, 0, STAB, `basis state on ${n}`);
      close(stabilizerRenyiEntropy(run(ghz(n)))[0]!, 0, STAB, `GHZ${n}`);
    }
  });

  test('random Clifford circuits of H, S, CNOT give M_2 = 0', () => {
    const rng = new Rng(2024);
    for (let t = 0; t < 20; t++) {
      const n = 2 + (t % 5);
      const m = stabilizerRenyiEntropy(run(randomClifford(n, rng, 40)))[0]!;
      close(m, 0, STAB, `circuit ${t} on ${n} qubits`);
    }
  });

  test('the T state has M_2 = log2(4/3); a T gate on |0> adds nothing', () => {
    close(stabilizerRenyiEntropy(run(tState(new CircuitBuilder(1), 0)))[0]!, Math.log2(4 / 3), EXACT);
    close(stabilizerRenyiEntropy(run(new CircuitBuilder(2).add('T', [0]).h(1)))[0]!, 0, STAB);
  });

  test('additive on product states', () => {
    const rng = new Rng(77);
    // Three T states on wires 0..2, one generic state on wires 3..5.
    const left = new CircuitBuilder(3);
    for (const w of [0, 1, 2]) tState(left, w);
    close(stabilizerRenyiEntropy(run(left))[0]!, 3 * Math.log2(4 / 3), EXACT, 'three T states');
    const rightAlone = generic(3, rng.fork());
    const right = stabilizerRenyiEntropy(run(rightAlone))[0]!;
    assert.ok(right > 0.1, `a generic state has magic: ${right}`);
    const both = new CircuitBuilder(6);
    for (const w of [0, 1, 2]) tState(both, w);
    for (const op of rightAlone.build().ops) both.add(op.gate, op.wires.map((w) => w + 3), op.params);
    close(stabilizerRenyiEntropy(run(both))[0]!, 3 * Math.log2(4 / 3) + right, 1e-10);
  });

  test('invariant under Clifford circuits; below log2((2^n + 1) / 2)', () => {
    const rng = new Rng(31);
    const n = 4;
    const b = generic(n, rng);
    const before = stabilizerRenyiEntropy(run(b))[0]!;
    for (const op of randomClifford(n, rng, 30).build().ops) b.add(op.gate, op.wires, op.params);
    close(stabilizerRenyiEntropy(run(b))[0]!, before, 1e-10);
    assert.ok(before > 0 && before < Math.log2((2 ** n + 1) / 2));
  });

  test('matches the brute-force sum over all 4^n Pauli strings', () => {
    const n = 3;
    const s = run(generic(n, new Rng(4)));
    const words: PauliWord[] = [];
    const letters: (Pauli | 'I')[] = ['I', 'X', 'Y', 'Z'];
    for (let code = 0; code < 4 ** n; code++) {
      const terms: { wire: number; pauli: Pauli }[] = [];
      for (let w = 0; w < n; w++) {
        const l = letters[Math.floor(code / 4 ** w) % 4]!;
        if (l !== 'I') terms.push({ wire: w, pauli: l });
      }
      words.push({ terms });
    }
    const ev = expval(s, words);
    let sum = 0;
    for (const v of ev) sum += v ** 4;
    close(stabilizerRenyiEntropy(s)[0]!, -Math.log2(sum / 2 ** n), EXACT);
  });
});
