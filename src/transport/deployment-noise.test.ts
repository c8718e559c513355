import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { stringify } from 'yaml';
import { appConfigOf } from '../experiments/runner.js';
import { createClientApp } from '../experiments/client-app.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { validate } from '../experiments/validate.js';
import { fit } from '../fl/client.js';
import type { FitIns, FitRes } from '../fl/messages.js';
import { applyClient, createPipeline, isFailure, type PipelineSpec } from '../fl/pipeline.js';
import { clipToNorm } from '../security/robust/clipping.js';
import { addCentralNoise, dpFedAvgRound, DP_STREAM, type DpFedAvgOptions } from '../security/dp/central.js';
import { deriveSeed, Rng } from '../util/random.js';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { deploymentDp, deploymentPipeline } from './deployment-noise.js';
import { qfl as qflProc, serverUrl } from './testing.js';
import { runNode } from './node.js';
import { FleetServer } from './server.js';
const qfl = qflProc;

/**
 * Local DP in a deployment: the server chooses every fit's seed, so noise
 * drawn from that seed is noise the server can recompute and subtract. The
 * attack below is the server's: run the seeded local_dp step on a zero
 * vector with the instruction's seed, subtract. Against the simulation's
 * seeded noise it recovers the clipped update to rounding; against a `qfl
 * client` node (whose noise comes from the OS CSPRNG) it leaves the noise in.
 * Before deployment-noise.ts the node used the seeded stream, and the
 * deployed case below recovered the update to 1e-16 too.
 */
