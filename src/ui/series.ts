import type { RoundEvent } from '../experiments/events.js';

/**
 * The curves the dashboard draws, from round events: pure functions (the
 * page bundles them), one value per round, null where a round has none (not
 * evaluated that round, or NaN in the event).
 */

export const CURVE_ROLES = ['test', 'client', 'train', 'robust', 'backdoor', 'up', 'down', 'key', 'wait', 'epsilon', 'links'] as const;
export type CurveRole = (typeof CURVE_ROLES)[number];

export interface Curve {
  readonly label: string;
  readonly role: CurveRole;
  readonly values: readonly (number | null)[];
}

/** Curves over the same rounds `x`. */
export interface Curves {
  readonly x: readonly number[];
  readonly curves: readonly Curve[];
}

const v = (x: number | null | undefined): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Keeps the curves that have at least one value. */
function curves(rounds: readonly RoundEvent[], list: readonly { label: string; role: CurveRole; pick: (e: RoundEvent) => number | null | undefined }[]): Curves {
  return {
    x: rounds.map((e) => e.round),
    curves: list.map((c) => ({ label: c.label, role: c.role, values: rounds.map((e) => v(c.pick(e))) })).filter((c) => c.values.some((x) => x !== null)),
  };
}

/**
 * Accuracy per round: the central test set (clean), the clients' own
 * evaluation, training, each robust attack at each radius above 0, and the
 * backdoor's success rate.
 *
 * @example
 * accuracyCurves(rounds).curves.map((c) => c.label)
 * // -> ['test (clean)', 'client eval', 'train', 'fgsm ε=0.1', 'pgd ε=0.1']
 */
export function accuracyCurves(rounds: readonly RoundEvent[]): Curves {
  const robust: { attack: string; eps: number }[] = [];
  for (const e of rounds) {
    for (const r of e.robust ?? []) {
      for (const p of r.points) if (p.eps > 0 && !robust.some((x) => x.attack === r.attack && x.eps === p.eps)) robust.push({ attack: r.attack, eps: p.eps });
    }
  }
  robust.sort((a, b) => a.attack.localeCompare(b.attack) || a.eps - b.eps);
  return curves(rounds, [
    { label: 'test (clean)', role: 'test', pick: (e) => e.central?.accuracy },
    { label: 'client eval', role: 'client', pick: (e) => e.evaluate?.accuracy },
    { label: 'train', role: 'train', pick: (e) => e.fit.trainAccuracy },
    ...robust.map((r) => ({
      label: `${r.attack} ε=${r.eps}`,
      role: 'robust' as const,
      pick: (e: RoundEvent) => e.robust?.find((x) => x.attack === r.attack)?.points.find((p) => p.eps === r.eps)?.accuracy,
    })),
    { label: 'backdoor success', role: 'backdoor', pick: (e) => e.backdoor?.successRate },
  ]);
}

export function lossCurves(rounds: readonly RoundEvent[]): Curves {
  return curves(rounds, [
    { label: 'test', role: 'test', pick: (e) => e.central?.loss },
    { label: 'client eval', role: 'client', pick: (e) => e.evaluate?.loss },
    { label: 'train', role: 'train', pick: (e) => e.fit.trainLoss },
  ]);
}

export function bytesCurves(rounds: readonly RoundEvent[]): Curves {
  return curves(rounds, [
    { label: 'up (clients → server)', role: 'up', pick: (e) => e.bytes.up },
    { label: 'down (server → clients)', role: 'down', pick: (e) => e.bytes.down },
  ]);
}

/** QKD key bits used per round by secure aggregation, and the seconds waited for key. */
export function keyCurves(rounds: readonly RoundEvent[]): Curves {
  return curves(rounds, [
    { label: 'key bits', role: 'key', pick: (e) => e.secure?.keyBits },
    { label: 'key wait (s)', role: 'wait', pick: (e) => (e.secure ? e.secure.keyWaitSeconds : undefined) },
  ]);
}

