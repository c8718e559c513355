import { QflError } from '../util/errors.js';
import { deriveSeed, Rng } from '../util/random.js';
import type { Failure, FitRes, Metrics } from './messages.js';
import { show, type PipelineContext, type PipelineIssue, type PipelineSpec, type TransformDef, type TransformSpec, type UpdateTransform } from './transform.js';
import { clipTransform } from './transforms/clip.js';
import { localDpTransform } from './transforms/local-dp.js';
import { secaggTransform } from './transforms/secagg.js';

export * from './transform.js';
export { clipTransform, localDpTransform, secaggTransform };

/**
 * The update pipeline: what a client's parameter delta passes through on its
 * way out, and what the server undoes on the way in (Flower's client "mods"
 * and server wrappers, as plain data).
 *
 * The config declares it as a list, applied in order on the client:
 *
 *   pipeline: [{ type: clip, max_norm: 1.0 }, { type: dp_noise, ... }, { type: mask }]
 *
 * The server runs the inverses in reverse order. An inverse runs either on
 * each arriving update (`inverseOn: 'update'`: dequantize, the identity of
 * clip) or only on the combination of all of them (`inverseOn: 'aggregate'`:
 * secure-aggregation masks cancel only in the sum). Client order
 * t_0, ..., t_{n-1}; let k be the last transform whose inverse needs the
 * aggregate (-1 if none). The server then applies
 *
 *   per update:    t_{n-1}^-1, ..., t_{k+1}^-1   (`receiveUpdates`)
 *   on aggregate:  t_k^-1, ..., t_0^-1           (`finishAggregate`)
 *
 * Every arriving update is validated first (length = the model's parameter
 * count, every entry finite); one that fails becomes a `Failure` and is never
 * averaged in.
 *
 * Transform types live in a registry. Each declares its parameters as a zod
 * schema (unknown keys refused) and may declare where it may sit
 * (`checkOrder`); two rules hold for all: a transform that hides single
 * updates must not be followed by one whose inverse runs per update, and it
 * cannot be combined with an aggregator that must see single updates (Krum,
 * median, trimmed mean). Validation errors name the path:
 * `pipeline[1].max_norm: must be > 0, got -1`.
 *
 * Transforms never mutate their input: they return a new vector, or the
 * input itself when they leave it unchanged.
 *
 * @example
 * const p = createPipeline([{ type: 'clip', max_norm: 1 }]);
 * const sent = applyClient(p, delta, { round: 1, clientId: 3, numExamples: 60, seed: 42 });
 */


// ---------------------------------------------------------------------------
// Registry

const registry = new Map<string, TransformDef>();

/**
 * Adds a transform type. Worker threads build their pipeline from the same
 * registry, so a type must be registered by a module the worker also loads:
 * add new built-ins to `BUILTIN_TRANSFORMS` below (or import their module from here).
 */
export function registerTransform(def: TransformDef): void {
  if (registry.has(def.type)) throw new QflError('transform.type', `'${def.type}' is already registered`);
  registry.set(def.type, def);
}

/** The registered types, in registration order. */
export function transformTypes(): string[] {
  return [...registry.keys()];
}

export function transformDef(type: string): TransformDef | undefined {
  return registry.get(type);
}

export const BUILTIN_TRANSFORMS: readonly TransformDef[] = [clipTransform, localDpTransform, secaggTransform];
for (const def of BUILTIN_TRANSFORMS) registerTransform(def);

// ---------------------------------------------------------------------------
// Validation and building

/** A validated, built pipeline; `spec` is what travels to worker threads. */
export interface Pipeline {
  readonly spec: PipelineSpec;
  readonly transforms: readonly UpdateTransform[];
}

export const EMPTY_PIPELINE: Pipeline = { spec: [], transforms: [] };

/**
 * Every problem with a pipeline config, none thrown: parameters first (each
 * step on its own), then order (only when every step is valid).
 */
export function checkPipeline(spec: unknown, ctx: PipelineContext = {}, path = 'pipeline'): PipelineIssue[] {
  return buildAll(spec, ctx, path).issues;
}

/** Validates and builds a pipeline; throws a `QflError` naming the first problem's path. */
export function createPipeline(spec: unknown, ctx: PipelineContext = {}, path = 'pipeline'): Pipeline {
  const r = buildAll(spec, ctx, path);
  const first = r.issues[0];
  if (first) {
    const more = r.issues.length > 1 ? ` (and ${r.issues.length - 1} more problem${r.issues.length > 2 ? 's' : ''})` : '';
    throw new QflError(first.path, first.message + more);
  }
  return { spec: r.spec, transforms: r.transforms };
}