const CLIP = 0.5;
const Z = 1;
const spec: PipelineSpec = [{ type: 'local_dp', clip_norm: CLIP, noise_multiplier: Z }];
const config = validate(RunConfigSchema, {
  name: 'local-dp',
  seed: 11,
  data: { name: 'entanglement', qubits: 3, samples: 120 },
  model: { kind: 'qstate', layers: 4 },
  federation: { clients: 2, rounds: 1 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  pipeline: spec,
  runtime: { workers: 0 },
});
const app = createClientApp(appConfigOf(config));
const SEED = 424242;
const ins: FitIns = {
  round: 1,
  clientId: 0,
  params: app.model().params.slice(),
  config: { epochs: 1, batchSize: 8, lr: 0.05, proximalMu: 0, optimizer: 'adam', seed: SEED },
};

const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const minus = (a: Float64Array, b: Float64Array) => a.map((x, i) => x - b[i]!);

/** The server's attack: the noise that the seeded local_dp step draws for this instruction, subtracted. */
function subtractSeededNoise(sent: FitRes): Float64Array {
  const attacker = createPipeline([{ ...spec[0]!, noise_source: 'seeded' }]);
  const zero = new Float64Array(sent.update.length);
  const noise = applyClient(attacker, zero, { round: ins.round, clientId: ins.clientId, numExamples: sent.numExamples, seed: ins.config.seed }).update;
  return minus(sent.update, noise);
}

/** What the client would send with no noise: its clipped delta (the test's yardstick, not the attacker's knowledge). */
const clean = clipToNorm(fit(app, ins).update, CLIP).out;
const noiseNorm = Z * CLIP * Math.sqrt(clean.length);

test('the server subtracts seeded local DP noise to rounding (why seeded noise is for simulations only)', () => {
  const sent = fit(app, ins, createPipeline(spec));
  assert.ok(norm(minus(sent.update, clean)) > 0.5 * noiseNorm, 'the update carries noise');
  assert.ok(norm(minus(subtractSeededNoise(sent), clean)) < 1e-12);
});

test('a qfl client node draws local DP noise from the OS: the same subtraction leaves the noise in', async () => {
  const server = new FleetServer({
    host: '127.0.0.1',
    port: 0,
    heartbeatIntervalS: 1,
    silenceTimeoutS: 30,
    maxMessageBytes: 1 << 22,
    run: { runId: 'dp', name: 'local-dp', appConfigJson: JSON.stringify(appConfigOf(config)), pipelineJson: JSON.stringify(spec), numClients: 2, rounds: 1, numParameters: clean.length },
  });
  const url = await server.listen();
  const node = runNode({ server: url, name: 'n0', clientIds: [0, 1], workers: 0, reconnectTimeoutS: 30, maxMessageBytes: 1 << 22, log: () => undefined });
  try {
    await server.fleet.waitForClients([0, 1], 60);
    const outcomes = await server.executor().fit([ins, ins]);
    const [a, b] = outcomes.map((o) => {
      assert.ok(!isFailure(o), `fit failed: ${JSON.stringify(o)}`);
      return o as FitRes;
    });
    assert.ok(norm(minus(a!.update, clean)) > 0.5 * noiseNorm && norm(minus(a!.update, clean)) < 2 * noiseNorm, 'noise of the configured size');
    // The attack: what is left is the node's noise minus the seeded stream's, std sqrt(2) z C per coordinate.
    const residual = norm(minus(subtractSeededNoise(a!), clean));
    assert.ok(residual > 0.5 * noiseNorm, `the server recovered the update to ${residual}`);
    assert.notDeepEqual([...a!.update], [...b!.update], 'the same seed twice gives fresh noise');
    await server.finish();
    await node;
  } finally {
    await server.close();
  }
});

test('deployed nodes and qfl server refuse a pipeline that insists on seeded noise', async () => {
  assert.deepEqual(deploymentPipeline(spec), [{ ...spec[0], noise_source: 'os' }]);
  assert.deepEqual(deploymentPipeline([{ type: 'clip', max_norm: 1 }]), [{ type: 'clip', max_norm: 1 }]);
  const seeded = [{ ...spec[0]!, noise_source: 'seeded' }];
  assert.throws(() => deploymentPipeline(seeded, 'run.pipeline_json'), /run\.pipeline_json\[0\]\.noise_source: seeded noise is for simulations/);
  // A bad value is left for the pipeline's validation to name.
  assert.throws(() => createPipeline(deploymentPipeline([{ ...spec[0]!, noise_source: 'dice' }])), /pipeline\[0\]\.noise_source/);

  // A server that asks for seeded noise: the node refuses to train for it.
  const server = new FleetServer({
    host: '127.0.0.1',
    port: 0,
    heartbeatIntervalS: 1,
    silenceTimeoutS: 30,
    maxMessageBytes: 1 << 22,
    run: { runId: 'dp2', name: 'local-dp', appConfigJson: JSON.stringify(appConfigOf(config)), pipelineJson: JSON.stringify(seeded), numClients: 2, rounds: 1, numParameters: clean.length },
  });
  const url = await server.listen();
  try {
    await assert.rejects(runNode({ server: url, name: 'n0', clientIds: [0], workers: 0, reconnectTimeoutS: 30, maxMessageBytes: 1 << 22, log: () => undefined }), /noise_source: seeded noise is for simulations/);
  } finally {
    await server.close();
  }

  const dir = mkdtempSync(join(tmpdir(), 'qfl-dp-deploy-'));
  try {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, stringify({ ...config, pipeline: seeded }));
    const p = qfl(['server', path, '--insecure', '--port', '0', '--no-ui', '--out', join(dir, 'run')]);
    assert.equal(await p.exited, 1);
    assert.match(p.lines.join('\n'), /config\.yaml: pipeline\[0\]\.noise_source: seeded noise is for simulations/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('central DP: a node that knows the run seed subtracts seeded server noise to rounding, not OS noise; qfl server uses OS noise and records it', async () => {
  const updates = [0, 1, 2, 3].map((k) => new Float64Array(50).map((_, j) => Math.sin(k + j) / 10));
  const mean = new Float64Array(50).map((_, j) => updates.reduce((s, u) => s + u[j]!, 0) / 4);
  const o: DpFedAvgOptions = { noiseMultiplier: 1, clip: { kind: 'fixed', norm: 1 }, seed: 11 };
  // The node's attack: the run seed is in the app config every node receives.
  const attack = (aggregate: Float64Array) => {
    const noise = addCentralNoise(new Float64Array(50), { clipNorm: 1, noiseMultiplier: 1, numClients: 4 }, new Rng(deriveSeed(11, DP_STREAM, 0)));
    return norm(minus(minus(aggregate, noise), mean));
  };
  assert.ok(attack(dpFedAvgRound(updates, undefined, o).aggregate) < 1e-15);
  const osRound = dpFedAvgRound(updates, undefined, { ...o, noiseSource: 'os' });
  assert.ok(attack(osRound.aggregate) > 0.5 * Math.sqrt(50) * osRound.noiseStd, 'OS noise is not the seed\'s');

  assert.deepEqual(deploymentDp({ noise_multiplier: 1 }), { noise_multiplier: 1, noise_source: 'os' });
  assert.throws(() => deploymentDp({ noise_source: 'seeded' }, 'c.yaml: dp'), /c\.yaml: dp\.noise_source: seeded noise is for simulations/);

  const dir = mkdtempSync(join(tmpdir(), 'qfl-dp-central-'));
  try {
    const dp = { noise_multiplier: 0.5, clip: { kind: 'fixed', norm: 1 } };
    const path = join(dir, 'config.yaml');
    const base = { name: 'central', seed: 3, data: { name: 'entanglement', qubits: 3, samples: 80 }, model: { kind: 'qstate', layers: 2 }, federation: { clients: 2, rounds: 1 }, local: { epochs: 1, batch_size: 8, lr: 0.05 }, runtime: { workers: 0 } };
    writeFileSync(path, stringify({ ...base, dp: { ...dp, noise_source: 'seeded' } }));
    const refused = qfl(['server', path, '--insecure', '--port', '0', '--no-ui', '--out', join(dir, 'refused')]);
    assert.equal(await refused.exited, 1);
    assert.match(refused.lines.join('\n'), /config\.yaml: dp\.noise_source: seeded noise is for simulations/);
    writeFileSync(path, stringify({ ...base, dp }));
    const runDir = join(dir, 'run');
    const server = qfl(['server', path, '--insecure', '--port', '0', '--no-ui', '--out', runDir, '--wait-timeout', '60']);
    const node = qfl(['client', '--server', await serverUrl(server), '--insecure', '--partition', '0-1', '--name', 'n']);
    assert.equal(await server.exited, 0, server.lines.join('\n'));
    assert.equal(await node.exited, 0, node.lines.join('\n'));
    assert.equal((parse(readFileSync(join(runDir, 'config.yaml'), 'utf8')) as { dp: { noise_source: string } }).dp.noise_source, 'os');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
