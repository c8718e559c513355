import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fail } from '../../util/errors.js';
import type { EndEvent, RoundEvent, StartEvent } from '../events.js';

/**
 * Reading a run directory back: `events.jsonl` (one JSON event per line) and
 * `config.yaml` (the resolved config). Reading is forgiving, because the
 * writer may have been killed at any point:
 * - a last line without its newline that does not parse (a `kill -9` in the
 *   middle of a write) is dropped silently;
 * - any other line that is not JSON, or is an event with missing fields, is
 *   skipped and listed in `skipped` (the report shows them);
 * - events of a `type` this reader does not know are ignored (new kinds of
 *   events add new types);
 * - a resumed run appends a second `start` with `resumedAfterRound: k`: the
 *   rounds after k from the interrupted attempt are dropped, and whenever a
 *   round number appears again the later event replaces the earlier one.
 */

export const EVENTS_FILE = 'events.jsonl';
export const CONFIG_FILE = 'config.yaml';

/** A line of events.jsonl that could not be used. Lines count from 1. */
export interface SkippedLine {
  readonly line: number;
  readonly reason: string;
}

/** The events of one run, cleaned up: one event per round, in round order. */
export interface RunLog {
  /** The first start event, if any (name, planned rounds, clients, parameters). */
  readonly start?: StartEvent;
  /** Later start events: one per resume. */
  readonly resumes: readonly StartEvent[];
  /** One event per round number, sorted by round. */
  readonly rounds: readonly RoundEvent[];
  /** The last end event, if the run finished. */
  readonly end?: EndEvent;
  readonly skipped: readonly SkippedLine[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A metric as JSON writes it: a number, or null where it was NaN or infinite. */
const isMetric = (v: unknown): boolean => typeof v === 'number' || v === null;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Checks the fields the reports rely on; returns what is wrong, or undefined. */
function roundProblem(e: Obj): string | undefined {
  if (!isInt(e['round']) || e['round'] < 0) return "'round' is not a round number";
  const s = e['seconds'];
  if (!isObj(s) || !['total', 'fit', 'evaluate', 'aggregate'].every((k) => isMetric(s[k]))) return "'seconds' lacks total/fit/evaluate/aggregate";
  const f = e['fit'];
  if (!isObj(f) || !isMetric(f['trainLoss']) || !isMetric(f['trainAccuracy'])) return "'fit' lacks trainLoss/trainAccuracy";
  if (!Array.isArray(e['clients'])) return "'clients' is not a list";
  if (!e['clients'].every((c: unknown) => isObj(c) && isInt(c['id']))) return "a client in 'clients' has no integer 'id'";
  const b = e['bytes'];
  if (!isObj(b) || !isMetric(b['up']) || !isMetric(b['down'])) return "'bytes' lacks up/down";
  for (const k of ['evaluate', 'central'] as const) {
    const v = e[k];
    if (v !== undefined && (!isObj(v) || !isMetric(v['loss']) || !isMetric(v['accuracy']))) return `'${k}' lacks loss/accuracy`;
  }
  return undefined;
}

function startProblem(e: Obj): string | undefined {
  if (typeof e['name'] !== 'string') return "'name' is not a string";
  if (e['resumedAfterRound'] !== undefined && !isInt(e['resumedAfterRound'])) return "'resumedAfterRound' is not a round number";
  return undefined;
}

/**
 * Parses the text of an events.jsonl file.
 *
 * @example
 * parseEvents('{"type":"start","name":"a",...}\n{"type":"round","round":1,...}\n{"type":"ro')
 * // -> { start, rounds: [round 1], resumes: [], skipped: [] }  (the cut-off last line is dropped)
 */
export function parseEvents(text: string): RunLog {
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  let start: StartEvent | undefined;
  let end: EndEvent | undefined;
  const resumes: StartEvent[] = [];
  const rounds = new Map<number, RoundEvent>();
  const skipped: SkippedLine[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const lineNo = i + 1;
    const last = i === lines.length - 1;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      // A cut-off last line is what a killed writer leaves: expected, not worth a warning.
      if (!(last && !complete)) skipped.push({ line: lineNo, reason: 'not valid JSON' });
      return;
    }
    if (!isObj(e) || typeof e['type'] !== 'string') {
      skipped.push({ line: lineNo, reason: "not an event (no 'type')" });
      return;
    }
    const problem = e['type'] === 'round' ? roundProblem(e) : e['type'] === 'start' ? startProblem(e) : undefined;
    if (problem !== undefined) {
      skipped.push({ line: lineNo, reason: `${e['type']} event: ${problem}` });
      return;
    }
    switch (e['type']) {
      case 'start': {
        const s = e as unknown as StartEvent;
        if (start === undefined) {
          start = s;
          break;
        }
        resumes.push(s);
        const after = s.resumedAfterRound;
        if (after !== undefined) for (const r of [...rounds.keys()]) if (r > after) rounds.delete(r);
        // A resumed run has not ended (yet): an end from an earlier attempt no longer holds.
        end = undefined;
        break;
      }
      case 'round': {
        const r = e as unknown as RoundEvent;
        rounds.set(r.round, r);
        break;
      }
      case 'end':
        end = e as unknown as EndEvent;
        break;
      default:
        break; // a kind of event this reader does not know
    }
  });
  const sorted = [...rounds.values()].sort((a, b) => a.round - b.round);
  return { ...(start && { start }), resumes, rounds: sorted, ...(end && { end }), skipped };
}

/** True when `dir` is a directory that holds an events.jsonl. */
export function isRunDir(dir: string): boolean {
  return existsSync(join(dir, EVENTS_FILE));
}

/** Reads `<runDir>/events.jsonl`; a clear error when there is none. */
export function readRunEvents(runDir: string): RunLog {
  const dir = resolve(runDir);
  if (!existsSync(dir)) fail(runDir, 'no such directory');
  if (!statSync(dir).isDirectory()) fail(runDir, 'is not a directory; expected a run directory');
  const path = join(dir, EVENTS_FILE);
  if (!existsSync(path)) fail(runDir, `has no ${EVENTS_FILE}; expected a run directory written by 'qfl run' (config.yaml, events.jsonl)`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseEvents(text);
}

/** The resolved config of a run: its text as written, and its value (undefined when it is not valid YAML). */
export interface RunConfig {
  readonly text: string;
  readonly value?: unknown;
}

/** Reads `<runDir>/config.yaml`, or undefined when the run has none. */
export function readRunConfig(runDir: string): RunConfig | undefined {
  const path = join(runDir, CONFIG_FILE);
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  try {
    return { text, value: parseYaml(text) as unknown };
  } catch {
    return { text };
  }
}

/** The run's name: from its start event, else the directory's name. */
export function runName(runDir: string, log: RunLog): string {
  return log.start?.name ?? basename(resolve(runDir));
}
