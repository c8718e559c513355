import { fail } from '../../util/errors.js';
import { KeyShortageError, type KeyShortage, type KeySource } from './keys.js';
import { checkResidues, modulusBits } from './masking.js';
import {
  checkConfig,
  RoundKeyLedger,
  roundKeyBitsPerPair,
  SECAGG_STAGES,
  SecAggClient,
  SecAggError,
  SecAggServer,
  stageOf,
  wireBytes,
  type CollectRes,
  type ConsistencyRes,
  type PairBits,
  type Rejected,
  type SecAggConfig,
  type SecAggMessage,
  type SecAggStage,
  type ServerView,
  type ShareKeysRes,
  type UnmaskRes,
} from './protocol.js';

/**
 * One whole SecAgg+ round in memory: the server and every client of
 * `protocol.ts`, each seeing only its own messages, with the dropouts given.
 * This is how a simulated federation runs the protocol; a deployment runs
 * the same client and server objects on both ends of the wire.
 */

export interface SecureAggregateInput {
  /** Quantized updates, residues in [0, M): a list (client i is entry i) or a map from client id. */
  readonly updates: readonly ArrayLike<number>[] | ReadonlyMap<number, ArrayLike<number>>;
  readonly modulus: number;
  readonly keys: KeySource;
  /** t, of k + 1 holders: more than half of them. */
  readonly threshold: number;
  /** k, neighbours per client; default n - 1 (complete graph). */
  readonly degree?: number;
  /** Public seed of the graph's ring order (default 0). */
  readonly graphSeed?: number;
  readonly round?: number;
  /** Clients that never answer share-keys (never part of the masks). */
  readonly dropoutsBeforeSharing?: readonly number[];
  /** Clients that masked their update (their pair masks are fixed) but whose vector never arrives. */
  readonly dropoutsAfterMasking?: readonly number[];
  /** Survivors that do not answer the unmask request. */
  readonly dropoutsDuringUnmask?: readonly number[];
  /** When a pair lacks key for the round: throw (`'error'`, the default) or return `{ status: 'wait' }`. Checked before any key is used. */
  readonly onKeyShortage?: 'error' | 'wait';
}

/** Bytes one client sent (up) and received (down) in one stage. */
export interface StageBytes {
  readonly clientId: number;
  readonly stage: SecAggStage;
  readonly up: number;
  readonly down: number;
}

export interface SecureAggregateResult {
  readonly status: 'done';
  /** sum_{s in survivors} x_s (mod M): exact when M is sized by `workingModulus`. */
  readonly sum: Float64Array;
  readonly survivors: readonly number[];
  /** Clients that masked but whose vector did not arrive (their updates are not in the sum). */
  readonly dropped: readonly number[];
  /** Messages the server refused, and shares found altered (their senders named). */
  readonly rejected: readonly Rejected[];
  readonly accounting: {
    /** Key bits each pair spent this round. */
    readonly keyBits: readonly PairBits[];
    /** Per client and stage. */
    readonly bytes: readonly StageBytes[];
  };
  /** What the server saw and learned. */
  readonly serverView: ServerView;
  /** The masked vectors of `dropoutsAfterMasking`: what the server would see if they arrived late. */
  readonly late: ReadonlyMap<number, Float64Array>;
  readonly config: SecAggConfig;
  /** Milliseconds in the clients' halves (summed over clients: a deployment runs them in parallel) and in the server's. */
  readonly timing: { readonly clientMs: number; readonly serverMs: number };
}

/** The round cannot start: these pairs lack key. Nothing was consumed. */
export interface KeyWait {
  readonly status: 'wait';
  readonly shortages: readonly KeyShortage[];
}

/**
 * Simulates one SecAgg+ round: every stage, every client, and the dropouts
 * given. Returns the exact sum over the survivors with the key and byte
 * accounting, or throws a `SecAggError` when the round must abort (too few
 * holders at some stage, an unrecoverable dropout, key shortage). Before any
 * key is used every pair of neighbours must hold `roundKeyBitsPerPair` bits;
 * with `onKeyShortage: 'wait'` a shortage returns `{ status: 'wait' }`.
 *
 * @example
 * const { modulus } = workingModulus(8, 3);
 * const keys = KeyPool.random([0, 1, 2], 10 * roundKeyBitsPerPair(4, modulus));
 * const r = await secureAggregate({ updates: [q0, q1, q2], modulus, keys, threshold: 2, dropoutsAfterMasking: [2] });
 * r.sum; // q0 + q1 (mod M)
 */
export function secureAggregate(input: SecureAggregateInput & { readonly onKeyShortage: 'wait' }): Promise<SecureAggregateResult | KeyWait>;
export function secureAggregate(input: SecureAggregateInput): Promise<SecureAggregateResult>;
export async function secureAggregate(input: SecureAggregateInput): Promise<SecureAggregateResult | KeyWait> {
  return Promise.resolve(runRound(input));
}

