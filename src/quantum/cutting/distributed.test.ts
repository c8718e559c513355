import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../util/random.js';
import { QflError } from '../../util/errors.js';
import { CircuitBuilder, input } from '../circuit.js';
import { parsePauliWord } from '../measure.js';
import { exactExecutor, executeCut } from './execute.js';
import { cutCircuit } from './experiments.js';
import { cutClassifierCircuit, exampleClassifierCut } from './example.js';
import { cutModel, runCutModel, shiftRules, uncutOutputs, type FragmentRunner } from './distributed.js';
import { fragmentTasks, runSubCircuit, checkSubCircuitTask } from './subcircuit.js';
import { drawShotMean, ShotSampler } from './stats.js';

const local: FragmentRunner = async (ft, weights, W, inputs, B) => runSubCircuit(ft.task, weights, W, inputs, B);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

test('sub-circuit tasks (mid-circuit measurement, no ancilla) give the ancilla experiments\' values', () => {
  // Wire cut and gate cut (exampleClassifierCut); the tasks carry labels, not circuits per experiment.
  const cut = exampleClassifierCut();
  const reference = executeCut(cut, exactExecutor);
  const K = cut.nObservables;
  for (const ft of fragmentTasks(cut)) {
    const got = runSubCircuit(ft.task, new Float64Array(0), 1, new Float64Array(0), 1);
    ft.experimentIndex.forEach((g, e) => {
      for (let k = 0; k < K; k++) assert.ok(Math.abs(got[e * K + k]! - reference[g * K + k]!) < 1e-12, `experiment ${g}, observable ${k}`);
    });
    // Every fragment fits its own qubits: no ancillas.
    assert.equal(ft.task.nQubits, cut.partition.fragments[ft.fragment]!.nQubits);
  }
});

test('an 8-qubit classifier on two 4-qubit fragments: outputs and parameter-shift Jacobian equal the uncut circuit', async () => {
  const { circuit, observables, labels } = cutClassifierCircuit(8, 2);
  const model = cutModel(circuit, observables, { labels });
  assert.deepEqual(model.tasks.map((t) => t.task.nQubits), [4, 4]);
  assert.equal(model.cut.overhead.nGateCuts, 2);
  assert.equal(model.cut.overhead.samplingOverhead, 81);
  const rng = new Rng(3);
  const weights = Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 2 - 1);
  const B = 3;
  const inputs = Float64Array.from({ length: B * circuit.nInputs }, () => rng.uniform());
  const got = await runCutModel(model, weights, inputs, B, local, true);
  const want = uncutOutputs(circuit, observables, shiftRules(circuit, () => 0), weights, inputs, B, true);
  assert.ok(maxDiff(got.values, want.values) < 1e-10, `values differ by ${maxDiff(got.values, want.values)}`);
  assert.ok(maxDiff(got.jacobian!, want.jacobian!) < 1e-10, `jacobian differs by ${maxDiff(got.jacobian!, want.jacobian!)}`);
  // The Jacobian is not trivially zero, and fragment tasks carry 1 + 2 x (own weights) rows.
  assert.ok(Math.max(...Array.from(want.jacobian!, Math.abs)) > 0.05);
  assert.deepEqual(got.stats.rows, [1 + 2 * 12, 1 + 2 * 12]);
});

test('shots: the reconstruction stays within 4 standard errors of the exact value', async () => {
  const { circuit, observables, labels } = cutClassifierCircuit(4, 1);
  const model = cutModel(circuit, observables, { labels });
  const weights = Float64Array.from({ length: circuit.nWeights }, (_, i) => 0.3 * i - 1);
  const inputs = Float64Array.from([0.2, 0.7, 0.4, 0.9]);
  const exact = await runCutModel(model, weights, inputs, 1, local);
  const shots = 4000;
  const rng = new Rng(11);
  const trials = 30;
  const sums = new Float64Array(observables.length);
  const sq = new Float64Array(observables.length);
  for (let t = 0; t < trials; t++) {
    const noisy = await runCutModel(model, weights, inputs, 1, async (ft, w, W, x, B) => runSubCircuit(ft.task, w, W, x, B, { shots, rng }));
    noisy.values.forEach((v, k) => {
      sums[k] += v;
      sq[k] += (v - exact.values[k]!) ** 2;
    });
  }
  sums.forEach((s, k) => {
    const sd = Math.sqrt(sq[k]! / trials);
    assert.ok(sd > 0, 'shots add noise');
    // gamma / sqrt(shots) bounds the spread of one estimate.
    assert.ok(sd < model.cut.overhead.gamma / Math.sqrt(shots) * 3, `spread ${sd}`);
    assert.ok(Math.abs(s / trials - exact.values[k]!) < (4 * sd) / Math.sqrt(trials), `mean ${s / trials} vs ${exact.values[k]}`);
  });
});

test('bad tasks are refused with the field named', () => {
  const { circuit, observables, labels } = cutClassifierCircuit(4, 1);
  const ft = cutModel(circuit, observables, { labels }).tasks[0]!;
  const t = ft.task;
  const bad = { ...t, experiments: [{ ...t.experiments[0]!, slots: ['spin'] as never }] };
  assert.throws(() => checkSubCircuitTask(bad), (e: unknown) => e instanceof QflError && /experiments\[0\]\.slots\[0\].*'spin' is not a gate-cut action/.test(e.message));
  const badPrep = { ...t, experiments: [{ ...t.experiments[0]!, prepare: [{ qubit: 0, state: '2' as never }] }] };
  assert.throws(() => checkSubCircuitTask(badPrep), /prepare\[0\]\.label.*'2' is not a state/);
});

test('shift rules refuse a weight read twice or a controlled rotation', () => {
  const b = new CircuitBuilder(2);
  const w = b.newWeight();
  b.ry(0, input(0)).ry(0, w).ry(1, w);
  assert.throws(() => shiftRules(b.build(), () => 0), /weights\[0\].*read by 2 gates/);
  const c = new CircuitBuilder(2);
  c.crx(0, 1, c.newWeight());
  assert.throws(() => shiftRules(c.build(), () => 0), /CRX.*single uncontrolled rotation/);
  // Unused weights have zero gradient.
  const cut = cutCircuit(c.build(), [parsePauliWord('Z1')], { labels: ['A', 'A'], keepParams: true });
  assert.equal(cut.partition.fragments.length, 1);
});

test('drawShotMean draws the same distribution as ShotSampler (mean, variance, tails)', () => {
  const rng = new Rng(4);
  for (const [v, shots] of [[0.3, 1000], [-0.95, 200], [0.999, 50], [0, 7]] as const) {
    const n = 20000;
    const a = Array.from({ length: n }, () => drawShotMean(v, shots, rng));
    const mean = a.reduce((s, x) => s + x, 0) / n;
    const variance = a.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    const want = (1 - v * v) / shots;
    assert.ok(Math.abs(mean - v) < 5 * Math.sqrt(want / n), `mean ${mean} vs ${v}`);
    assert.ok(Math.abs(variance / want - 1) < 0.06, `variance ${variance} vs ${want}`);
    const s = new ShotSampler(v, shots);
    const b = Array.from({ length: n }, () => s.draw(rng));
    const tail = (xs: number[]) => xs.filter((x) => x > v + 2 * Math.sqrt(want)).length / n;
    assert.ok(Math.abs(tail(a) - tail(b)) < 0.01, `upper tails ${tail(a)} vs ${tail(b)}`);
  }
});
