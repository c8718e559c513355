import { z } from 'zod';
import { QflError } from '../util/errors.js';

/**
 * Validates plain data against a zod schema; every problem is reported with
 * its dotted path (`train.batch_size: must be ...`), all at once.
 */
export function validate<S extends z.ZodType>(schema: S, raw: unknown, source = 'config'): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new QflError(source, `invalid:\n  ${lines.join('\n  ')}`);
}
