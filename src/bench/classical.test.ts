import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benchGemm, benchLenet } from './classical.js';

test('benchLenet times a small LeNet-5 step and reports one line', async () => {
  const lines: string[] = [];
  const r = await benchLenet({ batch: 2, runs: 3, warmup: 1, log: (l) => lines.push(l) });
  assert.ok(r.msPerStep > 0 && r.minMs <= r.msPerStep && r.msPerStep <= r.maxMs);
  assert.equal(r.params, 61706);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^lenet5 train step \(batch 2, 61706 params, adam\): median [\d.]+ ms over 3 runs/);
  await assert.rejects(benchLenet({ runs: 0 }), { message: 'bench.runs: must be an integer >= 1, got 0' });
});

test('benchGemm reports a positive throughput for each conv shape', () => {
  const lines: string[] = [];
  const rows = benchGemm(5, (l) => lines.push(l));
  assert.equal(rows.length, 6);
  assert.ok(rows.every((r) => r.gmacs > 0));
  assert.match(lines[0]!, /^gemm NN 6x784x25: [\d.]+ GMAC\/s$/);
});
