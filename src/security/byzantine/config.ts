import { z } from 'zod';
import type { Dataset } from '../../data/dataset.js';
import { QflError, fail } from '../../util/errors.js';
import { deriveSeed, Rng } from '../../util/random.js';
import { TRIGGER_CORNERS, TRIGGER_PATTERNS, backdoorPoison, type Trigger } from './backdoor.js';
import { labelFlip } from './label-flip.js';
import { adaptiveNormAttack, constantUpdate, gaussianUpdate, scaleUpdate, signFlip, zeroUpdate } from './update-attacks.js';

/**
 * Malicious clients as config: `{ kind, ...params, clients }` where
 * `clients` is a list of client ids or a fraction in [0, 1] of all clients.
 *
 *   attacks:
 *     - { kind: sign_flip, clients: 0.2 }
 *     - { kind: backdoor, target: 0, fraction: 0.5, clients: [3, 7] }
 *     - { kind: scale, factor: 10, clients: [3, 7], start_round: 5 }
 *
 * A fraction picks the first round(fraction * N) ids of one permutation of
 * 0..N-1 drawn from the run seed, the same for every entry: a larger
 * fraction adds attackers without replacing any (sweeps stay nested), and
 * two entries with the same fraction hit the same clients (a backdoor plus
 * a boost). Update attacks act from `start_round` (default 1) on; data
 * attacks (label_flip, backdoor) poison the client's training data for the
 * whole run.
 */

export const ATTACK_KINDS = ['sign_flip', 'scale', 'gaussian', 'zero', 'constant', 'label_flip', 'backdoor', 'adaptive_norm'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

const CLIENTS_HINT = 'must be a list of client ids like [3, 7], or a number in [0, 1]: the fraction of all clients';
const clients = z.union([z.array(z.number().int().min(0)).min(1), z.number().min(0).max(1).describe('fraction of all clients')]);
const startRound = z.number().int().min(1).optional();
const classId = z.number().int().min(0);

export const TriggerSchema = z
  .object({
    pattern: z.enum(TRIGGER_PATTERNS).optional(),
    size: z.number().int().min(1).optional(),
    value: z.number().optional(),
    corner: z.enum(TRIGGER_CORNERS).optional(),
    margin: z.number().int().min(0).optional(),
  })
  .strict();

/** One attack entry of the config (snake_case keys, unknown keys refused). */
export const AttackSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sign_flip'), scale: z.number().positive().optional(), clients, start_round: startRound }).strict(),
  z.object({ kind: z.literal('scale'), factor: z.number(), clients, start_round: startRound }).strict(),
  z
    .object({ kind: z.literal('gaussian'), std: z.number().min(0), mode: z.enum(['replace', 'add']).optional(), clients, start_round: startRound })
    .strict(),
  z.object({ kind: z.literal('zero'), clients, start_round: startRound }).strict(),
  z.object({ kind: z.literal('constant'), value: z.number(), clients, start_round: startRound }).strict(),
  z
    .object({
      kind: z.literal('label_flip'),
      mapping: z.enum(['reverse', 'rotate']).optional(),
      source: classId.optional(),
      target: classId.optional(),
      fraction: z.number().min(0).max(1).optional(),
      clients,
    })
    .strict(),
  z
    .object({
      kind: z.literal('backdoor'),
      target: classId,
      fraction: z.number().min(0).max(1).optional(),
      trigger: TriggerSchema.optional(),
      clients,
    })
    .strict(),
  z
    .object({
      kind: z.literal('adaptive_norm'),
      bound: z.number().positive(),
      margin: z.number().min(0).lt(1).optional(),
      scale: z.number().positive().optional(),
      clients,
      start_round: startRound,
    })
    .strict(),
]);
export type AttackSpec = z.input<typeof AttackSchema>;
type Parsed = z.output<typeof AttackSchema>;

/** Seed path of the attackers' choice and of their data poisoning. */
const ATTACK_STREAM = 0x61747461;

/**
 * Validates one entry or a list; throws a QflError naming the path
 * (`attacks[1].factor`).
 */
