import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { QflError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { CircuitBuilder, constant, input, weight, type Operation } from './circuit.js';
import { GATES, type GateName } from './gates.js';
import { allocState, simulate } from './statevector.js';
import { amplitudeEmbedding, angleEmbedding, iqpEmbedding, stronglyEntangling } from './templates.js';
import {
  TOL,
  amplitudes,
  anyParam,
  args,
  assertClose,
  assertMatClose,
  assertStateClose,
  circuitMatrix,
  circuitOf,
  cis,
  constParam,
  cx,
  identity,
  inner,
  makeOp,
  norm2,
  opArb,
  randomState,
  run,
  stateOf,
  stateRows,
  type C,
  type Mat,
} from './testing.js';

const h = Math.SQRT1_2;
const O = cx(0);
const op = (gate: GateName, wires: number[], params: number[] = []): Operation => makeOp(gate, wires, params.map(constant));
/** A basis state |bits> (a string, wire 0 first) as a list of X gates. */
const basis = (bits: string): Operation[] => [...bits].flatMap((b, w) => (b === '1' ? [op('X', [w])] : []));
const ket = (n: number, entries: Record<string, C>): C[] =>
  Array.from({ length: 1 << n }, (_, i) => entries[i.toString(2).padStart(n, '0')] ?? O);

describe('known states', () => {
  test('Bell state (|00> + |11>)/sqrt2 from H(0) CNOT(0,1)', () => {
    assertStateClose(stateOf(2, [op('H', [0]), op('CNOT', [0, 1])]), ket(2, { '00': cx(h), '11': cx(h) }), TOL.exact);
  });

  test('all four Bell states', () => {
    const bell = (bits: string) => stateOf(2, [...basis(bits), op('H', [0]), op('CNOT', [0, 1])]);
    assertStateClose(bell('01'), ket(2, { '01': cx(h), '10': cx(h) }), TOL.exact, 'Psi+');
    assertStateClose(bell('10'), ket(2, { '00': cx(h), '11': cx(-h) }), TOL.exact, 'Phi-');
    assertStateClose(bell('11'), ket(2, { '01': cx(h), '10': cx(-h) }), TOL.exact, 'Psi-');
  });

  for (const n of [3, 5]) {
    test(`GHZ on ${n} qubits`, () => {
      const ops = [op('H', [0]), ...Array.from({ length: n - 1 }, (_, w) => op('CNOT', [w, w + 1]))];
      assertStateClose(stateOf(n, ops), ket(n, { ['0'.repeat(n)]: cx(h), ['1'.repeat(n)]: cx(h) }), TOL.exact);
    });
  }

  test('wire 0 is the most significant bit: X on wire 0 of 3 gives index 4', () => {
    assertStateClose(stateOf(3, [op('X', [0])]), ket(3, { '100': cx(1) }), TOL.exact);
    assertStateClose(stateOf(3, [op('X', [2])]), ket(3, { '001': cx(1) }), TOL.exact);
  });

  /** QFT from H and controlled phases, then SWAPs to reverse the wire order. */
  const qft = (n: number): Operation[] => {
    const ops: Operation[] = [];
    for (let i = 0; i < n; i++) {
      ops.push(op('H', [i]));
      for (let j = i + 1; j < n; j++) ops.push(op('CPhase', [j, i], [(2 * Math.PI) / 2 ** (j - i + 1)]));
    }
    for (let i = 0; i < n >> 1; i++) ops.push(op('SWAP', [i, n - 1 - i]));
    return ops;
  };

  for (const n of [3, 4]) {
    test(`QFT on ${n} qubits maps |j> to sum_k e^{2 pi i jk/N} |k> / sqrt N`, () => {
      const N = 1 << n;
      const dft: Mat = Array.from({ length: N }, (_, k) =>
        Array.from({ length: N }, (_, j) => {
          const z = cis((2 * Math.PI * j * k) / N);
          return cx(z[0] / Math.sqrt(N), z[1] / Math.sqrt(N));
        }),
      );
      assertMatClose(circuitMatrix(n, qft(n)), dft, TOL.exact, 'QFT');
    });
  }

  test('QFT of |1> on 3 qubits: uniform magnitudes, phases e^{i pi k/4}', () => {
    const s = stateOf(3, [...basis('001'), ...qft(3)]);
    s.forEach((z, k) => {
      assert.ok(Math.abs(Math.hypot(z[0], z[1]) - 1 / Math.sqrt(8)) < TOL.exact, `|amp ${k}|`);
      assertStateClose([z], [cx(Math.cos((Math.PI * k) / 4) / Math.sqrt(8), Math.sin((Math.PI * k) / 4) / Math.sqrt(8))], TOL.exact);
    });
  });

  describe('single-qubit gates on |0>, |1>, |+>', () => {
    const zero = [cx(1), O];
    const one = [O, cx(1)];
    const plus = [cx(h), cx(h)];
    const e = (z: C, s = 1): C => cx(z[0] * s, z[1] * s);
    const t = cis(Math.PI / 4);
    const table: Record<string, [C[], C[], C[]]> = {
      X: [one, zero, plus],
      Y: [[O, cx(0, 1)], [cx(0, -1), O], [cx(0, -h), cx(0, h)]],
      Z: [zero, [O, cx(-1)], [cx(h), cx(-h)]],
      H: [plus, [cx(h), cx(-h)], zero],
      S: [zero, [O, cx(0, 1)], [cx(h), cx(0, h)]],
      T: [zero, [O, t], [cx(h), e(t, h)]],
      SX: [[cx(0.5, 0.5), cx(0.5, -0.5)], [cx(0.5, -0.5), cx(0.5, 0.5)], [cx(h), cx(h)]],
    };
    const preps: Operation[][] = [[], [op('X', [0])], [op('H', [0])]];
    for (const [gate, outs] of Object.entries(table)) {
      test(gate, () => {
        outs.forEach((expected, k) => {
          assertStateClose(stateOf(1, [...preps[k]!, op(gate as GateName, [0])]), expected, TOL.exact, `${gate} on input ${k}`);
        });
      });
    }
  });

  test('IQP embedding of (x0, x1): amplitudes e^{-i(x0 s0 + x1 s1 + x0 x1 s0 s1)/2} / 2 with s = +-1', () => {
    const b = new CircuitBuilder(2);
    iqpEmbedding(b, { features: 2 });
    const x = [0.7, -1.3];
    const s = amplitudes(run(b.build(), { inputs: x }));
    const expected = [0, 1, 2, 3].map((i) => {
      const s0 = i & 2 ? -1 : 1;
      const s1 = i & 1 ? -1 : 1;
      const z = cis(-(x[0]! * s0 + x[1]! * s1 + x[0]! * x[1]! * s0 * s1) / 2);
      return cx(z[0] / 2, z[1] / 2);
    });
    assertStateClose(s, expected, TOL.exact);
  });

  test('RX(pi) |0> = -i |1>; RY(pi/2) |0> = |+>; PhaseShift(phi) |1> = e^{i phi} |1>', () => {
    assertStateClose(stateOf(1, [op('RX', [0], [Math.PI])]), [O, cx(0, -1)], TOL.exact);
    assertStateClose(stateOf(1, [op('RY', [0], [Math.PI / 2])]), [cx(h), cx(h)], TOL.exact);
    assertStateClose(stateOf(1, [op('X', [0]), op('PhaseShift', [0], [0.3])]), [O, cis(0.3)], TOL.exact);
  });
});

describe('state preparation', () => {
  test('amplitude embedding pads with zeros and normalizes; offset picks the features', () => {
    const b = new CircuitBuilder(2);
    b.reserveInputs(1);
    amplitudeEmbedding(b, { features: 3, offset: 1 });
    const c = b.build();
    assert.equal(c.nInputs, 4);
    const s = run(c, { inputs: [99, 3, 0, 4], batch: 1 });
    assertStateClose(amplitudes(s), [cx(0.6), O, cx(0.8), O], TOL.exact);
  });

  test('the state prep loads complex amplitudes, re parts then im parts', () => {
    const rng = new Rng(3);
    const psi = randomState(rng, 3);
    const s = run(circuitOf(3, [], { kind: 'state' }), { inputs: stateRows([psi]) });
    assertStateClose(amplitudes(s), psi, TOL.exact);
  });

  test('the state prep normalizes, so a perturbed state is still a state', () => {
    const s = run(circuitOf(1, [], { kind: 'state' }), { inputs: [3, 0, 0, 4] });
    assertStateClose(amplitudes(s), [cx(0.6), cx(0, 0.8)], TOL.exact);
  });

  test('simulate reuses an `into` buffer and resets it', () => {
    const c = circuitOf(2, [op('H', [0])]);
    const into = allocState(2, 1);
    into.re.fill(7);
    into.im.fill(7);
    const s = simulate(args(c), undefined, into);
    assert.equal(s, into);
    assertStateClose(amplitudes(s), [cx(h), O, cx(h), O], TOL.exact);
  });

  test('simulate rejects an `into` buffer of the wrong shape (fails until fixed: it returns a batch of 1 for a batch of 3)', () => {
    const c = circuitOf(1, [op('H', [0])]);
    assert.throws(
      () => simulate(args(c, { batch: 3 }), undefined, allocState(1, 1)),
      (e: unknown) => e instanceof QflError && e.field === 'into',
    );
  });

  test('a parameter shift moves exactly one tape operation', () => {
    const c = circuitOf(1, [op('RX', [0], [0.2]), op('RY', [0], [0.5])]);
    const shifted = simulate(args(c), { tapeIndex: 1, shift: 0.25 });
    assertStateClose(amplitudes(shifted), amplitudes(run(circuitOf(1, [op('RX', [0], [0.2]), op('RY', [0], [0.75])]))), TOL.exact);
  });
});

describe('batching', () => {
  test('a batch of B equals B single simulations (angle, IQP, weights, per-sample and shared angles)', () => {
    const rng = new Rng(17);
    const b = new CircuitBuilder(4);
    angleEmbedding(b, { features: 4, rotation: 'Y', scale: 0.9 });
    iqpEmbedding(b, { features: 3 });
    stronglyEntangling(b, { layers: 2 });
    b.add('CRY', [3, 0], [input(2, -1.5)]);
    b.add('RXX', [1, 2], [weight(0)], [3]);
    const c = b.build();
    const B = 5;
    const weights = Array.from({ length: c.nWeights }, () => rng.normal());
    const inputs = Array.from({ length: B * c.nInputs }, () => rng.normal());
    const together = run(c, { weights, inputs, batch: B });
    for (let k = 0; k < B; k++) {
      const alone = run(c, { weights, inputs: inputs.slice(k * c.nInputs, (k + 1) * c.nInputs) });
      assertStateClose(amplitudes(together, k), amplitudes(alone), 1e-15, `sample ${k}`);
    }
  });

  test('a batch with amplitude embedding and the state prep equals single runs', () => {
    const rng = new Rng(19);
    const b = new CircuitBuilder(3);
    amplitudeEmbedding(b, { features: 6 });
    b.rx(1, input(6)).cnot(1, 2).add('U3', [0], [input(0), weight(0), input(7)]);
    const c = b.build();
    const B = 4;
    const inputs = Array.from({ length: B * c.nInputs }, () => rng.normal());
    const together = run(c, { weights: [0.3], inputs, batch: B });
    for (let k = 0; k < B; k++) {
      const alone = run(c, { weights: [0.3], inputs: inputs.slice(k * c.nInputs, (k + 1) * c.nInputs) });
      assertStateClose(amplitudes(together, k), amplitudes(alone), 1e-15, `amplitude sample ${k}`);
    }
    const cs = circuitOf(3, [op('H', [1]), op('RZZ', [0, 2], [0.4])], { kind: 'state' });
    const states = [randomState(rng, 3), randomState(rng, 3), randomState(rng, 3)];
    const sb = run(cs, { inputs: stateRows(states), batch: 3 });
    states.forEach((psi, k) => {
      assertStateClose(amplitudes(sb, k), amplitudes(run(cs, { inputs: stateRows([psi]) })), 1e-15, `state sample ${k}`);
    });
  });
});

describe('unitarity (properties)', () => {
  const SEED = 20240611;

  test('norm stays 1 on random circuits with any parameters and batch sizes', () => {
    const nW = 3;
    const nI = 3;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            ops: fc.array(opArb(n, anyParam(nW, nI)), { maxLength: 25 }),
            batch: fc.integer({ min: 1, max: 4 }),
            seed: fc.nat(),
          }),
        ),
        ({ n, ops, batch, seed }) => {
          const rng = new Rng(seed);
          const c = circuitOf(n, ops, undefined, nI);
          const weights = Array.from({ length: Math.max(c.nWeights, nW) }, () => rng.normal(0, 2));
          const inputs = Array.from({ length: batch * c.nInputs }, () => rng.normal(0, 2));
          const s = run(c, { weights, inputs, batch });
          for (let k = 0; k < batch; k++) assert.ok(Math.abs(norm2(amplitudes(s, k)) - 1) < TOL.exact, `norm of sample ${k}`);
        },
      ),
      { numRuns: 150, seed: SEED },
    );
  });

  test('inner products between batch members are preserved (the same unitary on every sample)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.record({ n: fc.constant(n), ops: fc.array(opArb(n, constParam), { maxLength: 25 }), seed: fc.nat() }),
        ),
        ({ n, ops, seed }) => {
          const rng = new Rng(seed);
          const c = circuitOf(n, ops, { kind: 'state' });
          const before = [randomState(rng, n), randomState(rng, n), randomState(rng, n)];
          const s = run(c, { inputs: stateRows(before), batch: 3 });
          const after = [0, 1, 2].map((k) => amplitudes(s, k));
          for (const [a, b] of [[0, 1], [1, 2], [0, 2]] as const) {
            const x = inner(before[a]!, before[b]!);
            const y = inner(after[a]!, after[b]!);
            assertClose(y, x, TOL.exact, `<psi${a}|psi${b}>`);
          }
          for (const v of after) assert.ok(Math.abs(norm2(v) - 1) < TOL.exact, 'norm');
        },
      ),
      { numRuns: 150, seed: SEED + 1 },
    );
  });

  test('circuit matrices of random circuits are unitary', () => {
    fc.assert(
      fc.property(fc.array(opArb(3, constParam), { minLength: 1, maxLength: 15 }), (ops) => {
        const u = circuitMatrix(3, ops);
        const udu = u[0]!.map((_, i) => u[0]!.map((_, j) => inner(u.map((r) => r[i]!), u.map((r) => r[j]!))));
        assertMatClose(udu, identity(8), TOL.exact, 'U^dagger U');
      }),
      { numRuns: 60, seed: SEED + 2 },
    );
  });

  test('every gate kind appears in the random circuits', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.array(opArb(4, constParam), { maxLength: 25 }), (ops) => {
        for (const o of ops) seen.add(o.gate);
      }),
      { numRuns: 100, seed: SEED + 3 },
    );
    assert.deepEqual([...seen].sort(), Object.keys(GATES).sort());
  });
});
