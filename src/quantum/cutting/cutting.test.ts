import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import { CircuitBuilder, input, weight, type Operation } from '../circuit.js';
import { parsePauliWord, type PauliWord } from '../measure.js';
import { TOL, assertClose, circuitMatrix, throwsExactly, type Mat } from '../testing.js';
import {
  CUTTABLE_GATES,
  PREP_GATES,
  WIRE_CUT_TERMS,
  gateCutGamma,
  gateCutTerms,
  lowerCutGate,
} from './decompositions.js';
import { cutCircuit, generateExperiments } from './experiments.js';
import {
  executeCut,
  exactExecutor,
  runCut,
  runCutAsync,
  sampleQuasiProbability,
  shotExecutor,
  type Executor,
} from './execute.js';
import { partition } from './partition.js';
import { randomCutCase, randomWord, uncut } from './testing.js';

const words = (...s: string[]): PauliWord[] => s.map((x) => parsePauliWord(x));

/** max |A - e^{i phi} B| over entries, phi fitted from the largest entry of B. */
function phaseDistance(a: Mat, b: Mat): number {
  let best = [0, 0, 0];
  b.forEach((row, i) => row.forEach((z, j) => {
    const m = z[0] ** 2 + z[1] ** 2;
    if (m > best[2]!) best = [i, j, m];
  }));
  const [i, j] = best as [number, number, number];
  const x = a[i]![j]!;
  const y = b[i]![j]!;
  // phase = x / y
  const d = y[0] ** 2 + y[1] ** 2;
  const pr = (x[0] * y[0] + x[1] * y[1]) / d;
  const pi = (x[1] * y[0] - x[0] * y[1]) / d;
  let err = 0;
  a.forEach((row, r) => row.forEach((z, c) => {
    const w = b[r]![c]!;
    err = Math.max(err, Math.hypot(z[0] - (pr * w[0] - pi * w[1]), z[1] - (pr * w[1] + pi * w[0])));
  }));
  return err;
}

describe('decompositions', () => {
  test('each cuttable gate equals its lowering to RZZ up to a global phase', () => {
    for (const gate of CUTTABLE_GATES) {
      const params = gate === 'CZ' || gate === 'CNOT' ? [] : [{ kind: 'const' as const, value: 0.731 }];
      for (const wires of [[0, 1], [1, 0]]) {
        const op: Operation = { gate, wires, params };
        const low = lowerCutGate(op, 'op');
        const local = (gs: typeof low.pre[0], w: number): Operation[] =>
          gs.map((g) => ({ gate: g.gate, wires: [w], params: g.params.map((value) => ({ kind: 'const' as const, value })) }));
        const ops: Operation[] = [
          ...local(low.pre[0], wires[0]!),
          ...local(low.pre[1], wires[1]!),
          { gate: 'RZZ', wires, params: [{ kind: 'const', value: low.alpha }] },
          ...local(low.post[0], wires[0]!),
          ...local(low.post[1], wires[1]!),
        ];
        const err = phaseDistance(circuitMatrix(2, ops), circuitMatrix(2, [op]));
        assert.ok(err < TOL.exact, `${gate} on [${wires}]: ${err}`);
      }
    }
  });

  test('gamma: 4 per wire cut, 3 for CZ and CNOT, 1 + 2|sin alpha| for RZZ', () => {
    assert.equal(WIRE_CUT_TERMS.reduce((a, t) => a + Math.abs(t.coef), 0), 4);
    const cz = lowerCutGate({ gate: 'CZ', wires: [0, 1], params: [] }, 'op');
    assert.ok(Math.abs(gateCutGamma(cz.alpha) - 3) < 1e-15);
    // RZZ(pi/6): 1 + 2 * 1/2 = 2; the six |coefficients| sum to the same.
    const a = Math.PI / 6;
    assert.ok(Math.abs(gateCutGamma(a) - 2) < 1e-15);
    assert.ok(Math.abs(gateCutTerms(a).reduce((s, t) => s + Math.abs(t.coef), 0) - 2) < 1e-15);
  });

  test('measure-and-prepare terms rebuild a qubit state (Bloch vector)', () => {
    // rho = (I + x X + y Y + z Z) / 2 with (x, y, z) = (0.3, -0.5, 0.6).
    const r = { X: 0.3, Y: -0.5, Z: 0.6, I: 1 } as const;
    // Bloch vectors of the prepared states.
    const bloch = { '0': [0, 0, 1], '1': [0, 0, -1], '+': [1, 0, 0], '-': [-1, 0, 0], '+i': [0, 1, 0], '-i': [0, -1, 0] } as const;
    const acc = [0, 0, 0, 0]; // trace, x, y, z
    for (const t of WIRE_CUT_TERMS) {
      const w = t.coef * r[t.measure];
      acc[0] += w;
      bloch[t.prepare].forEach((v, i) => (acc[i + 1] += w * v));
      assert.ok(PREP_GATES[t.prepare] !== undefined);
    }
    assertClose(acc, [1, 0.3, -0.5, 0.6], 1e-15, 'trace and Bloch vector');
  });
});

