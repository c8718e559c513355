import assert from 'node:assert/strict';
import test from 'node:test';
import { QflError } from '../util/errors.js';
import { MAX_EXPR_DEPTH, MAX_EXPR_TERMS, parseQasm } from './qasm.js';

/** Programs that exhausted memory or the stack are refused while read, naming the limit. */
const HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';
const refused = (src: string, detail: RegExp, limits = {}) =>
  assert.throws(
    () => parseQasm(src, limits),
    (e: unknown) => e instanceof QflError && detail.test(e.detail),
  );

test('qreg q[30] is refused before a 16 GiB state is allocated; --max-qubits raises the limit', () => {
  refused(`${HEADER}qreg q[30];\nh q[0];`, /qubit count to 30: the state needs 16 GiB .*the limit is 24 qubits \(256 MiB\); raise it with --max-qubits/);
  refused(`${HEADER}qreg q[99999999999];`, /qubit count to 1\.00e\+11; the limit is 24/);
  assert.equal(parseQasm(`${HEADER}qreg q[25];`, { maxQubits: 25 }).circuit.nQubits, 25);
});

test('29 nested gate definitions calling each other 4 times are refused by their expanded size', () => {
  let src = `${HEADER}qreg q[1];\ngate g0 a { x a; x a; x a; x a; }\n`;
  for (let k = 1; k < 29; k++) src += `gate g${k} a { g${k - 1} a; g${k - 1} a; g${k - 1} a; g${k - 1} a; }\n`;
  refused(`${src}g28 q[0];`, /g28 expands to 2\.88e\+17 operations.*the limit is 1000000 \(raise it with --max-ops\)/);
  // Within the limit the same construction is read in full.
  assert.equal(parseQasm(`${HEADER}qreg q[1];\ngate g0 a { x a; x a; }\ngate g1 a { g0 a; g0 a; }\ng1 q[0];`).circuit.ops.length, 4);
  refused(`${HEADER}qreg q[1];\ngate g0 a { x a; x a; }\ngate g1 a { g0 a; g0 a; }\ng1 q[0];`, /the limit is 3/, { maxOps: 3 });
});

test('100k nested parentheses and a 200k-term expression are refused, not a stack overflow', () => {
  const deep = `${'('.repeat(100_000)}1${')'.repeat(100_000)}`;
  refused(`qreg q[1];\nrz(${deep}) q[0];`, new RegExp(`nests deeper than ${MAX_EXPR_DEPTH} levels`));
  refused(`qreg q[1];\nrz(${'-'.repeat(100_000)}1) q[0];`, /nests deeper/);
  const long = Array.from({ length: 200_000 }, () => '1').join('+');
  refused(`qreg q[1];\nrz(${long}) q[0];`, new RegExp(`more than ${MAX_EXPR_TERMS} operators`));
  // Ordinary expressions stay fine.
  const p = parseQasm(`qreg q[1];\nrz(((pi/2)+-(0.5*2))^1) q[0];`).circuit.ops[0]!.params[0]!;
  assert.ok(p.kind === 'const' && Math.abs(p.value - (Math.PI / 2 - 1)) < 1e-15);
});
