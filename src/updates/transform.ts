import { z } from 'zod';
import type { Rng } from '../util/random.js';
import type { Metrics } from './messages.js';

/**
 * The transform mechanism: what one step of the update pipeline is (a
 * client-side step and the server's inverse, on single updates or on their
 * sum) and how a type is declared from a zod schema of its parameters.
 * `pipeline.ts` validates, orders and runs them; the built-in types are in
 * `transforms/`.
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
      /** What an inverse learns about the aggregate (`num_examples` behind a masked weighted sum). */
      readonly report: Metrics;
    };

/** A built transform: the client side and the server's inverse. */
export interface UpdateTransform {
  readonly type: string;
  /** For logs, e.g. `clip(max_norm=1)`. */
  readonly name: string;
  readonly inverseOn: InverseStage;
  client(update: Float64Array, ctx: ClientContext): Float64Array;
  server(x: Float64Array, ctx: ServerContext): Float64Array;
  /** Entries the client step sends for `inputLength` entries in (default: the same). */
  outputLength?(inputLength: number): number;
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

export function show(v: unknown): string {
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
