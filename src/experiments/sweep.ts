import { fail } from '../util/errors.js';
import { RunConfigSchema, type RunConfig } from './run-schema.js';
import { validate } from './validate.js';
import { checkSweepSize, type ResourceLimits } from './limits.js';

/**
 * Sweeps: a `sweep:` block names a grid over dotted config keys and optional
 * repeated seeds; every combination is one point, a full run config of its
 * own, validated like any config. A grid key listing several comma-separated
 * keys takes tuples and sets them together (`model.embedding,data.downsample:
 * [[amplitude, [4, 4]], [angle, [2, 2]]]`).
 */
export interface SweepPointConfig {
  /** A readable, filesystem-safe label: `strategy.name=fedprox,seed=2`. */
  readonly label: string;
  readonly overrides: Record<string, unknown>;
  readonly config: RunConfig;
}

/** Sets a dotted key in a plain object (a numeric part indexes an array), creating objects on the way. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur: Record<string, unknown> | unknown[] = obj;
  keys.slice(0, -1).forEach((k) => {
    const at = Array.isArray(cur) ? Number(k) : k;
    if (Array.isArray(cur) && !(Number.isInteger(at) && (at as number) >= 0)) fail(`sweep.grid.${path}`, `'${k}' is not an index of a list`);
    const holder = cur as Record<string | number, unknown>;
    const next = holder[at];
    if (next === undefined) holder[at] = {};
    else if (typeof next !== 'object' || next === null) fail(`sweep.grid.${path}`, `'${k}' is not a section or a list`);
    cur = holder[at] as Record<string, unknown> | unknown[];
  });
  const last = keys[keys.length - 1]!;
  (cur as Record<string | number, unknown>)[Array.isArray(cur) ? Number(last) : last] = value;
}

const safe = (v: unknown): string => (typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/[^A-Za-z0-9._=-]+/g, '_');

/** Every point of a config's sweep (one point, the config itself, when it has none). */
export function expandSweep(config: RunConfig, limits?: Pick<ResourceLimits, 'sweepPoints'>): SweepPointConfig[] {
  const { sweep, ...base } = config;
  if (!sweep) return [{ label: config.name, overrides: {}, config }];
  checkSweepSize(config, limits);
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(sweep.grid)) {
    // 'a.b,c.d': [[1, 2], [3, 4]] sets a.b and c.d together (zipped), not as a product.
    const keys = key.split(',').map((k) => k.trim());
    const settings = values.map((v, i) => {
      if (keys.length === 1) return { [keys[0]!]: v };
      if (!Array.isArray(v) || v.length !== keys.length) fail(`sweep.grid.${key}[${i}]`, `must list ${keys.length} values, one per key`);
      return Object.fromEntries(keys.map((k, j) => [k, (v as unknown[])[j]]));
    });
    combos = combos.flatMap((c) => settings.map((set) => ({ ...c, ...set })));
  }
  if (sweep.seeds) combos = combos.flatMap((c) => sweep.seeds!.map((s) => ({ ...c, seed: s })));
  return combos.map((overrides) => {
    const raw = structuredClone(base) as Record<string, unknown>;
    // Values are copied: a later key may write inside an earlier key's object.
    for (const [k, v] of Object.entries(overrides)) setPath(raw, k, structuredClone(v));
    const label = Object.entries(overrides).map(([k, v]) => `${k}=${safe(v)}`).join(',') || config.name;
    return { label, overrides, config: validate(RunConfigSchema, raw, `sweep point ${label}`) };
  });
}
