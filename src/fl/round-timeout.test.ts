import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QflError } from '../util/errors.js';
import type { Executor } from './executor.js';
import type { FitIns, FitRes } from './messages.js';
import { roundTimeoutReason, roundTimeoutSeconds, withRoundTimeout } from './round-timeout.js';

const ins = (clientId: number, round = 1): FitIns => ({
  round,
  clientId,
  params: new Float64Array(1),
  config: { epochs: 1, batchSize: 1, lr: 0.1, proximalMu: 0, optimizer: 'sgd', seed: 0 },
});
const res = (clientId: number): FitRes => ({ round: 1, clientId, update: new Float64Array(1), numExamples: 1, metrics: {} });

/** Clients in `never` never answer; the others answer at once. Records the per-task limits it was given. */
function fake(never: ReadonlySet<number>): Executor & { limits: (number | undefined)[] } {
  const limits: (number | undefined)[] = [];
  return {
    kind: 'in-process',
    limits,
    fit: (tasks, opts) => {
      limits.push(opts?.timeoutMs);
      return never.has(tasks[0]!.clientId) ? new Promise(() => {}) : Promise.resolve(tasks.map((t) => res(t.clientId)));
    },
    evaluate: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  };
}

describe('runtime.round_timeout_s', () => {
  test('clients not back by the deadline are failures; the others are kept; the executor gets the deadline as its limit', async () => {
    const inner = fake(new Set([1]));
    const seen: { clientId: number; reason?: string }[] = [];
    const out = await withRoundTimeout(inner, 0.3).fit([ins(0), ins(1), ins(2)], { timeoutMs: 600_000, onOutcome: (o) => seen.push(o) });
    assert.deepEqual(out.map((r) => r.clientId), [0, 1, 2]);
    assert.ok('update' in out[0]! && 'update' in out[2]!);
    assert.deepEqual(out[1], { clientId: 1, reason: roundTimeoutReason(0.3) });
    assert.deepEqual(inner.limits, [300, 300, 300]);
    assert.deepEqual(seen.map((s) => s.clientId).sort(), [0, 2]);
  });

  test('a schedule by round: a list whose last value repeats', async () => {
    assert.equal(roundTimeoutSeconds([120, 60], 1), 120);
    assert.equal(roundTimeoutSeconds([120, 60], 2), 60);
    assert.equal(roundTimeoutSeconds([120, 60], 9), 60);
    assert.equal(roundTimeoutSeconds(30, 4), 30);
    const inner = fake(new Set());
    await withRoundTimeout(inner, [5, 2]).fit([ins(0, 3)], {});
    assert.deepEqual(inner.limits, [2000]);
    assert.throws(() => withRoundTimeout(inner, []), (e: unknown) => e instanceof QflError && e.field === 'runtime.round_timeout_s');
    // No timeout: the executor itself, untouched.
    assert.equal(withRoundTimeout(inner, undefined), inner);
  });
});
