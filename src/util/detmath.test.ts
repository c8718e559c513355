import assert from 'node:assert/strict';
import test from 'node:test';
import { cos, exp, log, powInt, sin, tanh } from './detmath.js';
import { Rng } from './random.js';

/** Distance in units in the last place (of the larger magnitude). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b)) return 0;
  const m = Math.max(Math.abs(a), Math.abs(b));
  const ulp = m === 0 ? Number.MIN_VALUE : Math.max(Number.MIN_VALUE, 2 ** (Math.floor(Math.log2(m)) - 52));
  return Math.abs(a - b) / ulp;
}

function worst(f: (x: number) => number, ref: (x: number) => number, xs: number[]): { ulps: number; at: number } {
  let w = { ulps: 0, at: NaN };
  for (const x of xs) {
    const u = ulps(f(x), ref(x));
    if (u > w.ulps) w = { ulps: u, at: x };
  }
  return w;
}

const rng = new Rng(42);
const spread = (lo: number, hi: number, n = 20_000) => Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
const logSpread = (lo: number, hi: number, n = 20_000) => Array.from({ length: n }, () => 10 ** (lo + (hi - lo) * rng.uniform()));

test('sin and cos agree with Math within 1 ulp, from tiny angles to 1e5', () => {
  const xs = [...spread(-7, 7), ...spread(-1e5, 1e5), ...logSpread(-12, 0).flatMap((x) => [x, -x]), 0, -0, Math.PI, Math.PI / 2, Math.PI / 4, 1e-300];
  for (const [f, ref] of [[sin, Math.sin], [cos, Math.cos]] as const) {
    const w = worst(f, ref, xs);
    assert.ok(w.ulps <= 1, `${f.name}: ${w.ulps} ulp at ${w.at}`);
  }
  assert.ok(Object.is(sin(-0), -0));
  assert.ok(Number.isNaN(sin(Infinity)) && Number.isNaN(cos(NaN)));
  // Pythagoras to rounding, near multiples of pi/2 where reduction cancels.
  for (const x of [Math.PI / 2, Math.PI, 3 * Math.PI / 2, 100 * Math.PI, 12345.678]) assert.ok(Math.abs(sin(x) ** 2 + cos(x) ** 2 - 1) < 4e-16);
});

test('exp and log agree with Math within 1 ulp over their ranges; specials', () => {
  const we = worst(exp, Math.exp, [...spread(-745, 709), ...spread(-1, 1), ...logSpread(-20, 0).flatMap((x) => [x, -x])]);
  assert.ok(we.ulps <= 1, `exp: ${we.ulps} ulp at ${we.at}`);
  const wl = worst(log, Math.log, [...logSpread(-300, 300), ...spread(0.5, 2), 5e-324, 1e-310]);
  assert.ok(wl.ulps <= 1, `log: ${wl.ulps} ulp at ${wl.at}`);
  assert.equal(exp(0), 1);
  assert.equal(exp(1000), Infinity);
  assert.equal(exp(-1000), 0);
  assert.equal(log(1), 0);
  assert.equal(log(0), -Infinity);
  assert.ok(Number.isNaN(log(-1)) && Number.isNaN(exp(NaN)));
  assert.equal(log(Infinity), Infinity);
});

test('tanh within 4 ulp of Math.tanh; powInt exact for small integer powers', () => {
  const w = worst(tanh, Math.tanh, [...spread(-25, 25), ...logSpread(-10, 0.3).flatMap((x) => [x, -x])]);
  assert.ok(w.ulps <= 4, `tanh: ${w.ulps} ulp at ${w.at}`);
  assert.equal(tanh(0), 0);
  assert.equal(powInt(0.9, 0), 1);
  assert.equal(powInt(2, 10), 1024);
  assert.ok(ulps(powInt(0.999, 1000), Math.pow(0.999, 1000)) < 64);
});
