import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barrenPlateau, bpCircuit, bpObservable } from './barren.js';
import { Rng } from '../../util/random.js';

test('gradient variance of a deep random circuit falls with the number of qubits (McClean et al.)', () => {
  const rows = barrenPlateau({ seed: 1, qubits: [2, 4, 6], layers: [40], samples: 100 });
  const v = rows.map((r) => r.variance);
  assert.ok(v[0]! > v[1]! && v[1]! > v[2]!, `variances ${v.join(', ')}`);
  assert.ok(v[0]! > 3 * v[2]!, `variances ${v.join(', ')}`);
  for (const r of rows) {
    assert.ok(Math.abs(r.mean) < 4 * Math.sqrt(r.variance / r.samples) + 1e-12, 'mean near 0');
    assert.equal(r.params, r.nQubits * 40);
  }
});

test('barrenPlateau is seeded, and its circuits and costs are as documented', () => {
  const a = barrenPlateau({ seed: 3, qubits: [3], layers: [2], samples: 10, ansatz: 'hardware-efficient', cost: 'global', param: 'last' });
  const b = barrenPlateau({ seed: 3, qubits: [3], layers: [2], samples: 10, ansatz: 'hardware-efficient', cost: 'global', param: 'last' });
  assert.deepEqual(a, b);
  assert.equal(a[0]!.paramIndex, 11);
  assert.equal(bpCircuit('mcclean', 3, 2, new Rng(1)).nWeights, 6);
  assert.equal(bpObservable('zz', 1).terms.length, 1);
  assert.equal(bpObservable('global', 4).terms.length, 4);
  assert.throws(() => barrenPlateau({ seed: 1, qubits: [2], layers: [1], param: 9 }), /param/);
  assert.throws(() => barrenPlateau({ seed: 1, qubits: [0], layers: [1] }), /qubits\[0\]/);
});
