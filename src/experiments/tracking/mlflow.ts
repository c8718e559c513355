import { fail } from '../../util/errors.js';
import type { Scalar } from './scalars.js';

/**
 * A client of MLflow's REST tracking API (docs: "REST API", /api/2.0/mlflow):
 * `experiments/get-by-name` and `experiments/create` find the experiment,
 * `runs/create` opens the run, `runs/log-batch` logs params (the resolved
 * config, flattened to dotted keys), tags and per-round metrics, and
 * `runs/update` closes it. Batches keep within log-batch's documented limits:
 * at most 1000 metrics, 100 params, 100 tags and 1000 items in all per
 * request; keys up to 250 characters, param values up to 500 (the limit every
 * backend guarantees; longer ones are cut and end in '...').
 */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;
export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 500;

export interface MlflowMetric {
  readonly key: string;
  readonly value: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly step: number;
}
export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** The leaves of a config as dotted keys; lists of plain values stay one JSON value (`data.classes: [0,1]`). */
export function flattenParams(config: unknown, prefix = ''): KeyValue[] {
  const out: KeyValue[] = [];
  const walk = (v: unknown, key: string) => {
    const plainList = Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object');
    if (v !== null && typeof v === 'object' && !plainList) {
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
      if (entries.length === 0) out.push({ key, value: Array.isArray(v) ? '[]' : '{}' });
      for (const [k, x] of entries) walk(x, key === '' ? k : `${key}.${k}`);
      return;
    }
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    out.push({ key, value: s.length > MAX_PARAM_VALUE_LENGTH ? s.slice(0, MAX_PARAM_VALUE_LENGTH - 3) + '...' : s });
  };
  walk(config, prefix);
  return out.filter((p) => p.key !== '' && p.key.length <= MAX_KEY_LENGTH);
}

/** Splits metrics, params and tags into requests within LOG_BATCH_LIMITS, in order. */
export function logBatches(items: { metrics?: readonly MlflowMetric[]; params?: readonly KeyValue[]; tags?: readonly KeyValue[] }): {
  metrics: MlflowMetric[];
  params: KeyValue[];
  tags: KeyValue[];
}[] {
  const m = [...(items.metrics ?? [])];
  const p = [...(items.params ?? [])];
  const t = [...(items.tags ?? [])];
  const batches = [];
  while (m.length + p.length + t.length > 0) {
    const params = p.splice(0, LOG_BATCH_LIMITS.params);
    const tags = t.splice(0, LOG_BATCH_LIMITS.tags);
    const metrics = m.splice(0, Math.min(LOG_BATCH_LIMITS.metrics, LOG_BATCH_LIMITS.total - params.length - tags.length));
    batches.push({ metrics, params, tags });
  }
  return batches;
}

export class MlflowClient {
  private readonly base: string;

  constructor(trackingUri: string) {
    let url: URL;
    try {
      url = new URL(trackingUri);
    } catch {
      fail('tracking.mlflow.tracking_uri', `must be an http(s) URL such as http://127.0.0.1:5000, got '${trackingUri}'`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('tracking.mlflow.tracking_uri', `must be http:// or https://, got '${trackingUri}'`);
    this.base = url.href.replace(/\/+$/, '') + '/api/2.0/mlflow/';
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown, query?: Record<string, string>): Promise<unknown> {
    const url = this.base + path + (query ? `?${new URLSearchParams(query)}` : '');
    const res = await fetch(url, {
      method,
      ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = { message: text.slice(0, 200) };
    }
    if (!res.ok) {
      const e = json as { error_code?: string; message?: string };
      const err = new Error(`MLflow ${path}: HTTP ${res.status}${e.error_code ? ` ${e.error_code}` : ''}: ${e.message ?? text.slice(0, 200)}`);
      if (e.error_code !== undefined) (err as Error & { errorCode?: string }).errorCode = e.error_code;
      throw err;
    }
    return json;
  }

  /** The id of the experiment with this name, created when missing. */
  async experimentId(name: string): Promise<string> {
    try {
      const r = (await this.call('GET', 'experiments/get-by-name', undefined, { experiment_name: name })) as { experiment?: { experiment_id?: unknown } };
      const id = r.experiment?.experiment_id;
      if (typeof id === 'string') return id;
      throw new Error(`MLflow experiments/get-by-name: no experiment_id in the answer`);
    } catch (e) {
      if ((e as { errorCode?: string }).errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    }
    const c = (await this.call('POST', 'experiments/create', { name })) as { experiment_id?: unknown };
    if (typeof c.experiment_id !== 'string') throw new Error('MLflow experiments/create: no experiment_id in the answer');
    return c.experiment_id;
  }

  async createRun(o: { experimentId: string; runName: string; startTime: number; tags: readonly KeyValue[] }): Promise<string> {
    const r = (await this.call('POST', 'runs/create', {
      experiment_id: o.experimentId,
      run_name: o.runName,
      start_time: o.startTime,
      tags: o.tags,
    })) as { run?: { info?: { run_id?: unknown } } };
    const id = r.run?.info?.run_id;
    if (typeof id !== 'string') throw new Error('MLflow runs/create: no run.info.run_id in the answer');
    return id;
  }

  async logBatch(runId: string, items: { metrics?: readonly MlflowMetric[]; params?: readonly KeyValue[]; tags?: readonly KeyValue[] }): Promise<void> {
    for (const b of logBatches(items)) await this.call('POST', 'runs/log-batch', { run_id: runId, ...b });
  }

  async finishRun(runId: string, status: 'FINISHED' | 'FAILED' | 'KILLED', endTime: number): Promise<void> {
    await this.call('POST', 'runs/update', { run_id: runId, status, end_time: endTime });
  }
}

/** Per-round scalars as MLflow metrics (one per key per step). */
export const toMetrics = (scalars: readonly Scalar[], step: number, timestamp: number): MlflowMetric[] =>
  scalars.map((s) => ({ key: s.tag, value: s.value, timestamp, step }));