function buildAll(
  spec: unknown,
  ctx: PipelineContext,
  path: string,
): { spec: TransformSpec[]; transforms: UpdateTransform[]; issues: PipelineIssue[] } {
  const issues: PipelineIssue[] = [];
  const transforms: UpdateTransform[] = [];
  const specs: TransformSpec[] = [];
  if (!Array.isArray(spec)) {
    issues.push({ path, message: `must be a list of transforms like [{ type: 'clip', max_norm: 1 }], got ${show(spec)}` });
    return { spec: specs, transforms, issues };
  }
  spec.forEach((step: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof step !== 'object' || step === null || Array.isArray(step)) {
      issues.push({ path: at, message: `must be an object with a type (one of ${transformTypes().join(', ')}), got ${show(step)}` });
      return;
    }
    const type = (step as { type?: unknown }).type;
    const def = typeof type === 'string' ? registry.get(type) : undefined;
    if (def === undefined) {
      const what = type === undefined ? 'required' : `unknown transform ${show(type)}`;
      issues.push({ path: `${at}.type`, message: `${what}; known: ${transformTypes().join(', ')}` });
      return;
    }
    const built = def.build(step as TransformSpec, at);
    if (Array.isArray(built)) issues.push(...built);
    else {
      transforms.push(built);
      specs.push({ ...(step as TransformSpec) });
    }
  });
  if (issues.length === 0) issues.push(...orderIssues(transforms, ctx, path));
  return { spec: specs, transforms, issues };
}

function orderIssues(transforms: readonly UpdateTransform[], ctx: PipelineContext, path: string): PipelineIssue[] {
  const issues: PipelineIssue[] = [];
  const types = transforms.map((t) => t.type);
  const firstHiding = transforms.findIndex((t) => t.inverseOn === 'aggregate');
  transforms.forEach((t, i) => {
    const at = `${path}[${i}]`;
    if (firstHiding !== -1 && i > firstHiding && t.inverseOn === 'update') {
      const h = types[firstHiding]!;
      issues.push({
        path: at,
        message:
          `${t.type} cannot come after ${h} (${path}[${firstHiding}]): ${h} hides single updates, ` +
          `so the server could not undo ${t.type} per update; move ${t.type} before ${h}`,
      });
    }
    if (t.inverseOn === 'aggregate' && ctx.aggregator?.needsSingleUpdates) {
      issues.push({
        path: at,
        message:
          `${t.type} hides single updates from the server, but aggregator '${ctx.aggregator.name}' must see each one; ` +
          `remove ${t.type} or use an averaging aggregator`,
      });
    }
    const why = registry.get(t.type)?.checkOrder?.({ ...ctx, types, index: i });
    if (why !== undefined) issues.push({ path: at, message: why });
  });
  return issues;
}

// ---------------------------------------------------------------------------
// Running it

/** What the client side needs besides the update; `seed` is the round's `FitConfig.seed`. */
export interface ClientRunContext {
  readonly round: number;
  readonly clientId: number;
  readonly numExamples: number;
  readonly seed: number;
}

/** Seed path of the pipeline's streams, apart from the training shuffle (which uses the seed itself). */
const PIPELINE_STREAM = 0x70697065;

/**
 * The client side: each transform in order on the delta. Returns what leaves
 * the client and the metrics the transforms reported.
 */
export function applyClient(
  pipeline: Pipeline,
  delta: Float64Array,
  run: ClientRunContext,
): { update: Float64Array; metrics: Metrics } {
  const metrics: Metrics = {};
  let u = delta;
  pipeline.transforms.forEach((t, i) => {
    const rng = new Rng(deriveSeed(run.seed, PIPELINE_STREAM, i));
    u = t.client(u, { round: run.round, clientId: run.clientId, numExamples: run.numExamples, rng, metrics });
  });
  return { update: u, metrics };
}

