import type { Partition } from '../experiments/client-app.js';
import { clientAppOf, type AppConfig } from '../experiments/client-app.js';
import { evaluate, fit } from '../fl/client.js';
import type { EvaluateIns, FitIns } from '../updates/messages.js';
import { createPipeline, type PipelineSpec } from '../updates/pipeline.js';
import { fail } from '../util/errors.js';
import { decodeDataset } from './codec.js';
import { deploymentPipeline } from './deployment-noise.js';
import type { GetPartitionResponse, RunInfo } from './gen/qfl/fleet/v1/fleet_pb.js';
import type { TaskRunner } from './node-loop.js';

/**
 * A node's task runner for a place without the data set on disk (a browser
 * tab's Web Worker): its clients' partitions come from the server's
 * GetPartition (or from a file the user gives), and the tasks run one after
 * another in this thread with the simulation's `fit` and `evaluate`, on the
 * client app the run's config describes. No Node-only imports.
 */
export async function partitionTaskRunner(
  info: RunInfo,
  clientIds: readonly number[],
  partitionOf: (clientId: number) => Promise<GetPartitionResponse | LocalPartition>,
): Promise<TaskRunner> {
  const config = JSON.parse(info.appConfigJson) as AppConfig;
  // Local DP noise from the browser's CSPRNG, never from the seed the server sends.
  const pipeline = createPipeline(deploymentPipeline(JSON.parse(info.pipelineJson) as PipelineSpec, 'run.pipeline_json'));
  const parts = new Map<number, Partition>();
  let range: readonly [number, number] | undefined;
  for (const id of clientIds) {
    const p = await partitionOf(id);
    if ('train' in p) {
      parts.set(id, p);
      range = p.range;
    } else {
      parts.set(id, { train: decodeDataset(p.trainX, p.trainY, p.classes, `partition ${id}.train`), test: decodeDataset(p.testX, p.testY, p.classes, `partition ${id}.test`) });
      range = p.range.length === 2 ? [p.range[0]!, p.range[1]!] : undefined;
    }
  }
  const template = parts.get(clientIds[0]!)?.train;
  if (!template) fail('clientIds', 'a node hosts at least one client');
  const app = clientAppOf(config, (id) => parts.get(id) ?? fail('clientId', `${id} is not hosted here`), template, range);
  const params = app.model().paramCount;
  if (params !== info.numParameters) {
    fail('data', `the model built on this data (${template.shape.join('x')} features, ${template.classes} classes) has ${params} parameters, the run's has ${info.numParameters}: the data does not fit the run's model`);
  }
  const each = <I extends { clientId: number }, R>(tasks: readonly I[], run: (ins: I) => R) =>
    Promise.resolve(
      tasks.map((ins) => {
        try {
          return run(ins);
        } catch (e) {
          return { clientId: ins.clientId, reason: e instanceof Error ? e.message : String(e) };
        }
      }),
    );
  return {
    fit: (tasks: readonly FitIns[]) => each(tasks, (ins) => fit(app, ins, pipeline)),
    evaluate: (tasks: readonly EvaluateIns[]) => each(tasks, (ins) => evaluate(app, ins)),
    close: async () => undefined,
  };
}

/** A partition the user brought (an uploaded file), already in the model's input shape. */
export interface LocalPartition extends Partition {
  readonly range?: readonly [number, number];
}
