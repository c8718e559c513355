import assert from 'node:assert/strict';
import test from 'node:test';
import { expval } from '../../quantum/measure.js';
import { simulate } from '../../quantum/statevector.js';
import { cutModel, runCutModel, type FragmentRunner } from '../../quantum/cutting/distributed.js';
import { cutClassifierCircuit } from '../../quantum/cutting/example.js';
import { runSubCircuit } from '../../quantum/cutting/subcircuit.js';
import type { Circuit, Operation } from '../../quantum/circuit.js';
import { attackSchedule, ATTACK_PHASE_ROUNDS, ATTACK_ROUND_BASE, parsePerturbation, perturbationHook } from './cut-node.js';

test('a node perturbing after its gate-cut term = the uncut circuit with V after the cut gate\'s RZZ core', async () => {
  const { circuit, observables, labels } = cutClassifierCircuit(4, 1);
  const model = cutModel(circuit, observables, { labels });
  const weights = Float64Array.from({ length: circuit.nWeights }, (_, i) => 0.4 * i - 0.9);
  const inputs = Float64Array.from([0.1, 0.8, 0.3, 0.6]);
  const eps = 0.3;
  const hook = perturbationHook({ pauli: 'Y', eps });
  const run: FragmentRunner = async (ft, w, W, x, B) => runSubCircuit(ft.task, w, W, x, B, ft.node === 'B' ? { insert: hook } : {});
  const got = (await runCutModel(model, weights, inputs, 1, run)).values;
  // CZ(1, 2) = (RZ(pi/2) x RZ(pi/2)) RZZ(-pi/2); node B holds wire 2.
  const ops: Operation[] = circuit.ops.flatMap((op): Operation[] =>
    op.gate !== 'CZ'
      ? [op]
      : [
          { gate: 'RZZ', wires: [1, 2], params: [{ kind: 'const', value: -Math.PI / 2 }] },
          { gate: 'RY', wires: [2], params: [{ kind: 'const', value: 2 * eps }] },
          { gate: 'RZ', wires: [1], params: [{ kind: 'const', value: Math.PI / 2 }] },
          { gate: 'RZ', wires: [2], params: [{ kind: 'const', value: Math.PI / 2 }] },
        ],
  );
  const inserted: Circuit = { ...circuit, ops };
  const want = expval(simulate({ circuit: inserted, inputs, weights, batch: 1 }), observables);
  got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) < 1e-12, `observable ${k}: ${v} vs ${want[k]}`));
  const clean = expval(simulate({ circuit, inputs, weights, batch: 1 }), observables);
  assert.ok(Math.abs(got[0]! - clean[0]!) + Math.abs(got[1]! - clean[1]!) > 1e-3, 'the attack moves the output');
});

test('--perturb is parsed strictly, and an attack: entry is obeyed by its node only, by phase', () => {
  assert.deepEqual(parsePerturbation('Y:0.1'), { pauli: 'Y', eps: 0.1 });
  assert.deepEqual(parsePerturbation('X:0.3:selective:inputs'), { pauli: 'X', eps: 0.3, mode: 'selective', target: 'inputs' });
  assert.throws(() => parsePerturbation('Y'), /--perturb: write PAULI:EPS/);
  assert.throws(() => parsePerturbation('Y:abc'), /eps must be a number/);
  assert.throws(() => parsePerturbation('Y:0.1:sometimes'), /mode must be uniform or selective/);
  const config = { attack: { node: 'B', pauli: 'Y', eps: [0, 0.5] } };
  assert.equal(attackSchedule(config, 'A'), undefined);
  const s = attackSchedule(config, 'B')!;
  assert.equal(s(5), undefined, 'training rounds are clean');
  const slot = { kind: 'slot', qubit: 0, action: 'id' } as const;
  assert.deepEqual(s(ATTACK_ROUND_BASE + 3)!(slot), [], 'phase 0: eps 0');
  assert.equal(s(ATTACK_ROUND_BASE + ATTACK_PHASE_ROUNDS + 3)!(slot).length, 1, 'phase 1: eps 0.5');
  assert.throws(() => attackSchedule({ attack: { node: 'B', eps: 'lots' } }, 'B'), /attack\.eps/);
});