export function parseAttacks(raw: unknown, path = 'attacks'): AttackSpec[] {
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((entry: unknown, i) => {
    const at = Array.isArray(raw) ? `${path}[${i}]` : path;
    const r = AttackSchema.safeParse(entry);
    if (r.success) return r.data;
    const iss = r.error.issues[0]!;
    const kind = typeof entry === 'object' && entry !== null ? (entry as { kind?: unknown }).kind : undefined;
    if (!ATTACK_KINDS.includes(kind as AttackKind)) {
      const what = kind === undefined ? 'required' : `unknown attack ${JSON.stringify(kind)}`;
      fail(`${at}.kind`, `${what}; known: ${ATTACK_KINDS.join(', ')}`);
    }
    if (iss.code === 'unrecognized_keys') fail(`${at}.${iss.keys[0]!}`, `unknown parameter of ${String(kind)}`);
    if (iss.path[0] === 'clients') fail(`${at}.clients`, CLIENTS_HINT);
    return fail([at, ...iss.path.map(String)].join('.'), iss.message);
  });
}

/**
 * The malicious client ids of one entry, ascending. Ids must lie in
 * 0..numClients-1 and not repeat.
 */
export function maliciousClients(
  spec: { readonly clients: readonly number[] | number },
  numClients: number,
  seed: number,
  path = 'attacks',
): number[] {
  if (!Number.isInteger(numClients) || numClients < 1) fail('numClients', `must be an integer >= 1, got ${numClients}`);
  const c = spec.clients;
  if (typeof c === 'number') {
    if (!(c >= 0 && c <= 1)) fail(`${path}.clients`, `a fraction must be in [0, 1], got ${c}`);
    const k = Math.round(c * numClients);
    const perm = new Rng(deriveSeed(seed, ATTACK_STREAM)).permutation(numClients);
    return Array.from(perm.subarray(0, k)).sort((a, b) => a - b);
  }
  const seen = new Set<number>();
  c.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= numClients) {
      fail(`${path}.clients[${i}]`, `must be a client id in 0..${numClients - 1}, got ${id}`);
    }
    if (seen.has(id)) fail(`${path}.clients[${i}]`, `client ${id} is listed twice`);
    seen.add(id);
  });
  return [...seen].sort((a, b) => a - b);
}

/** What one client does, built from the attack entries that name it. */
export interface ClientAttack {
  readonly clientId: number;
  /** The kinds that apply to this client, in config order (empty for an honest client). */
  readonly kinds: readonly AttackKind[];
  /** Changes the honestly trained delta; the identity outside the attack's rounds and for honest clients. */
  attackUpdate(round: number, update: Float64Array, global: Float64Array, rng: Rng): Float64Array;
  /** Poisons the client's training data; the identity for honest clients. */
  poisonData(ds: Dataset): Dataset;
}

type UpdateFn = (update: Float64Array, rng: Rng) => Float64Array;

function updateAttack(s: Parsed): UpdateFn | undefined {
  switch (s.kind) {
    case 'sign_flip':
      return (u) => signFlip(u, s.scale ?? 1);
    case 'scale':
      return (u) => scaleUpdate(u, s.factor);
    case 'gaussian':
      return (u, rng) => gaussianUpdate(u, { std: s.std, ...(s.mode !== undefined ? { mode: s.mode } : {}) }, rng);
    case 'zero':
      return zeroUpdate;
    case 'constant':
      return (u) => constantUpdate(u, s.value);
    case 'adaptive_norm': {
      const o = {
        bound: s.bound,
        ...(s.margin !== undefined ? { margin: s.margin } : {}),
        ...(s.scale !== undefined ? { scale: s.scale } : {}),
      };
      return (u) => adaptiveNormAttack(u, o);
    }
    case 'label_flip':
    case 'backdoor':
      return undefined;
  }
}

function dataAttack(s: Parsed, seed: number): ((ds: Dataset) => Dataset) | undefined {
  switch (s.kind) {
    case 'label_flip': {
      const o = {
        ...(s.mapping !== undefined ? { mapping: s.mapping } : {}),
        ...(s.source !== undefined ? { source: s.source } : {}),
        ...(s.target !== undefined ? { target: s.target } : {}),
        ...(s.fraction !== undefined ? { fraction: s.fraction } : {}),
      };
      return (ds) => labelFlip(ds, o, new Rng(seed)).data;
    }
    case 'backdoor': {
      const o = {
        target: s.target,
        ...(s.fraction !== undefined ? { fraction: s.fraction } : {}),
        ...(s.trigger !== undefined ? { trigger: s.trigger as Trigger } : {}),
      };
      return (ds) => backdoorPoison(ds, o, new Rng(seed)).data;
    }
    default:
      return undefined;
  }
}

