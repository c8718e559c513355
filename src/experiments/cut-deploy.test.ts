import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { cutModel, type FragmentRunner } from '../quantum/cutting/distributed.js';
import { cutClassifierCircuit } from '../quantum/cutting/example.js';
import { runSubCircuit } from '../quantum/cutting/subcircuit.js';
import { Rng } from '../util/random.js';
import { validate } from './validate.js';
import { CutDeploySchema, cutAccuracy, cutDeployData, cutOutputs, trainCutClassifier, uncutOutputsOf, type CutRunner } from './cut-deploy.js';
import { qfl, type Proc } from '../transport/testing.js';

/** An in-process runner: every fragment on the local simulator, with or without shots. */
function localRunner(shots: number, seed: number): CutRunner {
  const rng = new Rng(seed);
  const runner: FragmentRunner = async (ft, w, W, x, B) => runSubCircuit(ft.task, w, W, x, B, shots > 0 ? { shots, rng } : {});
  return { runner, round: 0, stats: () => ({ tasks: 0, replicas: 0, failures: 0, evaluations: 0, shots: 0 }), flags: new Map(), excludedNodes: [] };
}

const spec = validate(CutDeploySchema, {
  name: 'cut-test',
  seed: 2,
  cut_model: { qubits: 8, layers: 2 },
  data: { classes: [0, 1], train_limit: 150, test_limit: 200 },
  train: { epochs: 2, batch_size: 25, lr: 0.05, shots: 0 },
});

test('a cut model trained through the cut reaches the uncut model\'s accuracy (exact: the same steps; 2000 shots: within 2 points)', { timeout: 300_000 }, async () => {
  const data = cutDeployData(spec);
  const { circuit, observables, labels } = cutClassifierCircuit(8, 2);
  const model = cutModel(circuit, observables, { labels });
  const uncut = await trainCutClassifier(model, data.train, spec, uncutOutputsOf(model));
  const exact = await trainCutClassifier(model, data.train, spec, cutOutputs(model, localRunner(0, 1)));
  const maxDiff = Math.max(...Array.from(exact.weights, (w, i) => Math.abs(w - uncut.weights[i]!)));
  assert.ok(maxDiff < 1e-8, `exact cut training follows the uncut steps (weights differ by ${maxDiff})`);
  const accUncut = await cutAccuracy(uncut, data.test, spec, uncutOutputsOf(model));
  assert.ok(accUncut > 0.75, `the uncut model learns (${accUncut})`);
  const noisy = await trainCutClassifier(model, data.train, { ...spec, train: { ...spec.train, shots: 2000 } }, cutOutputs(model, localRunner(2000, 9)));
  const accNoisy = await cutAccuracy(noisy, data.test, spec, uncutOutputsOf(model));
  assert.ok(Math.abs(accNoisy - accUncut) <= 0.02 + 1e-12, `trained with shots through the cut: ${accNoisy} vs uncut ${accUncut}`);
});

test('bad cut-deploy configs are refused with the key named', () => {
  assert.throws(() => validate(CutDeploySchema, { cut_model: { qubits: 8 }, train: { shots: -1 } }), /train\.shots/);
  assert.throws(() => validate(CutDeploySchema, { cut_model: { qubits: 8, width: 3 } }), /cut_model/);
});

test('qfl server examples-like cut config with two qfl client --qubits 4 nodes: trains, B turns malicious, is flagged and excluded', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-cut-'));
  const procs: Proc[] = [];
  try {
    const config = join(dir, 'cut.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'cut-e2e',
        seed: 1,
        cut_model: { qubits: 8, layers: 1 },
        data: { classes: [0, 1], train_limit: 50, test_limit: 40 },
        train: { epochs: 1, batch_size: 25, lr: 0.05, shots: 0 },
        detectors: { replica_fraction: 0.5, trusted: ['A'], false_alarm: 0.05, identity: true, exclude: false },
        attack: { node: 'B', pauli: 'Y', eps: [0, 0.3], shots: 1000, trials: 8, test_limit: 20, exclude: true },
      }),
    );
    const out = join(dir, 'run');
    const server = qfl(['server', config, '--insecure', '--port', '0', '--out', out, '--heartbeat', '0.5']);
    procs.push(server);
    const line = await server.waitFor(/listening on (http:\/\/\S+)/, 60_000);
    const url = /listening on (http:\/\/\S+)/.exec(line)![1]!;
    for (const name of ['A', 'B']) procs.push(qfl(['client', '--server', url, '--insecure', '--qubits', '4', '--name', name]));
    await server.waitFor(/^done: cut accuracy/, 240_000);
    assert.equal(await server.exited, 0);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { cutAccuracy: number; uncutAccuracy: number; attack: { rows: { eps: number; replicaRate: number }[]; excluded: string[] } };
    assert.equal(result.cutAccuracy, result.uncutAccuracy, 'exact training through the cut = uncut training');
    assert.equal(result.attack.rows[1]!.replicaRate, 1, 'at eps 0.3 every replicated task flags B');
    assert.deepEqual(result.attack.excluded, ['B']);
    const events = readFileSync(join(out, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; sampling_overhead?: number; node?: string });
    assert.ok(events.filter((e) => e.type === 'cut_round').every((e) => e.sampling_overhead === 9), 'one gate cut: gamma^2 = 9 reported per round');
    assert.ok(events.some((e) => e.type === 'cut_flag' && e.node === 'B'));
    assert.ok(readFileSync(join(out, 'report.html'), 'utf8').includes('Node B turns malicious'));
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill();
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  }
});
