import type { RoundEvent } from '../events.js';

/**
 * The numbers a round reports to trackers (TensorBoard scalars, MLflow
 * metrics), one value per tag per round; absent or non-finite values are
 * left out rather than logged as NaN. Tags group by their prefix in
 * TensorBoard's scalar dashboard.
 */
export interface Scalar {
  readonly tag: string;
  readonly value: number;
}

export function roundScalars(e: RoundEvent): Scalar[] {
  const out: Scalar[] = [];
  const add = (tag: string, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) out.push({ tag, value });
  };
  add('accuracy/central', e.central?.accuracy);
  add('loss/central', e.central?.loss);
  add('accuracy/client_eval', e.evaluate?.accuracy);
  add('loss/client_eval', e.evaluate?.loss);
  add('accuracy/train', e.fit.trainAccuracy);
  add('loss/train', e.fit.trainLoss);
  add('privacy/epsilon', e.dp?.epsilon);
  add('privacy/secure_aggregation_epsilon', e.secure?.dp?.epsilon);
  add('bytes/up', e.bytes.up);
  add('bytes/down', e.bytes.down);
  add('keys/bits', e.secure?.keyBits);
  add('clients/completed', e.fit.completed);
  add('time/round_seconds', e.seconds.total);
  return out;
}