describe('partition and reconstruction', () => {
  test('a hand-made wire cut: 2 fragments, 4 + 6 experiments, overhead 16', () => {
    const b = new CircuitBuilder(2);
    b.h(0).cnot(0, 1).ry(1, 0.4);
    const c = b.build();
    // Wire 1 runs on A until the RY, which runs on B.
    const cut = cutCircuit(c, words('Z0 Z1', 'X1'), { labels: ['A', 'A'], wireCuts: [{ wire: 1, before: 2, label: 'B' }] });
    assert.deepEqual(cut.nodes, ['A', 'B']);
    assert.equal(cut.experiments.filter((e) => e.node === 'A').length, 4);
    assert.equal(cut.experiments.filter((e) => e.node === 'B').length, 6);
    assert.equal(cut.overhead.gamma, 4);
    assert.equal(cut.overhead.samplingOverhead, 16);
    assertClose(runCut(cut), uncut(c, words('Z0 Z1', 'X1')), TOL.analytic, 'reconstructed');
  });

  for (const [nWire, nGate] of [[1, 0], [0, 1], [2, 0], [1, 1], [0, 2], [3, 0], [2, 1], [1, 2], [0, 3]] as const) {
    test(`random circuits with ${nWire} wire and ${nGate} gate cuts reconstruct exactly`, () => {
      const rng = new Rng(1000 + 10 * nWire + nGate);
      for (let trial = 0; trial < 4; trial++) {
        const labels = trial % 2 === 0 ? ['A', 'A', 'B', 'B'] : ['A', 'B', 'C', 'A'];
        const cc = randomCutCase(rng, labels, nWire, nGate);
        const obs = [randomWord(rng, 4), randomWord(rng, 4), parsePauliWord('Z0 Z1 Z2 Z3'), { terms: [] }];
        const cut = cutCircuit(cc.circuit, obs, { labels: cc.labels, wireCuts: cc.wireCuts });
        assert.equal(cut.overhead.nWireCuts, nWire);
        assert.equal(cut.overhead.nGateCuts, nGate);
        const expected = cut.overhead.perCut.reduce((a, g) => a * g, 1);
        assert.ok(Math.abs(cut.overhead.gamma - expected) < 1e-12);
        assertClose(runCut(cut), uncut(cc.circuit, obs), TOL.analytic, `trial ${trial}`);
      }
    });
  }

  test('parameters are bound from weights and one input row', () => {
    const b = new CircuitBuilder(3);
    b.ry(0, input(0)).ry(1, input(1, 0.5)).rx(2, weight(0)).cnot(0, 1).add('RZZ', [1, 2], [weight(1)]).ry(2, weight(2));
    const c = b.build();
    const weights = [0.3, -1.1, 0.8];
    const inputs = [0.9, 2.0];
    const obs = words('Z2', 'X1 Z2', 'Z0 Y2');
    const cut = cutCircuit(c, obs, { labels: ['A', 'A', 'B'], weights, inputs });
    assert.equal(cut.overhead.nGateCuts, 1);
    assertClose(runCut(cut), uncut(c, obs, weights, inputs), TOL.analytic, 'bound');
    throwsExactly(() => cutCircuit(c, obs, { labels: ['A', 'A', 'B'], inputs }), "weights: the circuit reads weights (ops[2]); pass them to bind its parameters");
  });

  test('errors name the field', () => {
    const b = new CircuitBuilder(2);
    b.h(0).crx(0, 1, 0.3);
    const c = b.build();
    throwsExactly(() => partition(c, ['A']), 'labels: need one label per wire (2), got 1');
    throwsExactly(
      () => partition(c, ['A', 'B']),
      "ops[1]: CRX spans fragments (wire 0 on 'A', wire 1 on 'B') and cannot be cut; cuttable gates are CZ, CNOT, RZZ, RXX, RYY, CRZ, CPhase without extra controls — relabel the wires or add a wire cut",
    );
    throwsExactly(() => partition(c, ['A', 'A'], { wireCuts: [{ wire: 2, before: 0 }] }), 'wireCuts[0].wire: wire 2 is not in [0, 1]');
    throwsExactly(() => partition(c, ['A', 'A'], { wireCuts: [{ wire: 1, before: 3 }] }), 'wireCuts[0].before: must be an operation index in [0, 2], got 3');
    const amp = new CircuitBuilder(1).setPrep({ kind: 'amplitude', offset: 0, length: 2 }).build();
    throwsExactly(() => partition(amp, ['A']), "prep: circuit cutting needs the zero state preparation (a product state); got 'amplitude'");
    const cut = generateExperiments(partition(c, ['A', 'A'], { wireCuts: [{ wire: 1, before: 2, label: 'B' }] }), words('Z1'));
    throwsExactly(() => cut.postprocess(new Float64Array(3)), 'values: expected experiments (10) x observables (1) = 10 values, got 3');
    const bad: Executor = (batch, node) => (node === 'B' ? new Float64Array(batch.length).fill(NaN) : exactExecutor(batch, node));
    throwsExactly(() => executeCut(cut, bad), 'executor(B): returned NaN for experiment 4, observable 0');
  });
});

