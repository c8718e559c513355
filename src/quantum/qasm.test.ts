import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { QflError } from '../util/errors.js';
import { type Circuit, CircuitBuilder, input, type Param, weight } from './circuit.js';
import { GATE_NAMES, GATES, type GateName } from './gates.js';
import { formatQasmNumber, fromQasm, parseQasm, toQasm } from './qasm.js';
import { simulate, type StateBatch } from './statevector.js';

const HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n';

function run(c: Circuit, weights: readonly number[] = [], inputs: readonly number[] = []): StateBatch {
  return simulate({
    circuit: c,
    weights: Float64Array.from(weights),
    inputs: Float64Array.from(inputs.slice(0, c.nInputs)),
    batch: 1,
  });
}

function maxDiff(a: StateBatch, b: StateBatch): number {
  assert.equal(a.re.length, b.re.length, 'state sizes differ');
  let d = 0;
  for (let i = 0; i < a.re.length; i++) d = Math.max(d, Math.abs(a.re[i]! - b.re[i]!), Math.abs(a.im[i]! - b.im[i]!));
  return d;
}

function assertSameState(a: StateBatch, b: StateBatch, tol = 1e-12): void {
  const d = maxDiff(a, b);
  assert.ok(d <= tol, `states differ by ${d}`);
}

/** Equal up to a global phase: rotate b so that its largest amplitude matches a's. */
function assertSameUpToPhase(a: StateBatch, b: StateBatch, tol = 1e-12): void {
  let k = 0;
  for (let i = 0; i < a.re.length; i++) if (a.re[i]! ** 2 + a.im[i]! ** 2 > a.re[k]! ** 2 + a.im[k]! ** 2) k = i;
  const pa = Math.atan2(a.im[k]!, a.re[k]!);
  const pb = Math.atan2(b.im[k]!, b.re[k]!);
  const c = Math.cos(pa - pb);
  const s = Math.sin(pa - pb);
  const re = new Float64Array(b.re.length);
  const im = new Float64Array(b.re.length);
  for (let i = 0; i < re.length; i++) {
    re[i] = c * b.re[i]! - s * b.im[i]!;
    im[i] = s * b.re[i]! + c * b.im[i]!;
  }
  assertSameState(a, { ...b, re, im }, tol);
}

