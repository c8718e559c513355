import { createOptimizer } from '../models/optim.js';
import type { Sequential } from '../models/sequential.js';
import { evaluate as evaluateModel, train, type TrainOptions } from '../models/train.js';
import { fail } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import type { ClientApp } from './client-app.js';
import type { EvaluateIns, EvaluateRes, FitIns, FitRes, Metrics } from '../updates/messages.js';
import { applyClient, type Pipeline } from '../updates/pipeline.js';

/**
 * The client runtime: what one client does with a FitIns or an EvaluateIns.
 * Pure and synchronous, shared by every execution mode (in-process, the
 * worker pool, a remote node), so that the same message gives the same
 * answer, bit for bit, wherever it runs.
 *
 * `fit` (FedAvg, McMahan et al. 2017; FedProx, Li et al. 2020):
 *
 *   w <- w_global; train E local epochs with a fresh optimizer, where FedProx
 *   adds the gradient of (mu / 2) |w - w_global|^2, i.e. mu (w - w_global);
 *   update = pipeline(w_local - w_global)
 *
 * The shuffle draws from `new Rng(config.seed)`; each pipeline transform
 * from its own stream derived from the same seed.
 *
 * @example
 * const res = fit(app, { round: 1, clientId: 0, params, config });
 * // res.update = w_local - w_global; res.metrics = { loss, accuracy, seconds }
 */

/** One model per app (per thread): `fit` and `evaluate` overwrite its parameters from each message. */
const models = new WeakMap<ClientApp, Sequential>();

function modelOf(app: ClientApp): Sequential {
  let m = models.get(app);
  if (!m) {
    m = app.model();
    models.set(app, m);
  }
  return m;
}

function checkClientId(app: ClientApp, clientId: number): void {
  if (!Number.isInteger(clientId) || clientId < 0 || clientId >= app.numClients) {
    fail('clientId', `must be an integer in [0, ${app.numClients}), got ${clientId}`);
  }
}

/** Refuses params of the wrong length or with a non-finite entry, naming the first bad index. */
export function checkParams(params: Float64Array, paramCount: number, field = 'params'): void {
  if (!(params instanceof Float64Array)) fail(field, 'must be a Float64Array');
  if (params.length !== paramCount) fail(field, `must hold the model's ${paramCount} parameters, got ${params.length}`);
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i]!)) fail(`${field}[${i}]`, `must be finite, got ${params[i]}`);
  }
}

/** Local training on the client's partition; returns the update that leaves the client. */
export function fit(app: ClientApp, ins: FitIns, pipeline?: Pipeline): FitRes {
  const { clientId, config: c } = ins;
  checkClientId(app, clientId);
  if (!(Number.isFinite(c.proximalMu) && c.proximalMu >= 0)) {
    fail('config.proximalMu', `must be a finite number >= 0, got ${c.proximalMu}`);
  }
  const model = modelOf(app);
  const global = ins.params;
  checkParams(global, model.paramCount);
  model.setParams(global);
  const data = app.trainData(clientId);
  const optimizer = createOptimizer({ kind: c.optimizer, lr: c.lr });
  const mu = c.proximalMu;
  const rng = new Rng(c.seed);
  // A separate stream for the app's hooks, so that they do not shift the shuffling.
  const hookRng = new Rng(deriveSeed(c.seed, 7));
  const batchHook = app.batchTransform?.(clientId, model, hookRng);
  const options: TrainOptions = {
    epochs: c.epochs,
    batchSize: c.batchSize,
    optimizer,
    rng,
    ...(mu > 0 ? { gradHook: proximalTerm(mu, global) } : {}),
    ...(batchHook ? { batchHook } : {}),
  };
  const t0 = performance.now();
  const history = train(model, data, options);
  const seconds = (performance.now() - t0) / 1000;

  const w = model.params;
  let delta: Float64Array = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) delta[i] = w[i]! - global[i]!;
  if (app.attackUpdate) delta = app.attackUpdate(clientId, ins.round, delta, global, hookRng);
  for (let i = 0; i < delta.length; i++) {
    if (!Number.isFinite(delta[i]!)) {
      fail(`client ${clientId}`, `training diverged in round ${ins.round}: update[${i}] is ${delta[i]} (try a lower lr)`);
    }
  }
  const last = history[history.length - 1] ?? evaluateModel(model, data);
  const metrics: Metrics = { loss: last.loss, accuracy: last.accuracy, seconds };
  if (!pipeline || pipeline.transforms.length === 0) {
    return { round: ins.round, clientId, update: delta, numExamples: data.n, metrics };
  }
  const out = applyClient(pipeline, delta, { round: ins.round, clientId, numExamples: data.n, seed: c.seed });
  return { round: ins.round, clientId, update: out.update, numExamples: data.n, metrics: { ...out.metrics, ...metrics } };
}

/** FedProx's gradient hook: grad += mu (w - w_global), in place. */
export function proximalTerm(mu: number, global: Float64Array): (params: Float64Array, grad: Float64Array) => void {
  return (w, g) => {
    for (let i = 0; i < g.length; i++) g[i] += mu * (w[i]! - global[i]!);
  };
}

/** Loss and accuracy of the given parameters on the client's local test data. */
export function evaluate(app: ClientApp, ins: EvaluateIns): EvaluateRes {
  const { clientId } = ins;
  checkClientId(app, clientId);
  const model = modelOf(app);
  checkParams(ins.params, model.paramCount);
  model.setParams(ins.params);
  const data = app.testData(clientId);
  if (data.n === 0) fail(`client ${clientId}`, 'has no test data to evaluate on');
  const r = evaluateModel(model, data);
  return { round: ins.round, clientId, loss: r.loss, numExamples: data.n, metrics: { loss: r.loss, accuracy: r.accuracy } };
}
