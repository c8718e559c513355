import { parse } from 'yaml';
import { fail } from '../util/errors.js';

/**
 * Command-line overrides of a config, `--set key.path=value` (Flower's
 * `--run-config 'key=value'`, Hydra's `key=value`): the value is parsed as
 * YAML (`20`, `fedadam`, `[0, 1]`, `{kind: iid}`), a path segment is a key or
 * a list index (`sweep.grid[0]` or `pipeline.0.max_norm`). Overrides apply to
 * the raw YAML before validation, so an override is checked exactly like the
 * file, and the resolved config (config.yaml of the run) records it.
 */
export interface Override {
  readonly path: readonly (string | number)[];
  readonly value: unknown;
  /** The flag as written, for error messages. */
  readonly text: string;
}

/** Dotted segments and [i] indices: `a.b[2].c` and `a.b.2.c` are the same path. */
function parsePath(key: string, text: string): (string | number)[] {
  const path: (string | number)[] = [];
  for (const part of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) fail('--set', `bad key path in '${text}': segments are names or [index], separated by dots`);
    if (m[1] !== '') path.push(/^\d+$/.test(m[1]!) ? Number(m[1]) : m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  return path;
}

export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) fail('--set', `expected key.path=value, got '${text}'`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1);
  let value: unknown;
  try {
    value = parse(raw);
  } catch (e) {
    fail('--set', `the value of '${key}' is not valid YAML: ${(e as Error).message}`);
  }
  return { path: parsePath(key, text), value: value ?? null, text };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Returns a copy of `raw` with `o.value` at `o.path`; missing maps are created, lists may grow by one at their end. */
export function applyOverride(raw: unknown, o: Override): unknown {
  const set = (node: unknown, depth: number): unknown => {
    if (depth === o.path.length) return o.value;
    const seg = o.path[depth]!;
    const where = o.path.slice(0, depth).join('.') || '(root)';
    if (Array.isArray(node)) {
      if (typeof seg !== 'number') fail('--set', `'${o.text}': ${where} is a list; index it with [i], not '${seg}'`);
      if (seg > node.length) fail('--set', `'${o.text}': index ${seg} is past the end of ${where} (${node.length} items; ${node.length} appends)`);
      const copy = [...node];
      copy[seg] = set(node[seg], depth + 1);
      return copy;
    }
    if (node === undefined || node === null) return { [String(seg)]: set(undefined, depth + 1) };
    if (!isRecord(node)) fail('--set', `'${o.text}': ${where} is a value (${JSON.stringify(node)}), not a map or list`);
    return { ...node, [String(seg)]: set(node[String(seg)], depth + 1) };
  };
  return set(raw, 0);
}

export function applyOverrides(raw: unknown, overrides: readonly Override[]): unknown {
  return overrides.reduce(applyOverride, raw);
}
