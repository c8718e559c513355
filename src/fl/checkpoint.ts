import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RngState } from '../util/random.js';
import { fail, QflError } from '../util/errors.js';

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

/** The previous good checkpoint, kept so that a corrupt latest one can be rolled back one round. */
export const PREVIOUS_CHECKPOINT_FILE = 'checkpoint.prev.json';

/** SHA-256 over the checkpoint's JSON without its checksum field (hex). */
function checksum(body: string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Writes the checkpoint atomically, with a SHA-256 checksum over its
 * content, after copying the one it replaces to checkpoint.prev.json (also
 * atomically), so checkpoint.json exists at every moment after the first round.
 */
export function writeCheckpoint(runDir: string, c: Checkpoint): void {
  const body = JSON.stringify({ ...c, params: encode(c.params) });
  const path = join(runDir, CHECKPOINT_FILE);
  if (existsSync(path)) writeFileAtomic(join(runDir, PREVIOUS_CHECKPOINT_FILE), readFileSync(path, 'utf8'));
  writeFileAtomic(path, `${body.slice(0, -1)},"sha256":"${checksum(body)}"}`);
}

/** Removes temporary files of interrupted atomic writes (`NAME.tmp-PID`) in `dir`; returns their names. */
export function removeTempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir).filter((f) => /\.tmp-\d+$/.test(f));
  for (const f of stale) rmSync(join(dir, f), { force: true });
  return stale;
}

export interface ReadCheckpointOptions {
  /** Read checkpoint.prev.json (one round back) instead of checkpoint.json. */
  readonly rollback?: boolean;
}

/**
 * The run's last checkpoint, or undefined when it has none yet. Every field
 * is checked and the checksum must match; a corrupt checkpoint is refused
 * with a message that names the field and, when the previous one is intact,
 * how to roll back to it.
 */
export function readCheckpoint(runDir: string, opts: ReadCheckpointOptions = {}): Checkpoint | undefined {
  const latest = join(runDir, CHECKPOINT_FILE);
  const previous = join(runDir, PREVIOUS_CHECKPOINT_FILE);
  if (opts.rollback) {
    if (!existsSync(previous)) fail('--rollback', `${runDir} has no previous checkpoint (${PREVIOUS_CHECKPOINT_FILE}) to roll back to`);
    return parseCheckpoint(readFileSync(previous, 'utf8'), previous);
  }
  if (!existsSync(latest)) return undefined;
  try {
    return parseCheckpoint(readFileSync(latest, 'utf8'), latest);
  } catch (e) {
    if (!(e instanceof QflError) || !existsSync(previous)) throw e;
    let hint: string;
    try {
      hint = `; the previous checkpoint (round ${parseCheckpoint(readFileSync(previous, 'utf8'), previous).round}) is intact: resume from it with --rollback`;
    } catch {
      hint = '; the previous checkpoint is corrupt too';
    }
    throw new QflError(e.field, `${e.detail}${hint}`);
  }
}

type Raw = Record<string, unknown>;

/** A checkpoint from its file text, every field checked; errors name `path` and the field. */
export function parseCheckpoint(text: string, path: string): Checkpoint {
  let raw: Raw;
  try {
    raw = JSON.parse(text) as Raw;
  } catch (e) {
    return fail(path, `is not a readable checkpoint: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(path, 'is not a readable checkpoint: not a JSON object');
  const field = (name: string, why: string): never => fail(`${path}: ${name}`, why);
  if (raw['version'] !== 1) fail(path, `is not a qfl checkpoint (version must be 1, got ${JSON.stringify(raw['version'])})`);
  const sha = raw['sha256'];
  if (typeof sha !== 'string') field('sha256', 'is missing: the checkpoint carries a SHA-256 checksum of its content');
  const { sha256: _sha, ...content } = raw;
  void _sha;
  if (checksum(JSON.stringify(content)) !== sha) field('sha256', 'does not match the content: the file is corrupt (changed after it was written)');
  const round = raw['round'];
  if (!(typeof round === 'number' && Number.isSafeInteger(round) && round >= 0)) field('round', `must be a whole number >= 0, got ${JSON.stringify(round)}`);
  if (typeof raw['params'] !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw['params'])) field('params', 'must be base64 of float64 values');
  const params = decode(raw['params'] as string, `${path}: params`);
  const bad = params.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) field('params', `entry ${bad} is ${params[bad]}`);
  const state = raw['strategyState'];
  if (typeof state !== 'object' || state === null || Array.isArray(state)) field('strategyState', `must be an object, got ${state === undefined ? 'nothing' : JSON.stringify(state)?.slice(0, 40)}`);
  const rng = raw['rngState'];
  // Words as the generator keeps them (int32 or uint32), not all zero.
  if (!(Array.isArray(rng) && rng.length === 4 && rng.every((w) => Number.isInteger(w) && w >= -0x80000000 && w <= 0xffffffff) && rng.some((w) => w !== 0))) {
    field('rngState', 'must be 4 32-bit words, not all zero');
  }
  const elapsed = raw['elapsedSeconds'];
  if (!(typeof elapsed === 'number' && Number.isFinite(elapsed) && elapsed >= 0)) field('elapsedSeconds', `must be a finite number >= 0, got ${JSON.stringify(elapsed)}`);
  return { version: 1, round: round as number, params, strategyState: state, rngState: rng as unknown as RngState, elapsedSeconds: elapsed as number };
}
