import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../util/random.js';
import type { Circuit, Operation } from '../../quantum/circuit.js';
import { expval, parsePauliWord } from '../../quantum/measure.js';
import { simulate } from '../../quantum/statevector.js';
import { depolarizeLocal, empiricalConditionNumber, pure, type Dense } from './density.js';
import { depolarizingEpsilon } from './dp.js';
import {
  meanCos,
  randomRotationOps,
  rotationConditionNumber,
  rotationDepolarizing,
  rotationEpsilon,
  type AngleDistribution,
} from './rotation.js';

const close = (a: number, b: number, tol: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (|diff| ${Math.abs(a - b)})`);

const NONE = new Float64Array(0);
const BLOCH = ['X0', 'Y0', 'Z0'].map((w) => parsePauliWord(w));
const c = (value: number) => ({ kind: 'const' as const, value });
function blochAfter(ops: readonly Operation[]): Float64Array {
  const circuit: Circuit = { nQubits: 1, prep: { kind: 'zero' }, ops, nWeights: 0, nInputs: 0 };
  return expval(simulate({ circuit, inputs: NONE, weights: NONE, batch: 1 }), BLOCH);
}

describe('random-rotation encoding', () => {
  test('worked examples', () => {
    // Uniform on [-pi, pi]: c = sin(pi)/pi = 0, q = 2/3, per-qubit kappa (2 - q)/q = 2.
    const full: AngleDistribution = { kind: 'uniform', halfWidth: Math.PI };
    close(meanCos(full), 0, 1e-15, 'c');
    close(rotationDepolarizing(full), 2 / 3, 1e-15, 'q');
    // n = 3: kappa = 8, epsilon(1) = ln 8 = 2.0794415, epsilon(0.25) = ln(1 + 0.25 * 7) = ln 2.75 = 1.0116009.
    close(rotationConditionNumber(full, 3), 8, 1e-12, 'kappa');
    close(rotationEpsilon(full, 3), Math.log(8), 1e-12, 'ln 8');
    close(rotationEpsilon(full, 3, 0.25), 1.0116009116784799, 1e-12, 'ln 2.75');
    // Normal, std 1: c = e^{-1/2} = 0.6065307, q = 2 (1 - c) / 3 = 0.2623129,
    // kappa = (2 - q) / q = 6.6244822, epsilon = ln 6.6244822 = 1.8907722.
    const normal: AngleDistribution = { kind: 'normal', std: 1 };
    close(rotationDepolarizing(normal), 0.26231289352491105, 1e-15, 'q normal');
    close(rotationEpsilon(normal, 1), 1.8907722175142223, 1e-12, 'epsilon normal');
    // One qubit: identical to depolarizing with p = q, d = 2.
    close(rotationEpsilon(normal, 1, 0.3), depolarizingEpsilon(rotationDepolarizing(normal), 2, 0.3), 1e-12, 'n = 1');
  });

  test('averaged over axis and angle the rotation is depolarizing with q = 2(1 - c)/3 (quadrature on the simulator)', () => {
    const prep = [{ gate: 'RY', wires: [0], params: [c(1.1)] }, { gate: 'RZ', wires: [0], params: [c(-0.7)] }] as const satisfies readonly Operation[];
    const r = blochAfter(prep);
    for (const dist of [{ kind: 'uniform', halfWidth: 1.3 }, { kind: 'normal', std: 0.6 }] as const satisfies readonly AngleDistribution[]) {
      // Midpoint rule over theta with the distribution's density.
      const lo = dist.kind === 'uniform' ? -dist.halfWidth : -10 * dist.std;
      const hi = -lo;
      const N = 400;
      const h = (hi - lo) / N;
      const density = (t: number) =>
        dist.kind === 'uniform' ? 1 / (2 * dist.halfWidth) : Math.exp(-(t * t) / (2 * dist.std ** 2)) / (dist.std * Math.sqrt(2 * Math.PI));
      const avg = [0, 0, 0];
      for (const axis of ['RX', 'RY', 'RZ'] as const) {
        for (let k = 0; k < N; k++) {
          const t = lo + (k + 0.5) * h;
          const b = blochAfter([...prep, { gate: axis, wires: [0], params: [c(t)] }]);
          for (let i = 0; i < 3; i++) avg[i] += (b[i]! * density(t) * h) / 3;
        }
      }
      const shrink = 1 - rotationDepolarizing(dist);
      for (let i = 0; i < 3; i++) close(avg[i]!, shrink * r[i]!, 2e-5, `${dist.kind} Bloch[${i}]`);
    }
  });

  test('randomRotationOps draws the mechanism: Monte Carlo mean of <Z> on |0> is 1 - q', () => {
    const rng = new Rng(9);
    const dist: AngleDistribution = { kind: 'uniform', halfWidth: Math.PI };
    const draws = 3000;
    let sum = 0;
    for (let s = 0; s < draws; s++) sum += blochAfter(randomRotationOps(rng, [0], dist))[2]!;
    // 1 - q = 1/3; each draw lies in [-1, 1], so 4 standard errors are at most 4 / sqrt(3000) = 0.073.
    close(sum / draws, 1 / 3, 4 / Math.sqrt(draws), 'mean <Z>');
  });

  test('two qubits: the closed-form kappa matches the empirical condition number; a fixed axis has none', () => {
    const rng = new Rng(12);
    const dist: AngleDistribution = { kind: 'normal', std: 0.8 };
    const q = rotationDepolarizing(dist);
    close(empiricalConditionNumber((r) => depolarizeLocal(r, 2, q), 4, rng), rotationConditionNumber(dist, 2), 1e-8, 'kappa n = 2');
    // Random angle about Z only (dephasing): |0><0| stays pure, lambda_min = 0, kappa infinite.
    const cc = meanCos(dist);
    const dephase = (r: Dense): Dense => {
      const out = pure([1, 0]);
      out.re.set([r.re[0]!, cc * r.re[1]!, cc * r.re[2]!, r.re[3]!]);
      out.im.set([r.im[0]!, cc * r.im[1]!, cc * r.im[2]!, r.im[3]!]);
      return out;
    };
    assert.equal(empiricalConditionNumber(dephase, 2, rng, 5), Infinity);
  });
});
