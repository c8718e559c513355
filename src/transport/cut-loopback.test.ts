import assert from 'node:assert/strict';
import test from 'node:test';
import { cutModel, planLabels, reconstructionStdErrors, runCutModel, shiftRules, uncutOutputs, type FragmentRunner } from '../quantum/cutting/distributed.js';
import { cutClassifierCircuit } from '../quantum/cutting/example.js';
import { runSubCircuit } from '../quantum/cutting/subcircuit.js';
import { perturbationHook } from '../security/attacks/cut-node.js';
import { replicaFlagRate } from '../security/attacks/cut-perturbation.js';
import { Rng } from '../util/random.js';
import { cutInstruction } from './cut-codec.js';
import { CutDispatcher, type CutFlag } from './cut-dispatch.js';
import type { Result } from './gen/qfl/fleet/v1/fleet_pb.js';
import { FleetServer } from './server.js';
import { qfl, type Proc } from './testing.js';

/**
 * Real processes on 127.0.0.1: the test is the server (a FleetServer with a
 * CutDispatcher), and `qfl client --qubits 4` processes are the nodes.
 */
const { circuit, observables } = cutClassifierCircuit(8, 2);

async function withNodes(names: readonly { name: string; extra?: string[] }[], body: (server: FleetServer, nodes: Proc[]) => Promise<void>): Promise<void> {
  const server = new FleetServer({
    host: '127.0.0.1',
    port: 0,
    heartbeatIntervalS: 0.5,
    silenceTimeoutS: 30,
    maxMessageBytes: 64 * 2 ** 20,
    run: { runId: 'cut-test', name: 'cut-test', appConfigJson: '{}', pipelineJson: '[]', numClients: 0, rounds: 1, numParameters: circuit.nWeights },
  });
  const url = await server.listen();
  const nodes = names.map((n) => qfl(['client', '--server', url, '--insecure', '--qubits', '4', '--name', n.name, ...(n.extra ?? [])]));
  try {
    await server.fleet.waitForNodes((list) => names.every((n) => list.some((x) => x.name === n.name && x.qubits === 4)), 60, () => `nodes ${names.map((n) => n.name).join(', ')} did not join`);
    await body(server, nodes);
  } finally {
    await server.finish();
    await server.close();
    await Promise.all(nodes.map((n) => (n.child.exitCode === null ? (n.child.kill(), n.exited) : n.exited)));
  }
}

/** What a node answered: its failure message, or 'accepted'. */
const outcome = (r: Result): string | { failed: string } => (r.outcome.case === 'failure' ? { failed: r.outcome.value } : 'accepted');
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
const rng = new Rng(21);
const weights = Float64Array.from({ length: circuit.nWeights }, () => rng.uniform() * 2 - 1);
const B = 4;
const inputs = Float64Array.from({ length: B * circuit.nInputs }, () => rng.uniform());

