import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bitstring, expval, expvalShots, parsePauliWord, probs, sample } from '../../quantum/measure.js';
import { parseQasm } from '../../quantum/qasm.js';
import { simulate } from '../../quantum/statevector.js';
import { fail, QflError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';

/**
 * `qfl simulate FILE.qasm`: runs an OpenQASM 2.0 program on the statevector
 * simulator and prints one line of JSON on stdout:
 * - default: `{"nQubits": n, "bitOrder": "q0-msb", "probs": [...]}` (all 2^n
 *   probabilities, qubit 0 the most significant bit, as PennyLane);
 * - `--expval "Z0,X1 Z2"`: `{"expval": {"Z0": ..., "X1 Z2": ...}}`, exact, or
 *   estimated from `--shots` measurements per word;
 * - `--shots N [--seed S]`: `{"counts": {"00": 510, "11": 490}}`, bitstrings
 *   in the same order, sorted.
 */

const USAGE = `usage: qfl simulate FILE.qasm [--expval WORDS] [--shots N] [--seed S]

Simulates an OpenQASM 2.0 program (qelib1.inc gates, qregs as consecutive
qubits, measure and barrier ignored) and prints JSON on stdout.

  (no option)      {"nQubits": n, "bitOrder": "q0-msb", "probs": [...]}
                   all 2^n probabilities; qubit 0 is the most significant bit
  --expval WORDS   comma-separated Pauli words, e.g. "Z0,X1 Z2":
                   {"expval": {"Z0": ..., "X1 Z2": ...}}
  --shots N        sample N measurements: {"counts": {"0101": 12, ...}};
                   with --expval, estimate each expectation from N shots
  --seed S         seed of the sampler (integer, default 0)
  --max-qubits N   qubits the program may declare (default 24: a 256 MiB state; at most 30)
  --max-ops N      operations after expanding gate definitions (default 1000000)
  -h, --help       show this help`;

function integerOption(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(v) || v < min) {
    fail(`--${name}`, `must be an integer >= ${min}, got '${text}'`);
  }
  return v;
}

function readProgram(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    return fail(path, `cannot read the OpenQASM file: ${why}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      expval: { type: 'string' },
      shots: { type: 'string' },
      seed: { type: 'string' },
      'max-qubits': { type: 'string' },
      'max-ops': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    fail('FILE', positionals.length === 0 ? 'missing; usage: qfl simulate FILE.qasm [options]' : `expected one file, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const path = positionals[0]!;
  const shots = integerOption('shots', values.shots, 1);
  const seed = integerOption('seed', values.seed, 0) ?? 0;

  let circuit;
  try {
    const maxQubits = integerOption('max-qubits', values['max-qubits'], 1);
    const maxOps = integerOption('max-ops', values['max-ops'], 1);
    circuit = parseQasm(readProgram(path), { ...(maxQubits !== undefined ? { maxQubits } : {}), ...(maxOps !== undefined ? { maxOps } : {}) }).circuit;
  } catch (e) {
    if (e instanceof QflError && e.field.startsWith('line ')) throw new QflError(`${path}, ${e.field}`, e.detail);
    throw e;
  }
  const n = circuit.nQubits;
  const state = simulate({ circuit, inputs: new Float64Array(0), weights: new Float64Array(0), batch: 1 });

  let out: string;
  if (values.expval !== undefined) {
    const keys = values.expval.split(',').map((w) => w.trim());
    const words = keys.map((k) => parsePauliWord(k, n));
    const v = shots === undefined ? expval(state, words) : expvalShots(state, words, shots, new Rng(seed));
    out = JSON.stringify({ expval: Object.fromEntries(keys.map((k, i) => [k, v[i]!])) });
  } else if (shots !== undefined) {
    // Written by hand so that bitstrings stay in ascending order ("11" would
    // otherwise jump ahead of "00" as an integer-like object key).
    const counts = [...sample(state, shots, new Rng(seed))[0]!].sort((a, b) => a[0] - b[0]);
    out = `{"counts":{${counts.map(([idx, c]) => `"${bitstring(idx, n)}":${c}`).join(',')}}}`;
  } else {
    out = JSON.stringify({ nQubits: n, bitOrder: 'q0-msb', probs: Array.from(probs(state)) });
  }
  process.stdout.write(`${out}\n`);
  return 0;
}