/** Why an update cannot be accepted (wrong length, a non-finite entry), or undefined. */
export function checkUpdate(update: unknown, paramCount: number, expected = paramCount): string | undefined {
  if (!(update instanceof Float64Array)) return `update must be a Float64Array, got ${show(update)}`;
  if (update.length !== expected) {
    return expected === paramCount
      ? `update has ${update.length} numbers, the model has ${paramCount} parameters`
      : `update has ${update.length} numbers, the pipeline sends ${expected} for the model's ${paramCount} parameters`;
  }
  for (let i = 0; i < update.length; i++) {
    if (!Number.isFinite(update[i]!)) return `update[${i}] is ${update[i]}, not finite`;
  }
  return undefined;
}

/** Entries of an update after the first `count` client transforms (all when omitted). */
export function lengthAfter(p: Pipeline, paramCount: number, count = p.transforms.length): number {
  let n = paramCount;
  for (let i = 0; i < count; i++) n = p.transforms[i]!.outputLength?.(n) ?? n;
  return n;
}

/** Index of the last transform whose inverse needs the aggregate; -1 if none. */
function lastHiding(p: Pipeline): number {
  for (let i = p.transforms.length - 1; i >= 0; i--) if (p.transforms[i]!.inverseOn === 'aggregate') return i;
  return -1;
}

/** True when the server only ever sees combined updates (robust aggregation impossible). */
export function hidesSingleUpdates(p: Pipeline): boolean {
  return lastHiding(p) !== -1;
}

/** Tells a Failure from a result (FitRes, EvaluateRes): only a Failure has a `reason`. */
export function isFailure<T extends object>(x: T | Failure): x is Failure {
  return typeof (x as { reason?: unknown }).reason === 'string';
}

/**
 * The server side, per update: each arriving result is validated, passes the
 * per-update inverses (reverse order) and is validated again. Failures from
 * the executor pass through; every refused update becomes a Failure.
 * Never mutates its inputs.
 */
export function receiveUpdates(
  pipeline: Pipeline,
  outcomes: readonly (FitRes | Failure)[],
  ctx: { readonly round: number; readonly paramCount: number },
): { results: FitRes[]; failures: Failure[] } {
  const results: FitRes[] = [];
  const failures: Failure[] = [];
  const stop = lastHiding(pipeline);
  const sent = lengthAfter(pipeline, ctx.paramCount);
  const kept = lengthAfter(pipeline, ctx.paramCount, stop + 1);
  for (const o of outcomes) {
    if (isFailure(o)) {
      failures.push(o);
      continue;
    }
    const refuse = (why: string) => failures.push({ clientId: o.clientId, reason: `refused: ${why}` });
    if (!(Number.isInteger(o.numExamples) && o.numExamples >= 0)) {
      refuse(`numExamples must be an integer >= 0, got ${o.numExamples}`);
      continue;
    }
    const bad = checkUpdate(o.update, ctx.paramCount, sent);
    if (bad !== undefined) {
      refuse(bad);
      continue;
    }
    let u = o.update;
    try {
      for (let i = pipeline.transforms.length - 1; i > stop; i--) {
        u = pipeline.transforms[i]!.server(u, {
          stage: 'update',
          round: ctx.round,
          paramCount: ctx.paramCount,
          clientId: o.clientId,
          numExamples: o.numExamples,
        });
      }
    } catch (e) {
      refuse(e instanceof Error ? e.message : String(e));
      continue;
    }
    const after = u === o.update && sent === kept ? undefined : checkUpdate(u, ctx.paramCount, kept);
    if (after !== undefined) {
      refuse(`after the server's inverses: ${after}`);
      continue;
    }
    results.push(u === o.update ? o : { ...o, update: u });
  }
  return { results, failures };
}

/**
 * The server side, on the aggregate: the inverses that need the combination
 * of all updates (unmask, and everything the client applied before the mask),
 * in reverse order. The identity for a pipeline that hides nothing. Throws a
 * QflError when the result is not a finite vector of the right length.
 */
export function finishAggregate(
  pipeline: Pipeline,
  aggregate: Float64Array,
  ctx: { readonly round: number; readonly paramCount: number; readonly clientIds: readonly number[]; readonly report?: Metrics },
): Float64Array {
  let x = aggregate;
  const report = ctx.report ?? {};
  for (let i = lastHiding(pipeline); i >= 0; i--) {
    x = pipeline.transforms[i]!.server(x, { stage: 'aggregate', round: ctx.round, paramCount: ctx.paramCount, clientIds: ctx.clientIds, report });
  }
  const bad = checkUpdate(x, ctx.paramCount);
  if (bad !== undefined) throw new QflError(`round ${ctx.round} aggregate`, bad.replace(/^update/, 'aggregate'));
  return x;
}
