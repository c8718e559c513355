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
import { deploymentPipeline } from './deployment-pipeline.js';
import { runNode } from './node.js';
import { FleetServer } from './server.js';
import { qfl } from './testing.js';

/**
 * Local DP in a deployment: the server chooses every fit's seed, so noise
 * drawn from that seed is noise the server can recompute and subtract. The
 * attack below is the server's: run the seeded local_dp step on a zero
 * vector with the instruction's seed, subtract. Against the simulation's
 * seeded noise it recovers the clipped update to rounding; against a `qfl
 * client` node (whose noise comes from the OS CSPRNG) it leaves the noise in.
 * Before deployment-pipeline.ts the node used the seeded stream, and the
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
