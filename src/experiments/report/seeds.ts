import type { SweepPoint } from './summary.js';

/**
 * Seeds as a sweep axis: the points of a sweep that differ only in `seed` are
 * one setting measured several times. `groupBySeed` collects them, and
 * `settingLabel` names a setting by what it varies, readably.
 */

/** A value as a reader wants it: objects as `key=value` lists (nested objects too), never `[object Object]`. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return `[${v.map(describeValue).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    const name = entries.find(([k]) => k === 'name' || k === 'kind');
    const rest = entries.filter(([k]) => k !== name?.[0]).map(([k, x]) => `${k}=${typeof x === 'object' && x !== null && !Array.isArray(x) ? `{${describeValue(x)}}` : describeValue(x)}`);
    if (name) return rest.length ? `${describeValue(name[1])} (${rest.join(', ')})` : describeValue(name[1]);
    return rest.join(', ');
  }
  return String(v);
}

/** The overrides without `seed`. */
export function withoutSeed(overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(overrides).filter(([k]) => k !== 'seed'));
}

/**
 * A short name for a setting: each override as its key's last part and its
 * value (`strategy.name=fedadam, federation.partition.alpha=0.1` ->
 * `name=fedadam, alpha=0.1`); a comma-joined key (a zipped grid axis) keeps
 * its parts' last segments. `base` when nothing is overridden.
 */
export function settingLabel(overrides: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(withoutSeed(overrides)).map(([k, v]) => {
    const short = k.split(',').map((p) => p.trim().split('.').pop()).join(',');
    return `${short}=${describeValue(v)}`;
  });
  return parts.length ? parts.join(', ') : 'base';
}

export interface SeedGroup<T> {
  /** The setting's overrides, without the seed. */
  readonly overrides: Readonly<Record<string, unknown>>;
  readonly label: string;
  /** One value per seed, in the points' order. */
  readonly bySeed: ReadonlyMap<number, T>;
}

/** The seed a point ran with: its `seed` override, else `fallback` (the config's seed). */
export function pointSeed(p: Pick<SweepPoint, 'overrides'>, fallback: number): number {
  const s = p.overrides['seed'];
  return typeof s === 'number' ? s : fallback;
}

/**
 * Groups values by setting (the overrides other than `seed`), in first-seen
 * order; `seedOf` gives each item's seed.
 *
 * @example
 * groupBySeed([{ overrides: { lr: 0.1, seed: 1 }, v: 0.8 }, { overrides: { lr: 0.1, seed: 2 }, v: 0.9 }], (x) => x.overrides, (x) => x.v, (x) => x.overrides.seed)
 * // [{ label: 'lr=0.1', bySeed: Map { 1 => 0.8, 2 => 0.9 } }]
 */
export function groupBySeed<I, T>(
  items: readonly I[],
  overridesOf: (i: I) => Readonly<Record<string, unknown>>,
  valueOf: (i: I) => T,
  seedOf: (i: I) => number,
): SeedGroup<T>[] {
  const groups = new Map<string, { overrides: Record<string, unknown>; bySeed: Map<number, T> }>();
  for (const item of items) {
    const o = withoutSeed(overridesOf(item));
    const key = JSON.stringify(o);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { overrides: o, bySeed: new Map() }));
    g.bySeed.set(seedOf(item), valueOf(item));
  }
  return [...groups.values()].map((g) => ({ overrides: g.overrides, label: settingLabel(g.overrides), bySeed: g.bySeed }));
}
