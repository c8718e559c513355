import { fail } from '../util/errors.js';

/** A numeric command-line flag: its default when absent, a clear error naming the flag when out of range. */
export function numberFlag(
  flag: string,
  raw: string | undefined,
  fallback: number,
  limits: { readonly min?: number; readonly max?: number; readonly integer?: boolean } = {},
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  const { min = -Infinity, max = Infinity, integer = false } = limits;
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const range = [min > -Infinity ? `>= ${min}` : '', max < Infinity ? `<= ${max}` : ''].filter(Boolean).join(' and ');
    fail(flag, `must be ${integer ? 'an integer' : 'a number'}${range ? ' ' + range : ''}, got '${raw}'`);
  }
  return n;
}
