import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The compiled CLI beside this compiled test: dist/cli/commands/ -> dist/cli/main.js. */
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';

const dir = mkdtempSync(join(tmpdir(), 'qfl-simulate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

function qfl(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'simulate', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the command, expects success and one line of JSON. */
function json(...args: string[]): Record<string, unknown> {
  const r = qfl(...args);
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  assert.equal(r.stderr, '');
  assert.ok(r.stdout.endsWith('\n') && r.stdout.trim().split('\n').length === 1, r.stdout);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function assertClose(actual: unknown, expected: readonly number[], tol = 1e-12): void {
  assert.ok(Array.isArray(actual), `expected an array, got ${JSON.stringify(actual)}`);
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs((v as number) - expected[i]!) <= tol, `[${i}] = ${v}, expected ${expected[i]}`));
}

const bell = file('bell.qasm', `${HEADER}qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\nmeasure q -> c;\n`);
const ghz = file('ghz.qasm', `${HEADER}qreg a[1];\nqreg b[2];\nh a[0];\ncx a[0], b[0];\ncx b[0], b[1];\n`);

describe('qfl simulate', () => {
  test('Bell state: probabilities with qubit 0 the most significant bit', () => {
    const out = json(bell);
    assert.deepEqual(Object.keys(out), ['nQubits', 'bitOrder', 'probs']);
    assert.equal(out.nQubits, 2);
    assert.equal(out.bitOrder, 'q0-msb');
    assertClose(out.probs, [0.5, 0, 0, 0.5]);
  });

  test('bit order: X on qubit 0 of two is |10>, index 2', () => {
    const x0 = file('x0.qasm', `${HEADER}qreg q[2];\nx q[0];\n`);
    assertClose(json(x0).probs, [0, 0, 1, 0]);
  });

  test('GHZ over two registers (wires in declaration order)', () => {
    const out = json(ghz);
    assert.equal(out.nQubits, 3);
    assertClose(out.probs, [0.5, 0, 0, 0, 0, 0, 0, 0.5]);
  });

  test('--expval: keys exactly as written, trimmed', () => {
    const out = json(bell, '--expval', 'Z0, Z0 Z1 ,X0X1,Y0 Y1,I');
    const ev = out.expval as Record<string, number>;
    assert.deepEqual(Object.keys(ev), ['Z0', 'Z0 Z1', 'X0X1', 'Y0 Y1', 'I']);
    const expected = { Z0: 0, 'Z0 Z1': 1, X0X1: 1, 'Y0 Y1': -1, I: 1 };
    for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(ev[k]! - v) < 1e-12, `${k} = ${ev[k]}`);
  });

  test('--shots --seed: counts are deterministic, sorted, and sum to the shots', () => {
    const a = qfl(ghz, '--shots', '1000', '--seed', '7');
    const b = qfl(ghz, '--shots', '1000', '--seed', '7');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const counts = (JSON.parse(a.stdout) as { counts: Record<string, number> }).counts;
    assert.deepEqual(Object.keys(counts).sort(), ['000', '111']);
    assert.ok(a.stdout.indexOf('"000"') < a.stdout.indexOf('"111"'));
    assert.equal(counts['000']! + counts['111']!, 1000);
    assert.ok(counts['000']! > 400 && counts['000']! < 600, JSON.stringify(counts));
    const c = qfl(ghz, '--shots', '1000', '--seed', '8');
    assert.notEqual(c.stdout, a.stdout);
  });

  test('--expval with --shots estimates from samples', () => {
    const out = json(bell, '--expval', 'Z0 Z1,Z0', '--shots', '2000', '--seed', '1');
    const ev = out.expval as Record<string, number>;
    assert.equal(ev['Z0 Z1'], 1); // every shot has even parity
    assert.ok(Math.abs(ev.Z0!) < 0.1, `Z0 = ${ev.Z0}`);
    assert.equal(Math.abs(Math.round(ev.Z0! * 2000)) % 2, 0); // an average of 2000 values of +-1
    assert.deepEqual(json(bell, '--expval', 'Z0', '--shots', '500', '--seed', '3'), json(bell, '--expval', 'Z0', '--shots', '500', '--seed', '3'));
  });

  test('--help prints the usage and exits 0', () => {
    const r = qfl('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: qfl simulate FILE\.qasm/);
  });

  test('the examples run', (t) => {
    const candidates = [fileURLToPath(new URL('../../../examples/qasm/', import.meta.url)), join(process.cwd(), 'examples/qasm/')];
    const examples = candidates.find((p) => existsSync(join(p, 'bell.qasm')));
    if (examples === undefined) return t.skip('examples/qasm not found');
    assertClose(json(join(examples, 'bell.qasm')).probs, [0.5, 0, 0, 0.5]);
    assertClose(json(join(examples, 'ghz.qasm')).probs, [0.5, 0, 0, 0, 0, 0, 0, 0.5]);
    return undefined;
  });

  describe('errors go to stderr with a non-zero exit', () => {
    const fails = (args: string[], message: string) => {
      const r = qfl(...args);
      assert.equal(r.code, 1, `exit ${r.code}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `qfl: ${message}\n`);
    };

    test('a missing file is named', () => {
      const path = join(dir, 'nope.qasm');
      fails([path], `${path}: cannot read the OpenQASM file: no such file`);
    });

    test('a QASM error names the file and the line', () => {
      const bad = file('bad.qasm', `${HEADER}qreg q[1];\nreset q[0];\n`);
      fails([bad], `${bad}, line 4: 'reset' is not supported: the importer builds a unitary circuit (no reset, if or opaque)`);
    });

    test('no file, two files', () => {
      fails([], 'FILE: missing; usage: qfl simulate FILE.qasm [options]');
      fails([bell, ghz], `FILE: expected one file, got 2: ${bell} ${ghz}`);
    });

    test('bad option values', () => {
      fails([bell, '--shots', '0'], "--shots: must be an integer >= 1, got '0'");
      fails([bell, '--shots', '2.5'], "--shots: must be an integer >= 1, got '2.5'");
      fails([bell, '--shots', '10', '--seed', 'x'], "--seed: must be an integer >= 0, got 'x'");
      fails([bell, '--expval', 'Z5'], "observable 'Z5': wire 5 is not in [0, 1]");
      fails([bell, '--expval', 'Z0,'], "observable '': is empty; write a Pauli word such as \"Z0\" or \"X0 Z2 Y3\"");
    });

    test('unknown options and missing values', () => {
      const r = qfl(bell, '--bogus');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^qfl simulate: .*'--bogus'.*; see 'qfl simulate --help'/);
      const s = qfl(bell, '--shots');
      assert.equal(s.code, 2);
      assert.match(s.stderr, /^qfl simulate: .*--shots/);
    });
  });
});
