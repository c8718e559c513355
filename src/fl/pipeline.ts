import { z } from 'zod';
import { localDpNoise } from '../security/dp/local-noise.js';
import { QflError } from '../util/errors.js';
import { NOISE_SOURCES, OsRng } from '../util/os-random.js';
import { deriveSeed, Rng } from '../util/random.js';
import type { Failure, FitRes, Metrics } from './messages.js';

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

/** One step as written in the config: `{ type: 'clip', max_norm: 1 }`. */
export interface TransformSpec {
  readonly type: string;
  readonly [param: string]: unknown;
}

export type PipelineSpec = readonly TransformSpec[];

/** Where the server undoes a transform: on each update, or only on their combination. */
export const INVERSE_STAGES = ['update', 'aggregate'] as const;
export type InverseStage = (typeof INVERSE_STAGES)[number];

/** What a client-side transform knows about the update it transforms. */
export interface ClientContext {
  readonly round: number;
  readonly clientId: number;
  readonly numExamples: number;
  /** This transform's own seeded stream: derived from the round's `FitConfig.seed` and the transform's position. */
  readonly rng: Rng;
  /** Metrics the transform reports (e.g. `clip_norm`); they travel in `FitRes.metrics`. */
  readonly metrics: Metrics;
}

/** What a server-side inverse knows: one client's update, or the aggregate of several. */
export type ServerContext =
  | {
      readonly stage: 'update';
      readonly round: number;
      readonly paramCount: number;
      readonly clientId: number;
      readonly numExamples: number;
    }
  | {
      readonly stage: 'aggregate';
      readonly round: number;
      readonly paramCount: number;
      /** The clients whose updates went into the aggregate. */
      readonly clientIds: readonly number[];
    };

/** A built transform: the client side and the server's inverse. */
export interface UpdateTransform {
  readonly type: string;
  /** For logs, e.g. `clip(max_norm=1)`. */
  readonly name: string;
  readonly inverseOn: InverseStage;
  client(update: Float64Array, ctx: ClientContext): Float64Array;
  server(x: Float64Array, ctx: ServerContext): Float64Array;
}

/** What order checks may consult besides the pipeline itself. */
export interface PipelineContext {
  /** The server's aggregator; robust ones must see single updates. */
  readonly aggregator?: { readonly name: string; readonly needsSingleUpdates: boolean };
}

export interface OrderContext extends PipelineContext {
  /** The types of the whole pipeline, in client order. */
  readonly types: readonly string[];
  /** The position of the transform being checked. */
  readonly index: number;
}

/** A registered transform type. Build one with `defineTransform`. */
export interface TransformDef {
  readonly type: string;
  /** One line for `--help` and error messages. */
  readonly summary: string;
  readonly inverseOn: InverseStage;
  /** Names of the parameters it takes. */
  readonly paramNames: readonly string[];
  /** Checks the parameters of `spec` and builds the transform; issues name paths under `path`. */
  build(spec: TransformSpec, path: string): UpdateTransform | PipelineIssue[];
  /** Why the transform cannot sit where it does, or undefined. */
  checkOrder?(ctx: OrderContext): string | undefined;
}

/** One validation problem: `path` like `pipeline[1].max_norm`. */
export interface PipelineIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * A transform type from a zod schema of its parameters (without `type`) and
 * a builder. The schema is made strict, so an unknown key is refused.
 */
export function defineTransform<S extends z.ZodObject>(def: {
  readonly type: string;
  readonly summary: string;
  readonly inverseOn: InverseStage;
  readonly params: S;
  readonly create: (params: z.output<S>) => UpdateTransform;
  readonly checkOrder?: (ctx: OrderContext) => string | undefined;
}): TransformDef {
  const schema = def.params.extend({ type: z.literal(def.type) }).strict();
  const paramNames = Object.keys(def.params.shape);
  const out: TransformDef = {
    type: def.type,
    summary: def.summary,
    inverseOn: def.inverseOn,
    paramNames,
    build(spec, path) {
      const r = schema.safeParse(spec, { reportInput: true });
      if (!r.success) return r.error.issues.flatMap((iss) => formatIssue(iss, path, def.type, paramNames));
      const { type: _type, ...params } = r.data as z.output<S> & { type: string };
      return def.create(params as z.output<S>);
    },
  };
  return def.checkOrder ? { ...out, checkOrder: def.checkOrder } : out;
}

