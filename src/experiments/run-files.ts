import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, ftruncateSync, writeSync } from 'node:fs';
import type { RunEvent } from './events.js';

/**
 * Writing and repairing a run directory's events.jsonl.
 *
 * - JSON has no Infinity: `JSON.stringify` writes it as null, which reads
 *   back as "no value". `eventLine` still writes null there (every reader
 *   takes null), but lists each such field with its value under
 *   `nonFinite` ({"fit.trainLoss": "Infinity"}), so nothing is lost silently.
 *   NaN stays a plain null: the runner writes NaN for "not measured".
 * - A writer killed (or out of disk) in the middle of a line leaves a last
 *   line without its newline; the next append would be glued to it and that
 *   event lost. `repairEvents` (run on resume, before anything is appended)
 *   finishes such a line if it is a whole event, and cuts it off otherwise.
 */

export function eventLine(e: RunEvent | Readonly<Record<string, unknown>>): string {
  const nonFinite: Record<string, string> = {};
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'number') {
      if (v === Infinity || v === -Infinity) nonFinite[path] = String(v);
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}.${i}`));
    else if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) for (const [k, x] of Object.entries(v)) walk(x, path === '' ? k : `${path}.${k}`);
  };
  walk(e, '');
  const out = Object.keys(nonFinite).length > 0 ? { ...e, nonFinite } : e;
  return `${JSON.stringify(out)}\n`;
}

export function appendEvent(path: string, e: RunEvent | Readonly<Record<string, unknown>>): void {
  appendFileSync(path, eventLine(e));
}

/**
 * Makes events.jsonl end with a whole line: a torn last line is completed
 * (when it is a whole JSON event that only lacks its newline) or cut off.
 * Returns what was done, for the log, or undefined when nothing was needed.
 */
export function repairEvents(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  if (text === '' || text.endsWith('\n')) return undefined;
  const cut = text.lastIndexOf('\n') + 1;
  const tail = text.slice(cut);
  let whole = false;
  try {
    const e = JSON.parse(tail) as unknown;
    whole = typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string';
  } catch {
    whole = false;
  }
  const fd = openSync(path, 'r+');
  try {
    if (whole) writeSync(fd, '\n', Buffer.byteLength(text));
    else ftruncateSync(fd, Buffer.byteLength(text.slice(0, cut)));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return whole ? 'its last line lacked a newline; completed it' : `its last line was cut off (${Buffer.byteLength(tail)} bytes of a partial write); removed it`;
}
