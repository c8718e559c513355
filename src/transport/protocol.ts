import { fail } from '../util/errors.js';

/**
 * Constants and pure helpers of the Fleet protocol shared by the server, the
 * Node client and the browser client (no Node-only imports here).
 */
export const PROTOCOL_VERSION = 1;

/** The header carrying the session token of a registered node. */
export const SESSION_HEADER = 'qfl-session';

/** Domain separation: these bytes prefix every signed challenge, so a signature made here means nothing elsewhere. */
export const AUTH_CONTEXT = 'qfl-node-auth-v1';

/** Shortest challenge accepted: 128 bits, so a recorded signature is never asked for again. */
export const MIN_CHALLENGE_BYTES = 16;

/** Names go into file names (`<name>.key`) and allow-list lines, so no spaces, slashes or NULs. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkNodeName(name: string, field = 'name'): string {
  if (!NODE_NAME.test(name)) fail(field, `'${name}' is not a node name: 1-64 of letters, digits, '.', '_', '-', starting with a letter or digit`);
  return name;
}

/**
 * The bytes a node signs: "qfl-node-auth-v1\0" + name + "\0" + challenge.
 * Names have no NUL, so the split is unambiguous; the context string keeps the
 * signature from being valid for any other protocol using the same key.
 */
export function challengeMessage(challenge: Uint8Array, nodeName: string): Uint8Array {
  checkNodeName(nodeName, 'nodeName');
  if (challenge.length < MIN_CHALLENGE_BYTES) fail('challenge', `must be at least ${MIN_CHALLENGE_BYTES} random bytes, got ${challenge.length}`);
  const head = new TextEncoder().encode(`${AUTH_CONTEXT}\0${nodeName}\0`);
  const out = new Uint8Array(head.length + challenge.length);
  out.set(head, 0);
  out.set(challenge, head.length);
  return out;
}

/** "0-3, 7, 9-10" */
export function ranges(ids: readonly number[]): string {
  const s = [...ids].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    out.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return out.join(', ');
}

/** "0-3,7" -> [0, 1, 2, 3, 7]; checked against the number of clients later, by the server. */
/**
 * The clients of node `index` when every node hosts `perNode` consecutive
 * ones: index·K .. index·K + K - 1. A Kubernetes Indexed Job gives each pod
 * its index (JOB_COMPLETION_INDEX), so N pods of K clients host N·K.
 */
export function partitionOfIndex(index: number, perNode: number): number[] {
  if (!(Number.isInteger(perNode) && perNode >= 1 && perNode <= 100_000)) fail('--partitions-per-node', `must be an integer in [1, 100000], got ${perNode}`);
  if (!(Number.isInteger(index) && index >= 0 && index * perNode <= Number.MAX_SAFE_INTEGER)) fail('--partition-index', `must be an integer >= 0, got ${index}`);
  return Array.from({ length: perNode }, (_, k) => index * perNode + k);
}

export function parsePartition(text: string): number[] {
  return parseClientIds(text, '--partition');
}

/** Client ids and ranges ("0-3,7") as a list; errors name `field`. */
export function parseClientIds(text: string, field: string): number[] {
  const out: number[] = [];
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  for (const part of text.split(',')) {
    const m = /^\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?$/.exec(part);
    if (!m) fail(field, `must be client ids and ranges like 3 or 0-4,7, got '${shown}'`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) fail(field, `range ${a}-${b} runs backwards`);
    if (b - a > 100_000 || out.length + b - a > 100_000) fail(field, `'${shown}' lists more than 100000 clients`);
    for (let k = a; k <= b; k++) out.push(k);
  }
  if (new Set(out).size !== out.length) fail(field, `lists a client twice: '${shown}'`);
  return out;
}
