import { Worker } from 'node:worker_threads';
import type { AsyncExecutor } from '../../quantum/cutting/execute.js';

/**
 * Distributed cut execution: one worker thread per node evaluates that
 * node's sub-experiments (circuits are plain data, so they cross threads as
 * they are) with the exact executor, as a remote client would.
 */
export function subExperimentWorkers(): { executor: AsyncExecutor; close: () => Promise<void> } {
  const url = new URL('./cut-worker.js', import.meta.url);
  const workers = new Map<string, Worker>();
  let next = 0;
  const executor: AsyncExecutor = (experiments, node) => {
    let w = workers.get(node);
    if (!w) {
      w = new Worker(url);
      workers.set(node, w);
    }
    const id = next++;
    const worker = w;
    return new Promise<Float64Array>((resolve, reject) => {
      const onMessage = (m: { id: number; values?: Float64Array; error?: string }) => {
        if (m.id !== id) return;
        worker.off('message', onMessage);
        if (m.error !== undefined) reject(new Error(`node ${node}: ${m.error}`));
        else resolve(m.values!);
      };
      worker.on('message', onMessage);
      worker.postMessage({ id, experiments });
    });
  };
  return { executor, close: async () => void (await Promise.all([...workers.values()].map((w) => w.terminate()))) };
}
