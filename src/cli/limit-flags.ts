import { defaultLimits, type ResourceLimits } from '../experiments/limits.js';
import { numberFlag } from './flags.js';

/** The flags that raise the resource limits (experiments/limits.ts), shared by qfl run and qfl server. */
export const LIMIT_OPTIONS = {
  'max-memory-gb': { type: 'string' },
  'max-workers': { type: 'string' },
  'max-sweep-points': { type: 'string' },
} as const;

export const LIMIT_HELP = `  --max-memory-gb G  memory the config's estimated needs may reach (default: 3/4 of this machine's)
  --max-workers N    worker threads allowed (default: 4 per core)
  --max-sweep-points N
                     points a sweep may have (default 10000)`;

type LimitValues = { readonly [K in keyof typeof LIMIT_OPTIONS]?: string | undefined };

export function limitsOf(v: LimitValues): ResourceLimits {
  const d = defaultLimits();
  return defaultLimits({
    memoryBytes: numberFlag('--max-memory-gb', v['max-memory-gb'], d.memoryBytes / 2 ** 30, { min: 0.001 }) * 2 ** 30,
    workers: numberFlag('--max-workers', v['max-workers'], d.workers, { min: 1, integer: true }),
    sweepPoints: numberFlag('--max-sweep-points', v['max-sweep-points'], d.sweepPoints, { min: 1, integer: true }),
  });
}

/** The same limits as arguments, for child processes (sweep points). */
export function limitArgs(v: LimitValues): string[] {
  return Object.keys(LIMIT_OPTIONS).flatMap((k) => {
    const x = v[k as keyof LimitValues];
    return x === undefined ? [] : [`--${k}`, x];
  });
}