function runRound(input: SecureAggregateInput): SecureAggregateResult | KeyWait {
  const updates: ReadonlyMap<number, ArrayLike<number>> = Array.isArray(input.updates)
    ? new Map((input.updates as readonly ArrayLike<number>[]).map((u, i) => [i, u]))
    : (input.updates as ReadonlyMap<number, ArrayLike<number>>);
  const ids = [...updates.keys()].sort((a, b) => a - b);
  const length = updates.get(ids[0]!)?.length ?? 0;
  const cfg: SecAggConfig = {
    round: input.round ?? 0,
    clientIds: ids,
    threshold: input.threshold,
    degree: input.degree ?? ids.length - 1,
    graphSeed: input.graphSeed ?? 0,
    modulus: input.modulus,
    length,
  };
  checkConfig(cfg);
  for (const id of ids) {
    const u = updates.get(id)!;
    if (u.length !== length) fail(`updates[${id}]`, `has ${u.length} entries, client ${ids[0]} has ${length}`);
    checkResidues(u, input.modulus, `updates[${id}]`);
  }
  const lists = {
    dropoutsBeforeSharing: input.dropoutsBeforeSharing ?? [],
    dropoutsAfterMasking: input.dropoutsAfterMasking ?? [],
    dropoutsDuringUnmask: input.dropoutsDuringUnmask ?? [],
  };
  const seen = new Map<number, string>();
  for (const [name, list] of Object.entries(lists)) {
    for (const id of list) {
      if (!updates.has(id)) fail(name, `client ${id} is not one of the round's clients`);
      if (seen.has(id)) fail(name, `client ${id} is already in ${seen.get(id)}`);
      seen.set(id, name);
    }
  }

  const server = new SecAggServer(cfg);
  // Key check on every edge of the graph before anything is consumed.
  const need = roundKeyBitsPerPair(length, input.modulus);
  const shortages: KeyShortage[] = [];
  for (const i of ids) {
    for (const j of server.neighbours(i)) {
      if (j < i) continue;
      const have = input.keys.available(i, j);
      if (have < need) shortages.push({ i, j, needed: need, available: have });
    }
  }
  if (shortages.length > 0) {
    if (input.onKeyShortage === 'wait') return { status: 'wait', shortages };
    const s = shortages[0]!;
    const more = shortages.length > 1 ? ` (and ${shortages.length - 1} more pairs)` : '';
    throw new SecAggError(
      'key-shortage',
      'share-keys',
      `pair ${s.i},${s.j} holds ${s.available} key bits, a round of ${length} entries mod ${input.modulus} needs ${s.needed}${more}; no key was used`,
    );
  }

  const ledger = new RoundKeyLedger(input.keys, length * modulusBits(input.modulus));
  const clients = new Map(ids.map((id) => [id, new SecAggClient(id)]));
  const bytes = new Map<string, { up: number; down: number }>();
  const count = (clientId: number, msg: SecAggMessage, dir: 'up' | 'down') => {
    const key = `${clientId}:${stageOf(msg)}`;
    const row = bytes.get(key) ?? bytes.set(key, { up: 0, down: 0 }).get(key)!;
    row[dir] += wireBytes(msg, input.modulus);
  };
  for (const id of ids) for (const st of SECAGG_STAGES) bytes.set(`${id}:${st}`, { up: 0, down: 0 });
  let clientMs = 0;
  const onClient = <T>(f: () => T): T => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      clientMs += performance.now() - t0;
    }
  };
  const started = performance.now();
  const beforeSharing = new Set(lists.dropoutsBeforeSharing);
  const afterMasking = new Set(lists.dropoutsAfterMasking);
  const duringUnmask = new Set(lists.dropoutsDuringUnmask);

  try {
    const shareRes: ShareKeysRes[] = [];
    for (const ins of server.shareKeysIns()) {
      count(ins.clientId, ins, 'down');
      if (beforeSharing.has(ins.clientId)) continue;
      const res = onClient(() => clients.get(ins.clientId)!.shareKeys(ins, ledger));
      count(ins.clientId, res, 'up');
      shareRes.push(res);
    }
    const collectRes: CollectRes[] = [];
    const late = new Map<number, Float64Array>();
    for (const ins of server.collectIns(shareRes)) {
      count(ins.clientId, ins, 'down');
      const res = onClient(() => clients.get(ins.clientId)!.collect(ins, updates.get(ins.clientId)!, ledger));
      if (afterMasking.has(ins.clientId)) {
        late.set(ins.clientId, res.masked);
        continue;
      }
      count(ins.clientId, res, 'up');
      collectRes.push(res);
    }
    const checkRes: ConsistencyRes[] = [];
    for (const ins of server.consistencyIns(collectRes)) {
      count(ins.clientId, ins, 'down');
      const res = onClient(() => clients.get(ins.clientId)!.consistency(ins, ledger));
      count(ins.clientId, res, 'up');
      checkRes.push(res);
    }
    const unmaskRes: UnmaskRes[] = [];
    for (const ins of server.unmaskIns(checkRes)) {
      count(ins.clientId, ins, 'down');
      if (duringUnmask.has(ins.clientId)) continue;
      const res = onClient(() => clients.get(ins.clientId)!.unmask(ins, ledger));
      count(ins.clientId, res, 'up');
      unmaskRes.push(res);
    }
    const out = server.finish(unmaskRes);
    return {
      status: 'done',
      sum: out.sum,
      survivors: out.survivors,
      dropped: out.dropped,
      rejected: server.rejected,
      accounting: {
        keyBits: ledger.bitsUsed(),
        bytes: [...bytes.entries()].map(([k, v]) => {
          const [clientId, stage] = k.split(':') as [string, SecAggStage];
          return { clientId: Number(clientId), stage, up: v.up, down: v.down };
        }),
      },
      serverView: server.view,
      late,
      config: server.cfg,
      timing: { clientMs, serverMs: performance.now() - started - clientMs },
    };
  } catch (e) {
    if (e instanceof KeyShortageError) throw new SecAggError('key-shortage', 'share-keys', e.message);
    throw e;
  }
}
