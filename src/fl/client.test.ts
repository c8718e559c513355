import { l2Norm } from '../util/vectors.js';
import assert from 'node:assert/strict';
import test from 'node:test';
import { createOptimizer } from '../models/optim.js';
import { evaluate as evaluateModel, train } from '../models/train.js';
import { Rng } from '../util/random.js';
import { checkParams, evaluate, fit, proximalTerm } from './client.js';
import type { FitConfig, FitIns } from '../updates/messages.js';
import { createPipeline } from '../updates/pipeline.js';
import { createClientApp } from './testing-app.js';

const app = createClientApp({ clients: 3, samplesPerClient: 16, testPerClient: 8 });
const global = app.model().getParams();
const config: FitConfig = { epochs: 2, batchSize: 4, lr: 0.05, proximalMu: 0, optimizer: 'adam', seed: 11 };
const ins = (over: Partial<FitConfig> = {}, clientId = 1): FitIns => ({
  round: 3,
  clientId,
  params: global,
  config: { ...config, ...over },
});

test('fit returns w_local - w_global after local training with a fresh optimizer and the seeded shuffle', () => {
  const res = fit(app, ins());
  const model = app.model();
  model.setParams(global);
  const history = train(model, app.trainData(1), {
    epochs: 2,
    batchSize: 4,
    optimizer: createOptimizer({ kind: 'adam', lr: 0.05 }),
    rng: new Rng(11),
  });
  const expected = model.params.map((w, i) => w - global[i]!);
  assert.deepEqual(res.update, expected);
  assert.equal(res.round, 3);
  assert.equal(res.clientId, 1);
  assert.equal(res.numExamples, 16);
  assert.equal(res.metrics['loss'], history[1]!.loss);
  assert.equal(res.metrics['accuracy'], history[1]!.accuracy);
  assert.ok(res.metrics['seconds']! >= 0);
  assert.ok(l2Norm(res.update) > 0);
});

test('fit is deterministic for a FitIns, does not touch the global params, and depends on the seed', () => {
  const before = global.slice();
  const a = fit(app, ins());
  const b = fit(app, ins());
  assert.deepEqual(a.update, b.update);
  assert.deepEqual(global, before);
  assert.notDeepEqual(fit(app, ins({ seed: 12 })).update, a.update);
});

test('the FedProx term adds mu (w - w_global) to the gradient', () => {
  const g = new Float64Array([1, 2]);
  proximalTerm(0.5, new Float64Array([1, 1]))(new Float64Array([3, -1]), g);
  assert.deepEqual(g, new Float64Array([2, 1]));
});

test('FedProx pulls the local model toward the global one: the larger mu, the smaller the delta', () => {
  const base = { optimizer: 'sgd', lr: 0.05, epochs: 5 } as const;
  const norms = [0, 2, 20].map((mu) => l2Norm(fit(app, ins({ ...base, proximalMu: mu })).update));
  assert.ok(norms[0]! > norms[1]! && norms[1]! > norms[2]!, `norms ${norms.join(', ')}`);
  // With lr * mu = 1 every step lands back on w_global - lr * grad: one step's worth of movement, not 20.
  assert.ok(norms[2]! < 0.25 * norms[0]!, `norms ${norms.join(', ')}`);
});

test('fit refuses non-finite or wrong-length params, a bad client id and a bad mu', () => {
  const bad = global.slice();
  bad[2] = NaN;
  assert.throws(() => fit(app, { ...ins(), params: bad }), { message: 'params[2]: must be finite, got NaN' });
  bad[2] = -Infinity;
  assert.throws(() => evaluate(app, { round: 1, clientId: 0, params: bad }), { message: 'params[2]: must be finite, got -Infinity' });
  assert.throws(() => fit(app, { ...ins(), params: global.subarray(1) }), /params: must hold the model's \d+ parameters, got \d+/);
  assert.throws(() => fit(app, ins({}, 3)), { message: 'clientId: must be an integer in [0, 3), got 3' });
  assert.throws(() => fit(app, ins({ proximalMu: -1 })), { message: 'config.proximalMu: must be a finite number >= 0, got -1' });
  assert.throws(() => checkParams(new Float64Array([1, Infinity]), 2, 'w'), { message: 'w[1]: must be finite, got Infinity' });
});

test('a client whose training diverges throws instead of sending a NaN update', () => {
  const nanApp = createClientApp({ clients: 2, nanClients: [0] });
  assert.throws(() => fit(nanApp, { ...ins({}, 0), params: nanApp.model().getParams() }), /client 0: training diverged in round 3: update\[\d+\] is NaN/);
});

test('zero local epochs give a zero delta and the metrics of the global model', () => {
  const res = fit(app, ins({ epochs: 0 }));
  assert.ok(res.update.every((v) => v === 0));
  const m = app.model();
  m.setParams(global);
  assert.equal(res.metrics['loss'], evaluateModel(m, app.trainData(1)).loss);
});

test('fit runs the client side of the pipeline and merges its metrics', () => {
  const plain = fit(app, ins());
  const res = fit(app, ins(), createPipeline([{ type: 'clip', max_norm: 1e-3 }]));
  assert.ok(Math.abs(l2Norm(res.update) - 1e-3) < 1e-15);
  assert.equal(res.metrics['clipped'], 1);
  assert.equal(res.metrics['clip_norm'], l2Norm(plain.update));
  assert.equal(res.metrics['loss'], plain.metrics['loss']);
  for (let i = 0; i < res.update.length; i++) {
    assert.ok(Math.abs(res.update[i]! - (plain.update[i]! * 1e-3) / l2Norm(plain.update)) < 1e-15);
  }
});

test('evaluate reports loss and accuracy on the client test data', () => {
  const res = evaluate(app, { round: 2, clientId: 2, params: global });
  const m = app.model();
  m.setParams(global);
  const r = evaluateModel(m, app.testData(2));
  assert.deepEqual(res, { round: 2, clientId: 2, loss: r.loss, numExamples: 8, metrics: { loss: r.loss, accuracy: r.accuracy } });
});