test('two 4-qubit nodes reconstruct an 8-qubit circuit: exact to 1e-10, with shots inside the stated interval; bad tasks refused, server stays up', { timeout: 180_000 }, async () => {
  await withNodes([{ name: 'A' }, { name: 'B' }], async (server) => {
    const labels = planLabels(8, server.fleet.list());
    assert.deepEqual(labels, ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B']);
    const model = cutModel(circuit, observables, { labels });
    const want = uncutOutputs(circuit, observables, shiftRules(circuit, () => 0), weights, inputs, B, true);

    // Exact: outputs and the parameter-shift Jacobian (every shifted circuit's sub-experiments on the nodes).
    const exact = new CutDispatcher({ fleet: server.fleet, cut: model.cut, shots: 0, seed: 1, log: () => undefined });
    const got = await runCutModel(model, weights, inputs, B, exact.runner, true);
    assert.ok(maxDiff(got.values, want.values) < 1e-10, `values differ by ${maxDiff(got.values, want.values)}`);
    assert.ok(maxDiff(got.jacobian!, want.jacobian!) < 1e-10, `jacobian differs by ${maxDiff(got.jacobian!, want.jacobian!)}`);
    assert.equal(exact.stats().tasks, 2);

    // OpenQASM segments (bound to one row) give the same values.
    const qasm = new CutDispatcher({ fleet: server.fleet, cut: model.cut, shots: 0, seed: 1, encoding: 'qasm', log: () => undefined });
    const one = await runCutModel(model, weights, inputs.subarray(0, circuit.nInputs), 1, qasm.runner);
    assert.ok(maxDiff(one.values, want.values.subarray(0, observables.length)) < 1e-10);

    // Shots: each reconstructed value within 4 stated standard errors (delta method) of the exact one.
    const shots = 2000;
    const noisy = new CutDispatcher({ fleet: server.fleet, cut: model.cut, shots, seed: 7, log: () => undefined });
    const est = await runCutModel(model, weights, inputs, B, noisy.runner);
    for (let b = 0; b < B; b++) {
      const local: FragmentRunner = async (ft, w, W, x) => runSubCircuit(ft.task, w, W, x.subarray(b * circuit.nInputs, (b + 1) * circuit.nInputs), 1);
      // Exact experiment values of sample b, for the interval.
      const all = new Float64Array(model.cut.experiments.length * observables.length);
      for (const ft of model.tasks) {
        const v = await local(ft, weights, 1, inputs, 1);
        ft.experimentIndex.forEach((g, e) => observables.forEach((_, k) => (all[g * observables.length + k] = v[e * observables.length + k]!)));
      }
      const se = reconstructionStdErrors(model.cut, all, shots);
      observables.forEach((_, k) => {
        const d = Math.abs(est.values[b * observables.length + k]! - want.values[b * observables.length + k]!);
        assert.ok(se[k]! > 0 && d < 4 * se[k]!, `sample ${b}, observable ${k}: off by ${d}, stated standard error ${se[k]}`);
      });
    }

    // Bad tasks: refused by the node with a message naming the field; the server goes on.
    const wide = cutModel(...(() => {
      const c = cutClassifierCircuit(10, 1);
      return [c.circuit, c.observables, { labels: c.labels }] as const;
    })());
    const a = server.fleet.list().find((n) => n.name === 'A')!;
    const ft5 = wide.tasks[0]!;
    assert.equal(ft5.task.nQubits, 5);
    const refusal = await server.fleet.send(a.id, (id) => cutInstruction(id, 0, { task: ft5.task, weights: new Float64Array(wide.circuit.nWeights), W: 1, inputs: new Float64Array(10), B: 1, shots: 0, seed: 0 }), outcome);
    assert.match((refusal as { failed: string }).failed, /^instruction n\d+\.cut\.num_qubits: the sub-circuit is 5 qubits wide; this node simulates 4 \(--qubits\)$/);
    const ft = model.tasks[1]!;
    const bad = await server.fleet.send(
      a.id,
      (id) => {
        const i = cutInstruction(id, 0, { task: ft.task, weights, W: 1, inputs: inputs.subarray(0, 8), B: 1, shots: 0, seed: 0 });
        if (i.task.case === 'cut') i.task.value.experiments[2]!.slots[0] = 'spin';
        return i;
      },
      outcome,
    );
    assert.ok('failed' in (bad as object) && /experiments\[2\]\.slots\[0\]: 'spin' is not a gate-cut action; use one of id, z, measure, rz\+, rz-/.test((bad as { failed: string }).failed), JSON.stringify(bad));
    const garbage = await server.fleet.send(
      a.id,
      (id) => {
        const i = cutInstruction(id, 0, { task: ft.task, weights, W: 1, inputs: inputs.subarray(0, 8), B: 1, shots: 0, seed: 0 });
        if (i.task.case === 'cut') i.task.value.segments[0]!.body = { case: 'circuitJson', value: '{"nQubits": 4, "ops": [{"gate": "FOO", "wires": [0], "params": []}], "nWeights": 0, "nInputs": 0}' };
        return i;
      },
      outcome,
    );
    assert.ok(/segments\[0\]\.circuit_json\.ops\.0\.gate/.test((garbage as { failed: string }).failed), JSON.stringify(garbage));
    const again = await runCutModel(model, weights, inputs, B, exact.runner);
    assert.ok(maxDiff(again.values, want.values) < 1e-10, 'the nodes and the server still work after the refusals');
  });
});

test('a perturbing node is flagged by the replica detector at the rate the study measures, and excluded', { timeout: 240_000 }, async () => {
  const eps = 0.05;
  const shots = 1000;
  const falseAlarm = 0.05;
  await withNodes([{ name: 'A' }, { name: 'B', extra: ['--perturb', `Y:${eps}`] }], async (server) => {
    const model = cutModel(circuit, observables, { labels: planLabels(8, server.fleet.list()) });
    const x = inputs.subarray(0, circuit.nInputs);
    // The study: B's exact values with and without the perturbation, shot noise simulated, same test.
    const ftB = model.tasks.find((t) => t.node === 'B')!;
    const honest = runSubCircuit(ftB.task, weights, 1, x, 1);
    const tampered = runSubCircuit(ftB.task, weights, 1, x, 1, { insert: perturbationHook({ pauli: 'Y', eps }) });
    const study = replicaFlagRate(tampered, honest, shots, 2000, falseAlarm, new Rng(5));
    assert.ok(study > 0.2 && study < 0.95, `eps ${eps} should be a middling case; the study says ${study}`);

    const flags: CutFlag[] = [];
    const detectors = { replicaFraction: 1, trusted: ['A'], falseAlarm, identity: false, exclude: false };
    const d = new CutDispatcher({ fleet: server.fleet, cut: model.cut, shots, seed: 3, detectors, onEvent: (e) => flags.push(e), log: () => undefined });
    const trials = 80;
    for (let t = 0; t < trials; t++) {
      d.round = t + 1;
      await runCutModel(model, weights, x, 1, d.runner);
    }
    const rate = flags.filter((f) => f.detector === 'replica' && f.node === 'B').length / trials;
    assert.ok(flags.every((f) => f.node === 'B' && f.witness === 'A'), 'only B is flagged, by its replica on A');
    const sd = Math.sqrt((study * (1 - study)) / trials);
    assert.ok(Math.abs(rate - study) < 4 * sd + 0.02, `deployed rate ${rate} vs study ${study} (sd ${sd.toFixed(3)})`);

    // Exact mode with exclusion: B is flagged at once, excluded, and its fragment moves to A; the output is clean again.
    const strict = new CutDispatcher({ fleet: server.fleet, cut: model.cut, shots: 0, seed: 3, detectors: { ...detectors, exclude: true }, log: () => undefined });
    const first = await runCutModel(model, weights, x, 1, strict.runner);
    assert.deepEqual(strict.excludedNodes, ['B']);
    const clean = uncutOutputs(circuit, observables, model.rules, weights, x, 1).values;
    assert.ok(maxDiff(first.values, clean) < 1e-10, 'the replica values stand in for the flagged result');
    const after = await runCutModel(model, weights, x, 1, strict.runner);
    assert.ok(maxDiff(after.values, clean) < 1e-10);
    assert.equal(strict.flags.get('B')?.replica, 1, 'B gets no more tasks after its exclusion');
  });
});
