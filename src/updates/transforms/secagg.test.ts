import assert from 'node:assert/strict';
import test from 'node:test';
import { sumMod } from '../../security/secagg/masking.js';
import { workingModulus } from '../../security/secagg/quantize.js';
import { weightedAverage } from '../../util/vectors.js';
import { applyClient, createPipeline, finishAggregate, lengthAfter, receiveUpdates } from '../pipeline.js';

const spec = { type: 'secagg', bits: 16, clip: 1, rounding: 'deterministic', max_clients: 8, weight_cap: 1000 };

test('secagg step: clamped, weighted, quantized levels with the count masked along; the sum decodes to FedAvg\'s mean', () => {
  const p = createPipeline([{ type: 'clip', max_norm: 10 }, spec]);
  // 16-bit digits: 1000 examples fit in one.
  assert.equal(lengthAfter(p, 3), 4);
  const deltas = [Float64Array.of(0.5, -0.25, 0.1), Float64Array.of(-0.3, 0.2, 0.9), Float64Array.of(0.05, 0, -1.5)];
  const counts = [1000, 10, 400];
  const sent = deltas.map((d, k) => applyClient(p, d, { round: 1, clientId: k, numExamples: counts[k]!, seed: 3 }).update);
  assert.deepEqual(sent.map((u) => u[3]), counts);
  for (const u of sent) for (const v of u) assert.ok(Number.isInteger(v) && v >= 0);
  const { results, failures } = receiveUpdates(p, sent.map((update, clientId) => ({ round: 1, clientId, update, numExamples: counts[clientId]!, metrics: {} })), { round: 1, paramCount: 3 });
  assert.equal(failures.length, 0);
  const { modulus } = workingModulus(16, 8);
  const report: Record<string, number> = {};
  const mean = finishAggregate(p, sumMod(results.map((r) => r.update), modulus, 4), { round: 1, paramCount: 3, clientIds: [0, 1, 2], report });
  assert.equal(report['num_examples'], 1410);
  // FedAvg of the clamped deltas (the last entry -1.5 is clamped to -1), to quantization error W m c / (L N).
  const want = weightedAverage(deltas.map((d) => d.map((v) => Math.max(-1, Math.min(1, v)))), counts);
  const bound = (1000 * 3) / (65535 * 1410);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(mean[i]! - want[i]!) <= bound, `entry ${i}: ${mean[i]} vs ${want[i]}`);
});

test('secagg step: a plain-length update is refused, as is a count above the cap; it must come last', () => {
  const p = createPipeline([spec]);
  const { failures } = receiveUpdates(p, [{ round: 1, clientId: 0, update: new Float64Array(3), numExamples: 1, metrics: {} }], { round: 1, paramCount: 3 });
  assert.match(failures[0]!.reason, /update has 3 numbers, the pipeline sends 4 for the model's 3 parameters/);
  assert.throws(() => applyClient(p, new Float64Array(3), { round: 1, clientId: 0, numExamples: 1001, seed: 1 }), /numExamples: must be an integer in \[0, 1000\]/);
  assert.throws(() => createPipeline([spec, { type: 'clip', max_norm: 1 }]), /secagg must come last|cannot come after secagg/);
  assert.throws(() => createPipeline([{ ...spec, bits: 12 }]), /pipeline\[0\]\.bits/);
});