/** The privacy budget: ε spent so far (client-level DP), and the ε of each round's sum (distributed DP in secure aggregation). */
export function privacyCurves(rounds: readonly RoundEvent[]): Curves {
  return curves(rounds, [
    { label: 'ε spent (client-level DP)', role: 'epsilon', pick: (e) => e.dp?.epsilon },
    { label: 'ε per round (distributed DP)', role: 'test', pick: (e) => e.secure?.dp?.epsilon },
    { label: 'ε per round, all but one client colluding', role: 'client', pick: (e) => e.secure?.dp?.allButOneEpsilon },
  ]);
}

/** Links up among all nodes at each round's start (space-air-ground runs). */
export function linkCurves(rounds: readonly RoundEvent[]): Curves {
  return curves(rounds, [
    { label: 'links up', role: 'links', pick: (e) => e.network?.linksUp },
    { label: 'clients missed', role: 'backdoor', pick: (e) => (e.network ? e.network.missed.length : undefined) },
  ]);
}

export const TIME_PARTS = ['model down', 'local training', 'update up', 'waiting for links', 'waiting for QKD key'] as const;
export type TimePart = (typeof TIME_PARTS)[number];

/** A round's simulated time by part (the slowest client's transfer and training, the waits). */
export interface RoundTime {
  readonly round: number;
  readonly parts: Readonly<Record<TimePart, number>>;
  readonly startS: number;
  readonly endS: number;
}

export function networkTimes(rounds: readonly RoundEvent[]): RoundTime[] {
  const out: RoundTime[] = [];
  for (const e of rounds) {
    const n = e.network;
    if (!n) continue;
    const clients = n.clients;
    const max = (f: (c: (typeof clients)[number]) => number) => Math.max(0, ...clients.map(f).filter(Number.isFinite));
    out.push({
      round: e.round,
      startS: n.startS,
      endS: n.endS,
      parts: {
        'model down': max((c) => c.downS),
        'local training': max((c) => c.computeS),
        'update up': max((c) => c.upS),
        'waiting for links': n.waitS,
        'waiting for QKD key': n.keyWaitS ?? 0,
      },
    });
  }
  return out;
}

/** Totals of a run so far, for the summary strip. */
export interface Totals {
  readonly lastAccuracy?: number;
  readonly bestAccuracy?: number;
  readonly bestRound?: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly keyBits?: number;
  readonly epsilon?: number;
  readonly seconds: number;
  readonly simulatedS?: number;
}

export function totals(rounds: readonly RoundEvent[]): Totals {
  let best: { acc: number; round: number } | undefined;
  let last: number | undefined;
  let up = 0;
  let down = 0;
  let key: number | undefined;
  let eps: number | undefined;
  let seconds = 0;
  let sim: number | undefined;
  for (const e of rounds) {
    const a = v(e.central?.accuracy) ?? v(e.evaluate?.accuracy);
    if (a !== null) {
      last = a;
      if (!best || a > best.acc) best = { acc: a, round: e.round };
    }
    up += v(e.bytes.up) ?? 0;
    down += v(e.bytes.down) ?? 0;
    if (e.secure) key = (key ?? 0) + (v(e.secure.keyBits) ?? 0);
    if (e.dp) eps = v(e.dp.epsilon) ?? eps;
    seconds += v(e.seconds.total) ?? 0;
    if (e.network) sim = e.network.endS;
  }
  return {
    ...(last !== undefined ? { lastAccuracy: last } : {}),
    ...(best ? { bestAccuracy: best.acc, bestRound: best.round } : {}),
    bytesUp: up,
    bytesDown: down,
    ...(key !== undefined ? { keyBits: key } : {}),
    ...(eps !== undefined ? { epsilon: eps } : {}),
    seconds,
    ...(sim !== undefined ? { simulatedS: sim } : {}),
  };
}

/**
 * Seconds left: the mean wall time of the rounds recorded since the last
 * (re)start, times the rounds still to run; undefined before the first round.
 */
export function etaSeconds(rounds: readonly RoundEvent[], planned: number, sinceRound = 0): number | undefined {
  const recent = rounds.filter((e) => e.round > sinceRound);
  const last = rounds[rounds.length - 1];
  if (recent.length === 0 || !last) return undefined;
  const mean = recent.reduce((s, e) => s + (v(e.seconds.total) ?? 0), 0) / recent.length;
  return Math.max(0, planned - last.round) * mean;
}
