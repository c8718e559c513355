import { parentPort } from 'node:worker_threads';
import { exactExecutor } from '../../quantum/cutting/execute.js';
import type { SubExperiment } from '../../quantum/cutting/experiments.js';

/** A node of a cut circuit: evaluates the sub-experiments it is sent. */
parentPort!.on('message', (m: { id: number; experiments: SubExperiment[] }) => {
  try {
    parentPort!.postMessage({ id: m.id, values: exactExecutor(m.experiments, '') });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