/** The error `fn` throws must be a QflError with exactly this message. */
function throwsExactly(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected a QflError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** H and a distinct RZ, RY on every wire: a generic product state, so controls matter. */
function spread(b: CircuitBuilder): void {
  for (let w = 0; w < b.nQubits; w++) {
    b.h(w);
    b.rz(w, 0.3 + 0.7 * w);
    b.ry(w, 0.2 + 0.45 * w);
  }
}

describe('toQasm -> parseQasm round trip', () => {
  const param: fc.Arbitrary<Param> = fc.oneof(
    fc.double({ min: -7, max: 7, noNaN: true }).map((v) => ({ kind: 'const', value: v }) as const),
    fc.tuple(fc.nat({ max: 2 }), fc.option(fc.double({ min: -2, max: 2, noNaN: true }), { nil: undefined })).map(([i, s]) => weight(i, s)),
    fc.tuple(fc.nat({ max: 1 }), fc.option(fc.double({ min: -2, max: 2, noNaN: true }), { nil: undefined })).map(([i, s]) => input(i, s)),
    fc.constant<Param>({ kind: 'inputProduct', indices: [0, 1], scale: 0.5 }),
  );
  const op = (n: number) =>
    fc.record({
      gate: fc.constantFrom(...GATE_NAMES.filter((g) => GATES[g].nWires <= n)),
      perm: fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
      nCtrl: fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 1 }),
      params: fc.array(param, { minLength: 3, maxLength: 3 }),
    });
  const circuitArb = fc.integer({ min: 1, max: 5 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      ops: fc.array(op(n), { maxLength: 10 }),
      weights: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 3, maxLength: 3 }),
      inputs: fc.array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: 2, maxLength: 2 }),
    }),
  );

  test('random circuits (any gate, extra controls, weight and input parameters) give the same state to 1e-12', () => {
    fc.assert(
      fc.property(circuitArb, ({ n, ops, weights, inputs }) => {
        const b = new CircuitBuilder(n);
        spread(b);
        for (const o of ops) {
          const def = GATES[o.gate];
          const wires = o.perm.slice(0, def.nWires);
          const controls = o.perm.slice(def.nWires, def.nWires + o.nCtrl);
          b.add(o.gate, wires, o.params.slice(0, def.nParams), controls);
        }
        const c = b.build();
        const text = toQasm(c, weights, inputs);
        const back = fromQasm(text);
        assert.equal(back.nQubits, n);
        assertSameState(run(c, weights, inputs), run(back));
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });

  test('every gate with 0 to 3 extra controls, deterministically', () => {
    // Small and large angles: both branches of the ZYZ split (|cos| >= |sin| and not).
    for (const params of [[0.7, -1.3, 2.1], [2.9, 2.6, -3.0]]) {
      for (const gate of GATE_NAMES) {
        const def = GATES[gate];
        for (let k = 0; k + def.nWires <= 5 && k <= 3; k++) {
          const b = new CircuitBuilder(5);
          spread(b);
          // Targets last, controls first: exercises wires in non-increasing order too.
          const wires = range(def.nWires).map((i) => 4 - i);
          b.add(gate, wires, params.slice(0, def.nParams), range(k));
          const c = b.build();
          const back = fromQasm(toQasm(c));
          const d = maxDiff(run(c), run(back));
          assert.ok(d <= 1e-12, `${gate}(${params}) with ${k} control(s): states differ by ${d}`);
        }
      }
    }
  });

  test('writes named qelib1 gates, resolved numbers and exact decompositions', () => {
    const b = new CircuitBuilder(3);
    b.h(0).cnot(0, 1).rx(2, weight(0)).ry(1, input(1, 2)).add('U3', [0], [0.1, 0.2, weight(1, -1)]);
    b.add('X', [2], [], [0, 1]).add('RZ', [1], [0.5], [2]).add('CPhase', [0, 2], [0.25]);
    b.add('RYY', [0, 2], [0.3]).add('Rot', [1], [0.1, 0.2, 0.3]).add('SWAP', [0, 1], [], [2]);
    const text = toQasm(b.build(), [0.1 + 0.2, 4], [0, 1e-7]);
    assert.equal(
      text,
      [
        'OPENQASM 2.0;',
        'include "qelib1.inc";',
        'qreg q[3];',
        'h q[0];',
        'cx q[0],q[1];',
        'rx(0.30000000000000004) q[2];',
        'ry(2.0e-7) q[1];',
        'u3(0.1,0.2,-4) q[0];',
        'ccx q[0],q[1],q[2];',
        'crz(0.5) q[2],q[1];',
        'cu1(0.25) q[0],q[2];',
        'rx(pi/2) q[0];',
        'rx(pi/2) q[2];',
        'cx q[0],q[2];',
        'rz(0.3) q[2];',
        'cx q[0],q[2];',
        'rx(-pi/2) q[0];',
        'rx(-pi/2) q[2];',
        'rz(0.1) q[1];',
        'ry(0.2) q[1];',
        'rz(0.3) q[1];',
        'cswap q[2],q[0],q[1];',
        '',
      ].join('\n'),
    );
  });

  test('numbers keep every bit (shortest round-trip form, at most 17 digits)', () => {
    for (const x of [0.1 + 0.2, Math.PI, -1 / 3, 1e-7, 5e-324, 1.7976931348623157e308, 123456789.12345679, -0]) {
      const s = formatQasmNumber(x);
      assert.ok(s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length <= 17, s);
      const c = fromQasm(`qreg q[1]; rz(${s}) q[0];`);
      assert.deepEqual(c.ops[0]!.params[0], { kind: 'const', value: Object.is(x, -0) ? 0 : x });
    }
    assert.equal(formatQasmNumber(1e-7), '1.0e-7');
    assert.equal(formatQasmNumber(-2.5e21), '-2.5e+21');
    assert.equal(formatQasmNumber(3), '3');
  });
});

describe('parseQasm', () => {
  test('a hand-written program: registers, broadcasting, expressions, user gates, comments, measure', () => {
    const src = `// Hand-written test program
OPENQASM 2.0;
include "qelib1.inc";
qreg a[2];
qreg b[2];   /* wires 2 and 3 */
creg c[4];
gate rot2(theta, phi) x, y {
  ry(theta / 2) x;
  cx x, y;
  rz(-phi^2 + theta) y;
  barrier x, y;
}
h a;                       // h a[0]; h a[1];
cx a, b;                   // cx a[0],b[0]; cx a[1],b[1];
rx(-pi/4 + 2*sin(pi/6)^2) b[1];
u2(0, pi) a[1];
rot2(pi, 0.5) a[0], b[1];
barrier a, b;
measure a -> c[0];
`;
    // 'measure a -> c[0]' mixes a register and a bit: rejected.
    throwsExactly(
      () => parseQasm(src),
      "line 19: measure: cannot measure 2 qubit(s) into 1 bit(s); use 'measure q -> c;' with registers of equal size or single bits",
    );
    const prog = parseQasm(src.replace('measure a -> c[0];', 'creg d[2];\nmeasure a[1] -> c[3];\nmeasure b -> d;'));
    assert.deepEqual(prog.qregs, [
      { name: 'a', size: 2, offset: 0 },
      { name: 'b', size: 2, offset: 2 },
    ]);
    assert.deepEqual(prog.cregs, [
      { name: 'c', size: 4, offset: 0 },
      { name: 'd', size: 2, offset: 4 },
    ]);
    assert.deepEqual(prog.measurements, [
      { wire: 1, creg: 'c', bit: 3 },
      { wire: 2, creg: 'd', bit: 0 },
      { wire: 3, creg: 'd', bit: 1 },
    ]);
    const e = new CircuitBuilder(4);
    e.h(0).h(1).cnot(0, 2).cnot(1, 3);
    e.rx(3, -Math.PI / 4 + 2 * Math.sin(Math.PI / 6) ** 2);
    e.add('U3', [1], [Math.PI / 2, 0, Math.PI]);
    e.ry(0, Math.PI / 2).cnot(0, 3).rz(3, -(0.5 ** 2) + Math.PI);
    assert.deepEqual(prog.circuit, e.build());
    assertSameState(run(prog.circuit), run(e.build()));
  });

  test('operator precedence and functions', () => {
    const value = (expr: string): number => {
      const p = fromQasm(`qreg q[1]; rz(${expr}) q[0];`).ops[0]!.params[0]!;
      assert.equal(p.kind, 'const');
      return p.kind === 'const' ? p.value : NaN;
    };
    assert.equal(value('-2^2'), -4);
    assert.equal(value('2^3^2'), 512);
    assert.equal(value('2^-1'), 0.5);
    assert.equal(value('1-2-3'), -4);
    assert.equal(value('8/4/2'), 1);
    assert.equal(value('2*-3+1'), -5);
    assert.equal(value('+(1+2)*3'), 9);
    assert.equal(value('.5e1'), 5);
    assert.equal(value('sqrt(4) + ln(exp(1)) - tan(0) * cos(0)'), 3);
    assert.equal(value('pi/2'), Math.PI / 2);
  });

  test('every qelib1.inc name maps onto the gate table', () => {
    const cases: [string, GateName, number[], number[], number[]?][] = [
      ['id q[0];', 'I', [0], []],
      ['u0(0.3) q[0];', 'I', [0], []],
      ['x q[0];', 'X', [0], []],
      ['y q[0];', 'Y', [0], []],
      ['z q[0];', 'Z', [0], []],
      ['h q[0];', 'H', [0], []],
      ['s q[0];', 'S', [0], []],
      ['sdg q[0];', 'Sdg', [0], []],
      ['t q[0];', 'T', [0], []],
      ['tdg q[0];', 'Tdg', [0], []],
      ['sx q[0];', 'SX', [0], []],
      ['sxdg q[0];', 'SXdg', [0], []],
      ['rx(0.1) q[0];', 'RX', [0], [0.1]],
      ['ry(0.1) q[0];', 'RY', [0], [0.1]],
      ['rz(0.1) q[0];', 'RZ', [0], [0.1]],
      ['p(0.1) q[0];', 'PhaseShift', [0], [0.1]],
      ['u1(0.1) q[0];', 'PhaseShift', [0], [0.1]],
      ['u2(0.1,0.2) q[0];', 'U3', [0], [Math.PI / 2, 0.1, 0.2]],
      ['u3(0.1,0.2,0.3) q[0];', 'U3', [0], [0.1, 0.2, 0.3]],
      ['u(0.1,0.2,0.3) q[0];', 'U3', [0], [0.1, 0.2, 0.3]],
      ['U(0.1,0.2,0.3) q[0];', 'U3', [0], [0.1, 0.2, 0.3]],
      ['cx q[0],q[1];', 'CNOT', [0, 1], []],
      ['CX q[0],q[1];', 'CNOT', [0, 1], []],
      ['cy q[0],q[1];', 'CY', [0, 1], []],
      ['cz q[0],q[1];', 'CZ', [0, 1], []],
      ['ch q[0],q[1];', 'CH', [0, 1], []],
      ['swap q[0],q[1];', 'SWAP', [0, 1], []],
      ['crx(0.1) q[0],q[1];', 'CRX', [0, 1], [0.1]],
      ['cry(0.1) q[0],q[1];', 'CRY', [0, 1], [0.1]],
      ['crz(0.1) q[0],q[1];', 'CRZ', [0, 1], [0.1]],
      ['cp(0.1) q[0],q[1];', 'CPhase', [0, 1], [0.1]],
      ['cu1(0.1) q[0],q[1];', 'CPhase', [0, 1], [0.1]],
      ['cu3(0.1,0.2,0.3) q[0],q[1];', 'CU3', [0, 1], [0.1, 0.2, 0.3]],
      ['rxx(0.1) q[0],q[1];', 'RXX', [0, 1], [0.1]],
      ['ryy(0.1) q[0],q[1];', 'RYY', [0, 1], [0.1]],
      ['rzz(0.1) q[0],q[1];', 'RZZ', [0, 1], [0.1]],
      ['ccx q[0],q[1],q[2];', 'Toffoli', [0, 1, 2], []],
      ['cswap q[0],q[1],q[2];', 'CSWAP', [0, 1, 2], []],
      ['csx q[0],q[1];', 'SX', [1], [], [0]],
      ['c3x q[0],q[1],q[2],q[3];', 'X', [3], [], [0, 1, 2]],
      ['c4x q[0],q[1],q[2],q[3],q[4];', 'X', [4], [], [0, 1, 2, 3]],
    ];
    for (const [stmt, gate, wires, params, controls] of cases) {
      const c = fromQasm(`${HEADER}qreg q[5];\n${stmt}`);
      const ps = params.map((value) => ({ kind: 'const', value }));
      const expected = controls ? { gate, wires, params: ps, controls } : { gate, wires, params: ps };
      assert.deepEqual(c.ops, [expected], stmt);
    }
    const cu = fromQasm(`${HEADER}qreg q[2];\ncu(0.1,0.2,0.3,0.4) q[0],q[1];`);
    assert.deepEqual(
      cu.ops.map((o) => o.gate),
      ['PhaseShift', 'CU3'],
    );
  });

  test("builtins agree with qelib1.inc's own definitions (up to a global phase)", () => {
    // The definitions from qelib1.inc, renamed, built from U, CX and earlier gates.
    const defs = `
gate my_u2(phi,lambda) q { U(pi/2,phi,lambda) q; }
gate my_sx a { sdg a; h a; sdg a; }
gate my_rx(theta) a { u3(theta, -pi/2,pi/2) a; }
gate my_cz a,b { h b; cx a,b; h b; }
gate my_cy a,b { sdg b; cx a,b; s b; }
gate my_swap a,b { cx a,b; cx b,a; cx a,b; }
gate my_ch a,b { h b; sdg b; cx a,b; h b; t b; cx a,b; t b; h b; s b; x b; s a; }
gate my_ccx a,b,c { h c; cx b,c; tdg c; cx a,c; t c; cx b,c; tdg c; cx a,c; t b; t c; h c; cx a,b; t a; tdg b; cx a,b; }
gate my_cswap a,b,c { cx c,b; my_ccx a,b,c; cx c,b; }
gate my_crx(lambda) a,b { u1(pi/2) b; cx a,b; u3(-lambda/2,0,0) b; cx a,b; u3(lambda/2,-pi/2,0) b; }
gate my_cry(lambda) a,b { u3(lambda/2,0,0) b; cx a,b; u3(-lambda/2,0,0) b; cx a,b; }
gate my_crz(lambda) a,b { u1(lambda/2) b; cx a,b; u1(-lambda/2) b; cx a,b; }
gate my_cu1(lambda) a,b { u1(lambda/2) a; cx a,b; u1(-lambda/2) b; cx a,b; u1(lambda/2) b; }
gate my_cu3(theta,phi,lambda) c, t {
  u1((lambda+phi)/2) c; u1((lambda-phi)/2) t; cx c,t; u3(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u3(theta/2,phi,0) t;
}
gate my_cu(theta,phi,lambda,gamma) c, t { p(gamma) c; my_cu3(theta,phi,lambda) c,t; }
gate my_csx a,b { h b; cu1(pi/2) a,b; h b; }
gate my_rxx(theta) a,b { u3(pi/2, theta, 0) a; h b; cx a,b; u1(-theta) b; cx a,b; h b; u2(-pi, pi-theta) a; }
gate my_ryy(theta) a,b { rx(pi/2) a; rx(pi/2) b; cx a,b; rz(theta) b; cx a,b; rx(-pi/2) a; rx(-pi/2) b; }
gate my_rzz(theta) a,b { cx a,b; u1(theta) b; cx a,b; }
`;
    const prep = 'u3(0.3,0.2,0.1) q[0]; u3(1.1,-0.4,0.9) q[1]; u3(2.0,0.5,-1.2) q[2]; cx q[0],q[2]; ry(0.7) q[1];\n';
    const calls = [
      'u2(0.4,-1.1) q[1];', 'sx q[2];', 'rx(0.9) q[0];', 'cz q[0],q[2];', 'cy q[2],q[1];', 'swap q[0],q[1];',
      'ch q[1],q[0];', 'ccx q[2],q[0],q[1];', 'cswap q[1],q[2],q[0];', 'crx(0.8) q[0],q[1];', 'cry(-1.4) q[2],q[0];',
      'crz(2.2) q[1],q[2];', 'cu1(0.6) q[0],q[2];', 'cu3(0.5,1.5,-0.7) q[2],q[1];', 'cu(0.5,1.5,-0.7,0.3) q[0],q[1];',
      'csx q[1],q[0];', 'rxx(0.9) q[0],q[2];', 'ryy(-0.6) q[1],q[2];', 'rzz(1.3) q[2],q[0];',
    ];
    for (const call of calls) {
      const ours = fromQasm(`${HEADER}qreg q[3];\n${prep}${call}`);
      const theirs = fromQasm(`${HEADER}${defs}qreg q[3];\n${prep}my_${call}`);
      assertSameUpToPhase(run(ours), run(theirs));
    }
  });

  test('U is u3 up to a global phase; comments and whitespace anywhere; header optional', () => {
    const a = fromQasm('qreg q[1];\nU(0.3,0.2,0.1) q[0];');
    const b = fromQasm(`${HEADER}qreg /* inline */ q [ 1 ] ;\n// comment\nu3( 0.3 , 0.2 , 0.1 )\n q[ 0 ] ;`);
    assert.deepEqual(a, b);
  });
});

describe('parseQasm errors name the line and the statement', () => {
  const cases: [string, string][] = [
    ['OPENQASM 3.0;\nqubit q;', 'line 1: OPENQASM 3.0 is not supported; only OPENQASM 2.0 programs can be imported'],
    ['\n\nOPENQASM 3;', 'line 3: OPENQASM 3 is not supported; only OPENQASM 2.0 programs can be imported'],
    ['qubit[2] q;', "line 1: 'qubit' is OpenQASM 3; only OPENQASM 2.0 programs can be imported"],
    [`${HEADER}qreg q[1];\nOPENQASM 2.0;`, "line 4: 'OPENQASM' must be the first statement of the program"],
    ['OPENQASM 2.0;\ninclude "stdgates.inc";', 'line 2: include "stdgates.inc": only "qelib1.inc" can be included'],
    [`${HEADER}qreg q[1];\nreset q[0];`, "line 4: 'reset' is not supported: the importer builds a unitary circuit (no reset, if or opaque)"],
    [`${HEADER}qreg q[1];\ncreg c[1];\nif (c==1) x q[0];`, "line 5: 'if' is not supported: the importer builds a unitary circuit (no reset, if or opaque)"],
    [`${HEADER}\nopaque magic q;`, "line 4: 'opaque' is not supported: the importer builds a unitary circuit (no reset, if or opaque)"],
    [`${HEADER}qreg q[1];\n\nfoo q[0];`, "line 5: unknown gate 'foo'"],
    [`${HEADER}qreg q[3];\nrccx q[0],q[1],q[2];`, "line 4: gate 'rccx' of qelib1.inc is not supported (no exact counterpart in the gate table); define it with a 'gate' block"],
    [`${HEADER}qreg q[1];\nrx q[0];`, 'line 4: rx takes 1 parameter(s), got 0'],
    [`${HEADER}qreg q[2];\ncx q[0];`, 'line 4: cx acts on 2 qubit(s), got 1'],
    [`${HEADER}qreg q[1];\nh r[0];`, "line 4: h: 'r' is not a declared qreg"],
    [`${HEADER}qreg q[1];\ncreg c[1];\nh c[0];`, "line 5: h: 'c' is not a declared qreg (it is a creg)"],
    [`${HEADER}qreg q[2];\nh q[2];`, 'line 4: h: q[2] is out of range; qreg q has 2 (indices 0..1)'],
    [`${HEADER}qreg q[2];\nqreg r[3];\ncx q, r;`, 'line 5: cx: registers of different sizes (2 and 3) cannot be broadcast together'],
    [`${HEADER}qreg q[2];\ncx q[1], q[1];`, 'line 4: cx: qubit q[1] is used more than once'],
    [`${HEADER}qreg q[2];\ncx q, q[0];`, 'line 4: cx: qubit q[0] is used more than once'],
    [`${HEADER}qreg q[1];\nrx(theta) q[0];`, "line 4: rx: unknown identifier 'theta' in a parameter; use numbers, pi, + - * / ^ and sin cos tan exp ln sqrt"],
    [`${HEADER}qreg q[1];\nrx(pi q[0];`, "line 4: expected ')' to close the parameters of 'rx', found 'q'"],
    [`${HEADER}qreg q[1];\nrx(2*) q[0];`, "line 4: rx: expected a parameter expression, found ')'"],
    [`${HEADER}qreg q[1];\nrx(1/0) q[0];`, 'line 4: rx: parameter 1 evaluates to Infinity, not a finite number'],
    [`${HEADER}qreg q[1];\nu3(0, ln(-1), 0) q[0];`, 'line 4: u3: parameter 2 evaluates to NaN, not a finite number'],
    [`${HEADER}qreg q[1];\nqreg q[2];`, "line 4: qreg q: a register named 'q' is already declared"],
    [`${HEADER}qreg q[0];`, 'line 3: qreg q: the size must be at least 1, got 0'],
    [`${HEADER}qreg q[1.5];`, "line 3: expected a size (an integer) in 'qreg q', found '1.5'"],
    [`${HEADER}qreg q[20];\nqreg r[11];`, 'line 4: qreg r[11] brings the qubit count to 31: the state needs 32 GiB (16 bytes x 2^31); the limit is 24 qubits (256 MiB); raise it with --max-qubits (at most 30)'],
    [`${HEADER}qreg q[1];\nh q[0]`, "line 4: expected ';' after 'h', found end of file"],
    [`${HEADER}qreg q[1];\nh q[0] @;`, "line 4: unexpected character '@'"],
    [`${HEADER}include "qelib1.inc;\n`, 'line 3: unterminated string: a closing \'"\' is missing'],
    [`${HEADER}qreg q[1];\n/* never closed\nh q[0];`, "line 4: unterminated comment: '/*' has no closing '*/'"],
    [`${HEADER}qreg q[2];\ncreg c[1];\nmeasure q -> c;`, "line 5: measure: cannot measure 2 qubit(s) into 1 bit(s); use 'measure q -> c;' with registers of equal size or single bits"],
    [`${HEADER}qreg q[2];\nmeasure q[0] -> q[1];`, "line 4: measure: 'q' is not a declared creg (it is a qreg)"],
    [`${HEADER}qreg q[1];\n;`, "line 4: expected a statement, found ';'"],
    [`${HEADER}gate h a { U(pi/2,0,pi) a; }`, "line 3: gate h: 'h' is already defined (built in or by qelib1.inc)"],
    [`${HEADER}gate g a { h a; }\ngate g a { x a; }`, "line 4: gate g: 'g' is already defined"],
    [`${HEADER}gate g(t, t) a { h a; }`, "line 3: gate g: 't' is declared twice"],
    [`${HEADER}gate g a {\n  cx a, b;\n}`, "line 4: gate g: 'b' is not a qubit argument of the gate (a)"],
    [`${HEADER}gate g a, b {\n  cx a[0], b;\n}`, 'line 4: gate g: qubit arguments are used without indices inside a gate body'],
    [`${HEADER}gate g a, b {\n  cx a, a;\n}`, "line 4: gate g: qubit 'a' is used more than once in 'cx'"],
    [`${HEADER}gate g a {\n  reset a;\n}`, "line 4: gate g: 'reset' is not allowed inside a gate body"],
    [`${HEADER}gate g a {\n  rx(phi) a;\n}`, "line 4: rx: unknown identifier 'phi' in a parameter; use numbers, pi, + - * / ^ and sin cos tan exp ln sqrt"],
    [`${HEADER}gate g(t) a {\n  rx(t, t) a;\n}`, 'line 4: rx takes 1 parameter(s), got 2'],
    [`${HEADER}gate g a {\n  nope a;\n}`, "line 4: unknown gate 'nope'"],
    [`${HEADER}gate g(t) a { rx(1/t) a; }\nqreg q[1];\ng(0) q[0];`, 'line 5: rx: parameter 1 evaluates to Infinity, not a finite number'],
  ];
  for (const [src, message] of cases) {
    test(message, () => throwsExactly(() => parseQasm(src), message));
  }

  test('the field is `line N`', () => {
    assert.throws(
      () => parseQasm('qreg q[1];\n\n\nreset q[0];'),
      (e: unknown) => e instanceof QflError && e.field === 'line 4',
    );
  });

  test('a program without qubits', () => {
    throwsExactly(() => parseQasm(`${HEADER}creg c[2];`), 'qreg: the program declares no qubits; add a register such as `qreg q[2];`');
  });
});

describe('toQasm errors', () => {
  const b = new CircuitBuilder(2);
  b.rx(0, weight(1)).ry(1, input(0)).add('RZZ', [0, 1], [{ kind: 'inputProduct', indices: [0, 2] }]);
  const c = b.build();

  test('unresolved weights and inputs', () => {
    throwsExactly(() => toQasm(c), 'ops[0].params[0]: weight 1 is unresolved; pass the weights vector to toQasm to write numbers');
    throwsExactly(() => toQasm(c, [0, 1]), 'ops[1].params[0]: input 0 is unresolved; pass the inputs vector to toQasm to write numbers');
    throwsExactly(() => toQasm(c, [0], [1, 2, 3]), 'ops[0].params[0]: weight 1 is out of range; weights has 1 values');
    throwsExactly(() => toQasm(c, [0, 1], [1, 2]), 'ops[2].params[0]: input 2 is out of range; inputs has 2 values');
    throwsExactly(() => toQasm(c, [0, NaN], [1, 2, 3]), 'ops[0].params[0]: resolves to NaN, not a finite number');
    assert.match(toQasm(c, [0, 1], [1, 2, 3]), /rzz\(3\) q\[0\],q\[1\];/);
  });

  test('amplitude embedding and prepared states cannot be exported', () => {
    const amp = new CircuitBuilder(2).setPrep({ kind: 'amplitude', offset: 0, length: 4 }).h(0).build();
    throwsExactly(
      () => toQasm(amp, [], [1, 0, 0, 0]),
      'prep: amplitude embedding cannot be exported: OpenQASM 2.0 has no state-preparation statement; only circuits starting from |0...0> can be written',
    );
    const st = new CircuitBuilder(1).setPrep({ kind: 'state' }).build();
    throwsExactly(
      () => toQasm(st),
      "prep: state preparation ('state') cannot be exported: OpenQASM 2.0 has no state-preparation statement; only circuits starting from |0...0> can be written",
    );
  });
});