function show(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function formatIssue(iss: z.core.$ZodIssue, path: string, type: string, names: readonly string[]): PipelineIssue[] {
  const at = (p: readonly PropertyKey[]) => [path, ...p.map(String)].join('.');
  const input = (iss as { input?: unknown }).input;
  switch (iss.code) {
    case 'unrecognized_keys': {
      const allowed = names.length > 0 ? names.join(', ') : 'none';
      return iss.keys.map((k) => ({ path: at([...iss.path, k]), message: `unknown parameter of ${type}; allowed: ${allowed}` }));
    }
    case 'invalid_type': {
      const expected = iss.expected === 'number' ? 'finite number' : iss.expected;
      const received = (iss as { received?: unknown }).received;
      if (input === undefined && received === undefined) return [{ path: at(iss.path), message: `required (a ${expected})` }];
      return [{ path: at(iss.path), message: `must be a ${expected}, got ${received !== undefined ? String(received) : show(input)}` }];
    }
    default:
      return [{ path: at(iss.path), message: input === undefined ? iss.message : `${iss.message}, got ${show(input)}` }];
  }
}

// ---------------------------------------------------------------------------
// Built-in transforms

/** L2 norm of a vector. */
export function l2Norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/**
 * L2 clipping of the delta, `u * min(1, C / |u|_2)` (Abadi et al. 2016;
 * Flower's `fixedclipping_mod`). An update already within the bound leaves
 * unchanged (the same array). The server's inverse is the identity. Reports
 * `clip_norm` (the norm before clipping) and `clipped` (1 or 0).
 */
export const clipTransform = defineTransform({
  type: 'clip',
  summary: 'L2-clip the update to max_norm',
  inverseOn: 'update',
  params: z.object({ max_norm: z.number().gt(0, 'must be > 0') }),
  create: ({ max_norm }) => ({
    type: 'clip',
    name: `clip(max_norm=${max_norm})`,
    inverseOn: 'update',
    client(update, ctx) {
      const norm = l2Norm(update);
      ctx.metrics['clip_norm'] = norm;
      ctx.metrics['clipped'] = norm > max_norm ? 1 : 0;
      if (!(norm > max_norm)) return update;
      const scale = max_norm / norm;
      const out = new Float64Array(update.length);
      for (let i = 0; i < update.length; i++) out[i] = update[i]! * scale;
      return out;
    },
    server: (x) => x,
  }),
});

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

/**
 * Local DP as an update-pipeline transform (Flower's `LocalDpMod`): each
 * client clips its own delta to C and adds N(0, (z C)²) to every coordinate
 * before it leaves, so the server (and anyone on the wire) only ever sees a
 * noised update:
 *
 *     sent = clip(Δ, C) + N(0, (z C)² I).
 *
 * The server's inverse is the identity (the noise cannot be taken off), run
 * per update, so it composes with robust aggregators and goes before a
 * secure-aggregation mask. Reports `clip_norm` (the norm before clipping),
 * `clipped` (1 or 0) and `dp_noise_std`.
 *
 * `noise_source` says where the noise comes from: `seeded` (the transform's
 * seeded stream `ClientContext.rng`, from the round's seed: reproducible
 * simulations, the default of `qfl run`; whoever knows the seed can subtract
 * the noise) or `os` (the operating system's cryptographic generator, `OsRng`).
 * Deployed nodes always use `os` and refuse `seeded` (transport/deployment-noise.ts),
 * because there the server chooses the seed.
 *
 * Privacy of one release: a Gaussian mechanism with std z C. Two different
 * local datasets can move the clipped update by up to 2C, so per round it is
 * RDP(α) = α / (2 (z/2)²); compose over the rounds the client took part in
 * with `computeRdp(1, z / 2, rounds)` (no amplification by sampling: the
 * server sees who took part).
 *
 * A built-in: worker threads know it too. The maths is `localDpNoise`
 * (security/dp/local-noise.ts).
 *
 * @example pipeline: [{ type: local_dp, clip_norm: 1.0, noise_multiplier: 0.8 }]
 */
export const localDpTransform: TransformDef = defineTransform({
  type: 'local_dp',
  summary: 'local DP: clip the update to clip_norm and add Gaussian noise of std noise_multiplier * clip_norm',
  inverseOn: 'update',
  params: z.object({
    clip_norm: z.number().gt(0, 'must be > 0'),
    noise_multiplier: z.number().min(0, 'must be >= 0'),
    noise_source: z.enum(NOISE_SOURCES).optional(),
  }),
  create: ({ clip_norm, noise_multiplier, noise_source }) => ({
    type: 'local_dp',
    name: `local_dp(clip_norm=${clip_norm}, noise_multiplier=${noise_multiplier})`,
    inverseOn: 'update',
    client(update, ctx) {
      const rng = noise_source === 'os' ? new OsRng() : ctx.rng;
      const r = localDpNoise(update, { clipNorm: clip_norm, noiseMultiplier: noise_multiplier }, rng);
      ctx.metrics['clip_norm'] = r.norm;
      ctx.metrics['clipped'] = r.clipped ? 1 : 0;
      ctx.metrics['dp_noise_std'] = r.std;
      return r.update;
    },
    server: (x) => x,
  }),
});

export const BUILTIN_TRANSFORMS: readonly TransformDef[] = [clipTransform, localDpTransform];
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

/** An order rule for `checkOrder`: the transform must be the last step. */
export function mustComeLast(ctx: OrderContext): string | undefined {
  const { types, index } = ctx;
  return index === types.length - 1
    ? undefined
    : `${types[index]} must come last, but ${types.slice(index + 1).join(', ')} follow${index + 2 < types.length ? '' : 's'} it`;
}

/** An order rule for `checkOrder`: none of `others` may come before the transform. */
export function mustPrecede(...others: string[]): (ctx: OrderContext) => string | undefined {
  return ({ types, index }) => {
    const j = types.findIndex((t, k) => k < index && others.includes(t));
    return j === -1 ? undefined : `${types[index]} must come before ${types[j]}`;
  };
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
export function checkUpdate(update: unknown, paramCount: number): string | undefined {
  if (!(update instanceof Float64Array)) return `update must be a Float64Array, got ${show(update)}`;
  if (update.length !== paramCount) return `update has ${update.length} numbers, the model has ${paramCount} parameters`;
  for (let i = 0; i < update.length; i++) {
    if (!Number.isFinite(update[i]!)) return `update[${i}] is ${update[i]}, not finite`;
  }
  return undefined;
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
    const bad = checkUpdate(o.update, ctx.paramCount);
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
    const after = u === o.update ? undefined : checkUpdate(u, ctx.paramCount);
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
  ctx: { readonly round: number; readonly paramCount: number; readonly clientIds: readonly number[] },
): Float64Array {
  let x = aggregate;
  for (let i = lastHiding(pipeline); i >= 0; i--) {
    x = pipeline.transforms[i]!.server(x, { stage: 'aggregate', ...ctx });
  }
  const bad = checkUpdate(x, ctx.paramCount);
  if (bad !== undefined) throw new QflError(`round ${ctx.round} aggregate`, bad.replace(/^update/, 'aggregate'));
  return x;
}