/**
 * The attack of one client from the config entries: update attacks compose
 * in config order (each from its `start_round`), data attacks likewise.
 * Data poisoning draws from a fresh stream of its own on every call, derived
 * from `seed`, the client and the entry, so the same data is poisoned the
 * same way in-process and in workers.
 */
export function buildAttack(
  specs: AttackSpec | readonly AttackSpec[],
  clientId: number,
  context: { readonly numClients: number; readonly seed: number; readonly path?: string },
): ClientAttack {
  const path = context.path ?? 'attacks';
  const list = parseAttacks(specs, path) as Parsed[];
  if (!Number.isInteger(clientId) || clientId < 0 || clientId >= context.numClients) {
    throw new QflError('clientId', `must be an integer in 0..${context.numClients - 1}, got ${clientId}`);
  }
  const kinds: AttackKind[] = [];
  const updates: { fn: UpdateFn; from: number }[] = [];
  const data: ((ds: Dataset) => Dataset)[] = [];
  list.forEach((s, i) => {
    const at = Array.isArray(specs) ? `${path}[${i}]` : path;
    if (!maliciousClients(s, context.numClients, context.seed, at).includes(clientId)) return;
    kinds.push(s.kind);
    const u = updateAttack(s);
    if (u) updates.push({ fn: u, from: 'start_round' in s && s.start_round !== undefined ? s.start_round : 1 });
    const d = dataAttack(s, deriveSeed(context.seed, ATTACK_STREAM, clientId, i));
    if (d) data.push(d);
  });
  return {
    clientId,
    kinds,
    attackUpdate(round, update, _global, rng) {
      let u = update;
      for (const a of updates) if (round >= a.from) u = a.fn(u, rng);
      return u;
    },
    poisonData(ds) {
      let out = ds;
      for (const d of data) out = d(out);
      return out;
    },
  };
}

/**
 * The hooks of a ClientApp for a whole federation: `attackUpdate` has the
 * `ClientApp.attackUpdate` signature; wrap `trainData` with `poisonData`.
 * Clients are built once, on first use.
 *
 * @example
 * const hooks = attackHooks(config.attacks, { numClients, seed });
 * const app = { ...base, trainData: (id) => hooks.poisonData(id, base.trainData(id)), attackUpdate: hooks.attackUpdate };
 */
export function attackHooks(
  specs: AttackSpec | readonly AttackSpec[],
  context: { readonly numClients: number; readonly seed: number; readonly path?: string },
): {
  /** Every malicious client id, ascending. */
  readonly malicious: readonly number[];
  attackUpdate(clientId: number, round: number, update: Float64Array, global: Float64Array, rng: Rng): Float64Array;
  poisonData(clientId: number, ds: Dataset): Dataset;
} {
  const path = context.path ?? 'attacks';
  const list = parseAttacks(specs, path);
  const malicious = new Set<number>();
  list.forEach((s, i) => {
    const at = Array.isArray(specs) ? `${path}[${i}]` : path;
    for (const id of maliciousClients(s, context.numClients, context.seed, at)) malicious.add(id);
  });
  const built = new Map<number, ClientAttack>();
  const of = (id: number): ClientAttack | undefined => {
    if (!malicious.has(id)) return undefined;
    let a = built.get(id);
    if (!a) {
      a = buildAttack(list, id, context);
      built.set(id, a);
    }
    return a;
  };
  const poisoned = new Map<number, { from: Dataset; to: Dataset }>();
  return {
    malicious: [...malicious].sort((a, b) => a - b),
    attackUpdate: (clientId, round, update, global, rng) => of(clientId)?.attackUpdate(round, update, global, rng) ?? update,
    poisonData: (clientId, ds) => {
      const a = of(clientId);
      if (!a) return ds;
      // trainData is called every round: poison once per dataset.
      const hit = poisoned.get(clientId);
      if (hit && hit.from === ds) return hit.to;
      const to = a.poisonData(ds);
      poisoned.set(clientId, { from: ds, to });
      return to;
    },
  };
}
