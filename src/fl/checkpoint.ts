import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RngState } from '../util/random.js';
import { fail } from '../util/errors.js';

/**
 * The server's state after a complete round: enough to continue the run as
 * if it had never stopped. Parameters travel as base64 of their float64
 * bytes, so a resumed run continues from bit-identical numbers.
 */
export interface Checkpoint {
  readonly version: 1;
  /** The last complete round. */
  readonly round: number;
  readonly params: Float64Array;
  readonly strategyState: unknown;
  readonly rngState: RngState;
  /** Seconds spent in the rounds so far (for ETAs and reports). */
  readonly elapsedSeconds: number;
}

export const CHECKPOINT_FILE = 'checkpoint.json';

const encode = (v: Float64Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

function decode(s: string, field: string): Float64Array {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength % 8 !== 0) fail(field, 'is not a whole number of float64 values');
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same folder is
 * written and flushed to disk, then renamed over the target, so a reader (or
 * a kill -9) sees the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function writeCheckpoint(runDir: string, c: Checkpoint): void {
  const json = JSON.stringify({ ...c, params: encode(c.params) });
  writeFileAtomic(join(runDir, CHECKPOINT_FILE), json);
}

/** The run's last checkpoint, or undefined when it has none yet. */
export function readCheckpoint(runDir: string): Checkpoint | undefined {
  const path = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(path)) return undefined;
  let raw: { version?: unknown; round?: unknown; params?: unknown; strategyState?: unknown; rngState?: unknown; elapsedSeconds?: unknown };
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as typeof raw;
  } catch (e) {
    fail(path, `is not a readable checkpoint: ${(e as Error).message}`);
  }
  if (raw.version !== 1 || typeof raw.round !== 'number' || typeof raw.params !== 'string' || !Array.isArray(raw.rngState)) {
    fail(path, 'is not a qfl checkpoint (version 1 with round, params and rngState)');
  }
  return {
    version: 1,
    round: raw.round,
    params: decode(raw.params, `${path}.params`),
    strategyState: raw.strategyState,
    rngState: raw.rngState as unknown as RngState,
    elapsedSeconds: typeof raw.elapsedSeconds === 'number' ? raw.elapsedSeconds : 0,
  };
}
