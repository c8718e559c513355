import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accuracyChart, byteUnit, bytesChart, clientLossChart, metricRows, renderChart, timeChart } from './charts.js';
import { roundEvent } from './fixtures.js';
import { uniqueSvgIds } from './html.js';

type Spec = { mark: { type: string } | string; data: { values: Record<string, unknown>[] }; encoding: Record<string, { field?: string; title?: string }> };
const asSpec = (s: unknown): Spec => s as Spec;

describe('chart specs', () => {
  const rounds = [roundEvent(1, 0.5), roundEvent(2, 0.6)];

  test('accuracy: one line per kind of measurement that exists', () => {
    const { central: _, ...noCentral } = roundEvent(1, 0.5);
    const rows = metricRows([{ label: 'r', rounds: [noCentral] }], 'accuracy');
    assert.deepEqual(new Set(rows.map((r) => r['split'])), new Set(['train (during fit)', 'client eval']));
    const spec = asSpec(accuracyChart([{ label: 'r', rounds }]));
    assert.equal(spec.encoding['color']?.field, 'split');
    assert.equal(spec.encoding['y']?.title, 'accuracy (%)');
  });

  test('several runs: colour by run; the headline measurement only, unless asked for more (then dashed)', () => {
    const two = [{ label: 'a', rounds }, { label: 'b', rounds }];
    const spec = asSpec(accuracyChart(two));
    assert.equal(spec.encoding['color']?.field, 'series');
    assert.equal(spec.encoding['strokeDash'], undefined);
    assert.deepEqual(new Set(spec.data.values.map((v) => v['split'])), new Set(['central test set']));
    const all = asSpec(accuracyChart(two, { splits: ['train', 'evaluate', 'central'] }));
    assert.equal(all.encoding['strokeDash']?.field, 'split');
    assert.equal(all.data.values.length, 2 * 2 * 3);
  });

  test('per-client loss: lines for a few clients, a heatmap for many', () => {
    assert.equal((asSpec(clientLossChart(rounds)).mark as { type: string }).type, 'line');
    const many = [roundEvent(1, 0.5, 40), roundEvent(2, 0.6, 40)];
    assert.equal((asSpec(clientLossChart(many)).mark as { type: string }).type, 'rect');
  });

  test('bytes in a readable unit; time split into parts', () => {
    assert.deepEqual(byteUnit(1000), { name: 'B', factor: 1 });
    assert.deepEqual(byteUnit(5 * 1024 * 1024), { name: 'MiB', factor: 1024 * 1024 });
    assert.equal(asSpec(bytesChart([{ label: 'r', rounds }])).encoding['y']?.title, 'bytes per round (KiB)');
    const parts = asSpec(timeChart([{ label: 'r', rounds }])).data.values.filter((v) => v['round'] === 1);
    assert.deepEqual(parts.map((p) => p['part']), ['fit (local training)', 'evaluate', 'aggregate', 'other']);
    assert.ok(Math.abs((parts[3]!['y1'] as number) - 1.5) < 1e-12);
  });
});

describe('renderChart', () => {
  test('gives an SVG and a PNG', async () => {
    const { svg, png } = await renderChart(accuracyChart([{ label: 'r', rounds: [roundEvent(1, 0.5)] }]));
    assert.match(svg, /^<svg[^>]*viewBox=/);
    assert.match(svg, /Accuracy per round/);
    assert.deepEqual(png.subarray(0, 4), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  test('ids of inlined SVGs are made unique', () => {
    const svg = '<svg><defs><linearGradient id="g1"/></defs><rect fill="url(#g1)"/><use href="#g1"/></svg>';
    assert.equal(uniqueSvgIds(svg, 'p'), '<svg><defs><linearGradient id="p-g1"/></defs><rect fill="url(#p-g1)"/><use href="#p-g1"/></svg>');
  });
});
