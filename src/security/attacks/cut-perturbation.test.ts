import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import { TOL, assertClose, throwsExactly } from '../../quantum/testing.js';
import {
  consistencyChecks,
  consistencyResiduals,
  detectionStudy,
  perturbationStudy,
  perturbedUncut,
  tamperedExecutor,
  exampleAttackReport,
  formatAttackReport,
} from './cut-perturbation.js';
import { exampleClassifierCut } from '../../quantum/cutting/example.js';
import { exactExecutor, executeCut, runCut, uncutExpval } from '../../quantum/cutting/execute.js';
import { normalQuantile, ShotSampler } from '../../quantum/cutting/stats.js';

const classifier = (): ReturnType<typeof exampleClassifierCut> => exampleClassifierCut();

describe('perturbation of one node', () => {
  test('the reconstruction equals the uncut circuit with V inserted at the cut', () => {
    const cut = classifier();
    assert.equal(cut.overhead.nWireCuts, 1);
    assert.equal(cut.overhead.nGateCuts, 1);
    assert.equal(cut.overhead.samplingOverhead, (4 * 3) ** 2);
    const rows = perturbationStudy(cut, { node: 'B', pauli: 'Y', eps: [0, 0.05, 0.1, 0.2, 0.4] });
    assert.ok(rows[0]!.shift < TOL.exact, `eps 0 moves nothing (${rows[0]!.shift})`);
    for (const r of rows) assert.ok(r.mismatchAtCut! < TOL.analytic, `eps ${r.eps}: mismatch ${r.mismatchAtCut}`);
    assert.ok(rows[1]!.shift > 0 && rows[4]!.shift > rows[1]!.shift, `shifts ${rows.map((r) => r.shift)}`);
    // The same V at the uncut circuit's input is a different (here smaller or other) change:
    const gap = Math.max(...rows.map((r) => Math.max(...r.reconstructed.map((v, j) => Math.abs(v - r.uncutAtInput[j]!)))));
    assert.ok(gap > 1e-3, `an intermediate-layer gate is not an input perturbation (gap ${gap})`);
  });

  test("target 'inputs' also perturbs the node's own wires at the start", () => {
    const cut = classifier();
    const rows = perturbationStudy(cut, { node: 'B', pauli: 'X', eps: [0.15, 0.3], target: 'inputs' });
    for (const r of rows) assert.ok(r.mismatchAtCut! < TOL.analytic && r.shift > 1e-3);
    // Node A has no prepared inputs: with 'prepared' it has nothing to perturb.
    const a = perturbationStudy(cut, { node: 'A', pauli: 'X', eps: [0.3] });
    assert.ok(a[0]!.shift < TOL.exact);
  });

  test('the uncut equivalent is the circuit with one extra RY on wire 1 before op 11', () => {
    const cut = classifier();
    const c = perturbedUncut(cut, { node: 'B', pauli: 'Y', eps: 0.25 }, 'cut');
    assert.equal(c.ops.length, cut.partition.circuit.ops.length + 1);
    assert.deepEqual(c.ops[11], { gate: 'RY', wires: [1], params: [{ kind: 'const', value: 0.5 }] });
    const tampered = runCut(cut, tamperedExecutor(cut, exactExecutor, { node: 'B', pauli: 'Y', eps: 0.25 }));
    assertClose(tampered, uncutExpval(cut, c), TOL.analytic, 'tampered');
  });

  test('selective perturbation has no unitary equivalent and breaks the identities', () => {
    const cut = classifier();
    const rows = perturbationStudy(cut, { node: 'B', pauli: 'Y', eps: [0.2], mode: 'selective' });
    assert.equal(rows[0]!.uncutAtCut, undefined);
    assert.ok(rows[0]!.shift > 1e-3);
    const checks = consistencyChecks(cut, 'B');
    // One wire cut into B (2 identities) and one gate-cut side (1), per observable: 3 x 2, per group of other settings (5 gate-side settings for the X/Y pairs, 6 prep states for the rotation).
    assert.equal(checks.filter((c) => c.kind === 'prepareX').length, 5 * 2);
    assert.equal(checks.filter((c) => c.kind === 'rotation').length, 6 * 2);
    const honest = executeCut(cut, exactExecutor);
    const uniform = executeCut(cut, tamperedExecutor(cut, exactExecutor, { node: 'B', pauli: 'Y', eps: 0.2 }));
    const selective = executeCut(cut, tamperedExecutor(cut, exactExecutor, { node: 'B', pauli: 'Y', eps: 0.2, mode: 'selective' }));
    const maxAbs = (a: Float64Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    assert.ok(maxAbs(consistencyResiduals(cut, checks, honest)) < TOL.exact);
    assert.ok(maxAbs(consistencyResiduals(cut, checks, uniform)) < TOL.exact, 'a uniform V keeps every identity');
    assert.ok(maxAbs(consistencyResiduals(cut, checks, selective)) > 0.01, 'a selective V breaks them');
  });

  test('errors name the node', () => {
    const cut = classifier();
    throwsExactly(() => perturbationStudy(cut, { node: 'C', pauli: 'Y', eps: [0.1] }), "node: unknown node 'C'; nodes are 'A', 'B'");
  });
});

describe('detection', () => {
  test('normal quantiles', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.005) + 2.575829304) < 1e-8);
  });

  test('shot sampler: exact binomial mean and variance', () => {
    const rng = new Rng(3);
    for (const [value, shots] of [[0.3, 100], [-0.95, 1000], [0, 1]] as const) {
      const s = new ShotSampler(value, shots);
      const draws = Array.from({ length: 20000 }, () => s.draw(rng));
      const mean = draws.reduce((a, x) => a + x, 0) / draws.length;
      const variance = draws.reduce((a, x) => a + (x - mean) ** 2, 0) / (draws.length - 1);
      const expected = (1 - value * value) / shots;
      assert.ok(Math.abs(mean - value) < 5 * Math.sqrt(expected / draws.length), `mean ${mean} for ${value}`);
      assert.ok(Math.abs(variance / expected - 1) < 0.05, `variance ${variance} vs ${expected}`);
    }
    assert.equal(new ShotSampler(1, 50).draw(rng), 1);
    assert.equal(new ShotSampler(-1, 50).draw(rng), -1);
  });

  test('detection rate grows with eps; identities cannot see a uniform perturbation', () => {
    const cut = classifier();
    const rng = new Rng(5);
    const eps = [0, 0.1, 0.3, 0.6];
    const common = { node: 'B', eps, shots: 1000, trials: 120, falseAlarm: 0.05, rng } as const;
    const uniform = detectionStudy(cut, common);
    const selective = detectionStudy(cut, { ...common, mode: 'selective' });
    // False alarms at eps = 0 stay near the nominal 5%.
    for (const rows of [uniform, selective]) {
      assert.ok(rows[0]!.redundancyRate <= 0.12, `redundancy false alarms ${rows[0]!.redundancyRate}`);
      assert.ok(rows[0]!.identityRate <= 0.12, `identity false alarms ${rows[0]!.identityRate}`);
    }
    for (const r of uniform) {
      assert.ok(r.identityResidual < TOL.exact);
      assert.ok(r.identityRate <= 0.12, `uniform eps ${r.eps}: identity rate ${r.identityRate}`);
    }
    assert.ok(uniform[3]!.redundancyRate >= 0.9, `redundancy at eps 0.6: ${uniform[3]!.redundancyRate}`);
    assert.ok(selective[3]!.identityRate >= 0.9, `identities at eps 0.6 (selective): ${selective[3]!.identityRate}`);
    assert.ok(uniform[3]!.redundancyRate >= uniform[1]!.redundancyRate);
    assert.ok(uniform[3]!.shift > uniform[1]!.shift);
  });

  test('the example report renders', () => {
    const text = formatAttackReport(exampleAttackReport(new Rng(1), 10));
    assert.ok(text.includes('| uniform | 0.6 |') && text.includes('| selective | 0.6 |'));
  });
});
