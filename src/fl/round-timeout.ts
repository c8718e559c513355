import { fail } from '../util/errors.js';
import type { ExecOptions, Executor } from './executor.js';
import type { Failure, FitIns, FitRes } from './messages.js';

/**
 * A per-round deadline on training (Flower's `round_timeout`): the fit tasks
 * of round r get `seconds(r)` in all, from the moment the round dispatches
 * them; whatever has not come back by then is a failure ("round timeout") and
 * the round goes on with the rest (so `min_fit_clients` decides whether it
 * counts). Tasks are handed to the executor one by one so that each result
 * is kept as it arrives; the executor's own per-task limit is cut to the
 * deadline, so remote nodes and worker threads drop the late ones. An
 * in-process executor cannot be interrupted mid-client: there, a client that
 * ends after the deadline is dropped all the same, but the wait is not cut.
 */
export type RoundTimeout = number | readonly number[];

/** Seconds for round r: a number for every round, or a list by round (the last value repeats). */
export function roundTimeoutSeconds(t: RoundTimeout, round: number): number {
  const s = typeof t === 'number' ? t : t[Math.min(round, t.length) - 1];
  if (!(typeof s === 'number' && Number.isFinite(s) && s > 0)) fail('runtime.round_timeout_s', `must be a number > 0 or a non-empty list of them, got ${JSON.stringify(t)}`);
  return s;
}

export const roundTimeoutReason = (seconds: number): string => `round timeout: not back within round_timeout_s = ${seconds} s`;

export function withRoundTimeout(inner: Executor, timeout: RoundTimeout | undefined): Executor {
  if (timeout === undefined) return inner;
  roundTimeoutSeconds(timeout, 1); // refuse a bad schedule before the first round
  return {
    kind: inner.kind,
    evaluate: (tasks, opts) => inner.evaluate(tasks, opts),
    close: () => inner.close(),
    fit(tasks: readonly FitIns[], opts: ExecOptions = {}): Promise<(FitRes | Failure)[]> {
      if (tasks.length === 0) return inner.fit(tasks, opts);
      const seconds = roundTimeoutSeconds(timeout, tasks[0]!.round);
      const deadline = performance.now() + seconds * 1000;
      const limit = Math.min(opts.timeoutMs ?? Infinity, seconds * 1000);
      const out: ((FitRes | Failure) | undefined)[] = tasks.map(() => undefined);
      let done = 0;
      return new Promise((resolve) => {
        let over = false;
        const finish = () => {
          if (over) return;
          over = true;
          clearTimeout(timer);
          resolve(out.map((r, i) => r ?? { clientId: tasks[i]!.clientId, reason: roundTimeoutReason(seconds) }));
        };
        const timer = setTimeout(finish, Math.max(0, deadline - performance.now()));
        tasks.forEach((task, i) => {
          const settle = (r: FitRes | Failure) => {
            if (over) return;
            out[i] = performance.now() > deadline ? { clientId: task.clientId, reason: roundTimeoutReason(seconds) } : r;
            const f = out[i] as Partial<Failure>;
            opts.onOutcome?.({ clientId: task.clientId, ...(f.reason !== undefined ? { reason: f.reason } : {}) });
            opts.onProgress?.(++done, tasks.length);
            if (done === tasks.length) finish();
          };
          inner.fit([task], { timeoutMs: limit }).then(
            (rs) => settle(rs[0] ?? { clientId: task.clientId, reason: 'executor returned no result' }),
            (e: unknown) => settle({ clientId: task.clientId, reason: e instanceof Error ? e.message : String(e) }),
          );
        });
      });
    },
  };
}