describe('executors', () => {
  test('an injected async executor (one call per node) gives the same result', async () => {
    const rng = new Rng(7);
    const cc = randomCutCase(rng, ['A', 'A', 'B', 'B'], 1, 1);
    const obs = [randomWord(rng, 4), parsePauliWord('Z1 Z2')];
    const cut = cutCircuit(cc.circuit, obs, { labels: cc.labels, wireCuts: cc.wireCuts });
    const calls: string[] = [];
    const remote = async (batch: Parameters<Executor>[0], node: string): Promise<Float64Array> => {
      calls.push(node);
      await new Promise((r) => setTimeout(r, node === 'A' ? 5 : 0));
      return exactExecutor(batch, node);
    };
    const got = await runCutAsync(cut, remote);
    assert.deepEqual(calls.sort(), ['A', 'B']);
    assertClose(got, runCut(cut), 0, 'async = sync');
  });

  test('quasi-probability sampling: unbiased, error <= gamma / sqrt(shots), shrinking as 1/sqrt(shots)', () => {
    const rng = new Rng(11);
    const cc = randomCutCase(rng, ['A', 'A', 'B', 'B'], 1, 0);
    const obs = words('Z0 Z3', 'X2');
    const cut = cutCircuit(cc.circuit, obs, { labels: cc.labels, wireCuts: cc.wireCuts });
    const exact = uncut(cc.circuit, obs);
    const values = executeCut(cut, exactExecutor);
    const { gamma } = cut.overhead;
    assert.equal(gamma, 4);
    const reps = 60;
    const rms: number[] = [];
    for (const shots of [400, 1600, 6400]) {
      let se = 0;
      let bias = 0;
      let reported = 0;
      for (let r = 0; r < reps; r++) {
        const est = sampleQuasiProbability(cut, values, shots, rng);
        const e = est.estimates[0]! - exact[0]!;
        se += e * e;
        bias += e;
        reported += est.stdErrors[0]! ** 2;
      }
      const rmsErr = Math.sqrt(se / reps);
      rms.push(rmsErr);
      // The stated overhead bounds the error (20% slack for the estimate of the RMS from 60 reps).
      assert.ok(rmsErr * Math.sqrt(shots) <= 1.2 * gamma, `shots ${shots}: rms * sqrt(shots) = ${rmsErr * Math.sqrt(shots)} > gamma`);
      // Mean error within 4 standard errors of zero.
      assert.ok(Math.abs(bias / reps) <= (4 * gamma) / Math.sqrt(shots * reps), `bias ${bias / reps}`);
      // The reported standard error matches the observed RMS within 35%.
      const rep = Math.sqrt(reported / reps);
      assert.ok(Math.abs(rep / rmsErr - 1) < 0.35, `reported ${rep} vs observed ${rmsErr}`);
    }
    // Four times the shots, half the error (1/sqrt(shots)), within statistical slack.
    for (let i = 1; i < rms.length; i++) {
      const ratio = rms[i - 1]! / rms[i]!;
      assert.ok(ratio > 1.4 && ratio < 2.9, `rms ratio ${ratio}`);
    }
  });

  test('shot executor (shots per sub-experiment): error shrinks as 1/sqrt(shots)', () => {
    const rng = new Rng(21);
    const cc = randomCutCase(rng, ['A', 'A', 'B', 'B'], 0, 1);
    const obs = words('Z0 Z3');
    const cut = cutCircuit(cc.circuit, obs, { labels: cc.labels, wireCuts: cc.wireCuts });
    const exact = uncut(cc.circuit, obs)[0]!;
    const reps = 40;
    const rms = [200, 3200].map((shots) => {
      let se = 0;
      for (let r = 0; r < reps; r++) se += (runCut(cut, shotExecutor(shots, rng))[0]! - exact) ** 2;
      return Math.sqrt(se / reps);
    });
    // 16x the shots: 4x smaller error (statistical slack: 2.6 .. 6).
    const ratio = rms[0]! / rms[1]!;
    assert.ok(ratio > 2.6 && ratio < 6, `ratio ${ratio} (rms ${rms})`);
  });
});
