import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { fail } from '../util/errors.js';
import { applyOverrides, parseOverride } from './overrides.js';
import { validate } from './validate.js';

/**
 * Reads a YAML config file and validates it; errors name the file and each
 * bad key's path. `set` holds `key.path=value` overrides (`overrides.ts`),
 * applied before validation.
 */
export function readConfig<S extends z.ZodType>(path: string, schema: S, set: readonly string[] = []): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(path, `cannot read config: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (e) {
    fail(path, `is not valid YAML: ${(e as Error).message}`);
  }
  if (set.length > 0) raw = applyOverrides(raw, set.map(parseOverride));
  return validate(schema, raw, set.length > 0 ? `${path} with --set ${set.join(' --set ')}` : path);
}
