import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeValue, groupBySeed, settingLabel } from './seeds.js';

describe('describeValue', () => {
  test('spells out nested objects instead of [object Object]', () => {
    const backdoor = { kind: 'backdoor', target: 0, fraction: 0.5, trigger: { size: 1, margin: 0 } };
    assert.equal(describeValue(backdoor), 'backdoor (target=0, fraction=0.5, trigger={size=1, margin=0})');
    assert.equal(describeValue({ name: 'trimmed_mean', beta: 0.3 }), 'trimmed_mean (beta=0.3)');
    assert.equal(describeValue({ kind: 'mlp', hidden: [8] }), 'mlp (hidden=[8])');
    assert.equal(describeValue(null), 'none');
    assert.doesNotMatch(describeValue(backdoor), /object Object/);
  });
});

describe('settingLabel and groupBySeed', () => {
  test("labels keep each key's last part, also for zipped keys; seed is left out", () => {
    assert.equal(settingLabel({ 'strategy.name': 'fedadam', 'federation.partition.alpha': 0.1, seed: 2 }), 'name=fedadam, alpha=0.1');
    assert.equal(settingLabel({ 'model,local.lr': 1 }), 'model,lr=1');
    assert.equal(settingLabel({ seed: 3 }), 'base');
  });

  test('points that differ only in seed form one group', () => {
    const items = [
      { o: { lr: 0.1, seed: 1 }, v: 0.8 },
      { o: { lr: 0.2, seed: 1 }, v: 0.5 },
      { o: { lr: 0.1, seed: 2 }, v: 0.9 },
    ];
    const g = groupBySeed(items, (i) => i.o, (i) => i.v, (i) => i.o.seed);
    assert.equal(g.length, 2);
    assert.equal(g[0]!.label, 'lr=0.1');
    assert.deepEqual([...g[0]!.bySeed], [[1, 0.8], [2, 0.9]]);
  });
});
