import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Adam, Sgd, createOptimizer, type Optimizer, type OptimizerState } from './optim.js';
import { Rng } from '../util/random.js';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-14): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)), `entry ${i}: ${a[i]} vs ${b[i]}`);
  }
}

test('plain SGD: p -= lr * (g + wd * p)', () => {
  const p = new Float64Array([1, 2]);
  new Sgd({ lr: 0.1 }).step(p, new Float64Array([0.5, -1]));
  close(p, [0.95, 2.1]);
  const q = new Float64Array([1, 2]);
  new Sgd({ lr: 0.1, weightDecay: 0.5 }).step(q, new Float64Array([0.5, -1]));
  close(q, [1 - 0.1 * 1, 2 - 0.1 * 0]);
});

test('SGD momentum and Nesterov by hand over two steps', () => {
  const g = new Float64Array([1, -2]);
  const p = new Float64Array([0, 0]);
  const heavy = new Sgd({ lr: 0.1, momentum: 0.9 });
  heavy.step(p, g); // v = g
  heavy.step(p, g); // v = 1.9 g
  close(p, [-0.1 * 2.9, 0.2 * 2.9]);
  const q = new Float64Array([0, 0]);
  const nesterov = new Sgd({ lr: 0.1, momentum: 0.9, nesterov: true });
  nesterov.step(q, g); // g + 0.9 g
  close(q, [-0.19, 0.38]);
});

test('Adam matches the textbook bias-corrected update', () => {
  const rng = new Rng(61);
  const n = 7;
  const opt = new Adam({ lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 });
  const p = Float64Array.from({ length: n }, () => rng.normal());
  const ref = p.slice();
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  for (let t = 1; t <= 5; t++) {
    const g = Float64Array.from({ length: n }, () => rng.normal());
    opt.step(p, g);
    for (let i = 0; i < n; i++) {
      const gi = g[i]! + 0.1 * ref[i]!;
      m[i] = 0.8 * m[i]! + 0.2 * gi;
      v[i] = 0.99 * v[i]! + 0.01 * gi * gi;
      const mHat = m[i]! / (1 - 0.8 ** t);
      const vHat = v[i]! / (1 - 0.99 ** t);
      ref[i] = ref[i]! - (0.01 * mHat) / (Math.sqrt(vHat) + 1e-6);
    }
    close(p, ref, 1e-13);
  }
});

test("Adam's first step is about lr times the gradient's sign", () => {
  const p = new Float64Array([0, 0, 0]);
  new Adam({ lr: 0.5 }).step(p, new Float64Array([3, -1e-3, 100]));
  close(p, [-0.5, 0.5, -0.5], 1e-4);
});

function continuesExactly(make: () => Optimizer): void {
  const rng = new Rng(62);
  const grads = Array.from({ length: 6 }, () => Float64Array.from({ length: 5 }, () => rng.normal()));
  const a = make();
  const p = new Float64Array(5).fill(1);
  for (const g of grads.slice(0, 3)) a.step(p, g);
  const saved = JSON.parse(JSON.stringify(a.getState())) as OptimizerState;
  const pSaved = p.slice();
  for (const g of grads.slice(3)) a.step(p, g);

  const b = make();
  b.setState(saved);
  for (const g of grads.slice(3)) b.step(pSaved, g);
  assert.deepEqual(pSaved, p);
}

test('state survives a JSON round trip and resumes bit for bit', () => {
  continuesExactly(() => new Adam({ lr: 0.01 }));
  continuesExactly(() => new Sgd({ lr: 0.01, momentum: 0.9 }));
  continuesExactly(() => createOptimizer({ kind: 'sgd', lr: 0.1 }));
  const adam = new Adam();
  assert.deepEqual(adam.getState(), { kind: 'adam', step: 0, m: [], v: [] });
  adam.step(new Float64Array(2), new Float64Array([1, 1]));
  adam.reset();
  assert.deepEqual(adam.getState(), { kind: 'adam', step: 0, m: [], v: [] });
});

test('both optimizers minimise a badly scaled quadratic', () => {
  const scale = [1, 10, 0.1];
  const target = [3, -2, 0.5];
  for (const opt of [createOptimizer({ kind: 'adam', lr: 0.05 }), createOptimizer({ kind: 'sgd', lr: 0.05, momentum: 0.9 })]) {
    const p = new Float64Array(3);
    const g = new Float64Array(3);
    for (let it = 0; it < 3000; it++) {
      for (let i = 0; i < 3; i++) g[i] = scale[i]! * (p[i]! - target[i]!);
      opt.step(p, g);
    }
    close(p, target, 1e-3);
  }
});

test('errors name the field and the allowed values', () => {
  assert.throws(() => new Sgd({ lr: -1 }), { message: 'sgd.lr: must be a finite number >= 0, got -1' });
  assert.throws(() => new Sgd({ lr: 0.1, momentum: 1 }), { message: 'sgd.momentum: must be in [0, 1), got 1' });
  assert.throws(() => new Sgd({ lr: 0.1, nesterov: true }), { message: 'sgd.nesterov: needs momentum > 0' });
  assert.throws(() => new Adam({ beta2: 1 }), { message: 'adam.beta2: must be in [0, 1), got 1' });
  assert.throws(() => createOptimizer({ kind: 'rmsprop' } as unknown as { kind: 'adam' }), {
    message: "optimizer.kind: must be one of sgd, adam, got 'rmsprop'",
  });
  const adam = new Adam();
  assert.throws(() => adam.step(new Float64Array(3), new Float64Array(2)), {
    message: 'adam.grads: must match the 3 parameters, got 2',
  });
  adam.step(new Float64Array(3), new Float64Array(3));
  assert.throws(() => adam.step(new Float64Array(4), new Float64Array(4)), {
    message: 'adam.params: state was built for 3 parameters, got 4',
  });
  assert.throws(() => adam.setState({ kind: 'sgd', velocity: [] }), { message: "adam.state.kind: must be 'adam', got 'sgd'" });
  assert.throws(() => adam.setState({ kind: 'adam', step: 1, m: [1, 2], v: [1] }), {
    message: "adam.state.v: must match m's length 2, got 1",
  });
  assert.throws(() => new Sgd({ lr: 1, momentum: 0.5 }).setState({ kind: 'sgd', velocity: [NaN] }), {
    message: 'sgd.state.velocity: must be an array of finite numbers',
  });
});
