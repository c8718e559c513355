import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { vjp } from './adjoint.js';
import { CircuitBuilder, weight } from './circuit.js';
import { expval, parsePauliWord, probs } from './measure.js';
import { TOL, args, assertClose, run } from './testing.js';

/**
 * Smoke tests at sizes where index arithmetic and allocation matter: a few
 * gates only, so the file stays around a second. 24 qubits allocate 2 x 128 MiB.
 */

const ws = (...w: string[]) => w.map((x) => parsePauliWord(x));

describe('large registers, one sample', () => {
  test('20 qubits: GHZ, a rotation in the middle, marginals and an adjoint gradient', () => {
    const n = 20;
    const b = new CircuitBuilder(n);
    b.h(0);
    for (let w = 0; w < n - 1; w++) b.cnot(w, w + 1);
    b.add('RY', [10], [weight(0)]);
    const c = b.build();
    const t = 0.9;
    const s = run(c, { weights: [t] });
    const last = (1 << n) - 1;
    // RY on wire 10 of a GHZ state: |0..0> -> cos |0..0> + sin |0..010..0>, and likewise for |1..1>.
    const bit10 = 1 << (n - 1 - 10);
    const h = Math.SQRT1_2;
    assertClose(
      [s.re[0]!, s.re[bit10]!, s.re[last]!, s.re[last ^ bit10]!],
      [h * Math.cos(t / 2), h * Math.sin(t / 2), h * Math.cos(t / 2), -h * Math.sin(t / 2)],
      TOL.exact,
      'amplitudes',
    );
    assertClose(expval(s, ws('Z0 Z19', 'Z10', 'Z0 Z10', 'X0', 'I')), [1, 0, Math.cos(t), 0, 1], TOL.exact, 'expval');
    assertClose(probs(s, [19, 0]), [0.5, 0, 0, 0.5], TOL.exact, 'probs of wires 19, 0');
    const { gradWeights } = vjp(args(c, { weights: [t] }), ws('Z0 Z10'), Float64Array.of(1));
    assertClose(gradWeights, [-Math.sin(t)], TOL.exact, 'd<Z0 Z10>/dθ');
  });

  test('24 qubits: a Bell pair across the register and a rotation (about 256 MiB)', () => {
    const n = 24;
    const b = new CircuitBuilder(n);
    b.h(0).cnot(0, 23).ry(12, 0.7).add('RZZ', [5, 17], [0.3]);
    const s = run(b.build());
    assert.equal(s.re.length, 2 ** 24);
    assertClose(expval(s, ws('Z0 Z23', 'Z12', 'X0', 'X0 X23', 'Z5 Z17')), [1, Math.cos(0.7), 0, 1, 1], TOL.exact, 'expval');
  });
});
