import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EVENTS_FILE, isRunDir, parseEvents, runName } from '../experiments/report/read.js';
import { summarizeRun } from '../experiments/report/summary.js';
import type { RunRow, RunState } from './protocol.js';
import { STALE_MS } from './run-feed.js';

/**
 * The runs under a directory (`qfl ui runs/`): its run directories, found
 * down to `MAX_DEPTH` levels (runs/NAME-TIME, runs/SWEEP/POINT), each named
 * by its path relative to that directory. A run id that comes from a
 * request is checked here: it must name a run directory inside the root.
 */

export const MAX_DEPTH = 3;
const SKIP = new Set(['node_modules', 'plots']);

/** Relative paths ('/'-separated) of the run directories under `root`, in natural order. */
export function findRuns(root: string): string[] {
  const base = resolve(root);
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const d of entries) {
      // Symbolic links are not followed: everything listed lies inside the root.
      if (!d.isDirectory() || d.name.startsWith('.') || SKIP.has(d.name)) continue;
      const sub = join(dir, d.name);
      if (isRunDir(sub)) out.push(relative(base, sub).split(sep).join('/'));
      else if (depth < MAX_DEPTH) walk(sub, depth + 1);
    }
  };
  if (isRunDir(base)) return [''];
  walk(base, 1);
  return out.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * The directory of run `id` under `root`, or undefined when `id` is not a
 * run directory inside it (absolute paths, `..`, links out of the root,
 * directories without events.jsonl).
 */
export function resolveRunId(root: string, id: string): string | undefined {
  if (id.includes('\0') || id.includes('\\') || isAbsolute(id)) return undefined;
  if (id.split('/').some((part) => part === '..' || part === '.')) return undefined;
  const base = resolve(root);
  const dir = resolve(base, id);
  if (dir !== base && !dir.startsWith(base + sep)) return undefined;
  if (!isRunDir(dir)) return undefined;
  try {
    const real = realpathSync(dir);
    const realBase = realpathSync(base);
    if (real !== realBase && !real.startsWith(realBase + sep)) return undefined;
  } catch {
    return undefined;
  }
  return dir;
}

const cache = new Map<string, { key: string; row: RunRow }>();

/** A row of the runs table for the run directory `dir` (cached until its events.jsonl changes). */
export function runRow(root: string, id: string, now = Date.now()): RunRow {
  const dir = resolve(root, id);
  const st = statSync(join(dir, EVENTS_FILE));
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = cache.get(dir);
  const log = hit?.key === key ? undefined : parseEvents(readFileSync(join(dir, EVENTS_FILE), 'utf8'));
  let row: RunRow;
  if (!log) row = hit!.row;
  else {
    const s = summarizeRun(log);
    const state: RunState = log.end ? 'finished' : !log.start ? 'waiting' : 'running';
    row = {
      id,
      name: runName(dir, log),
      state,
      rounds: s.lastRound ?? 0,
      ...(s.plannedRounds !== undefined ? { plannedRounds: s.plannedRounds } : {}),
      ...(s.finalAccuracy !== undefined ? { finalAccuracy: s.finalAccuracy } : {}),
      ...(s.bestAccuracy !== undefined ? { bestAccuracy: s.bestAccuracy } : {}),
      ...(s.finalLoss !== undefined ? { finalLoss: s.finalLoss } : {}),
      ...(s.seconds !== undefined ? { seconds: s.seconds } : {}),
      updated: new Date(st.mtimeMs).toISOString(),
    };
    cache.set(dir, { key, row });
  }
  // A run that has not ended and whose file stopped changing long ago was stopped.
  return row.state === 'running' && now - st.mtimeMs > STALE_MS ? { ...row, state: 'stopped' } : row;
}
