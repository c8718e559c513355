import assert from 'node:assert/strict';
import { QflError } from '../../util/errors.js';
import type { FitRes, Metrics } from '../../updates/messages.js';
import type { LocalTraining } from './fedavg.js';

/** Test helpers for the strategies (not part of the library's public face). */

export const f64 = (...xs: number[]): Float64Array => Float64Array.from(xs);

export const LOCAL: LocalTraining = { epochs: 2, batchSize: 16, lr: 0.05, optimizer: 'sgd' };

/** Options shared by the strategy tests: every available client trains and evaluates. */
export const BASE = { fractionFit: 1, minFitClients: 1, fractionEvaluate: 1, minEvaluateClients: 1, local: LOCAL, seed: 42 };

export function fitRes(clientId: number, update: Float64Array, numExamples: number, metrics: Metrics = {}, round = 1): FitRes {
  return { round, clientId, update, numExamples, metrics };
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, msg = ''): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${msg}[${i}]: got ${a}, expected ${e}`);
  }
}

/** Checks that fn throws a QflError on `field` whose message contains every fragment. */
export function assertQfl(fn: () => unknown, field: string, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    assert.equal(e.field, field);
    for (const f of fragments) assert.ok(e.message.includes(f), `message "${e.message}" should contain "${f}"`);
    return true;
  });
}
