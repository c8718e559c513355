import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { barrenPlateau, type BarrenPlateauRow } from '../../security/inversion/barren.js';
import { inversionExperiment, type InversionModelSpec, type InversionRow } from '../../security/inversion/experiment.js';
import { renderPlots } from '../report/index.js';
import { escapeHtml, page, plotsSection } from '../report/html.js';

/**
 * `qfl study inversion CONFIG.yaml`: gradient inversion against quantum,
 * hybrid and classical models (vs qubits, layers, batch size, local steps
 * and defenses) beside the barren-plateau diagnostic, as in the review's
 * trade-off (paper 001). Writes inversion.html with reconstructed images
 * beside the originals, rows.json and a table.
 */
const positiveInt = z.number().int().positive();
const ModelEntry = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('vqc'), qubits: z.array(positiveInt).min(1), layers: z.array(positiveInt).min(1), embedding: z.enum(['angle', 'amplitude']).default('angle') }).strict(),
  z.object({ kind: z.literal('hybrid'), qubits: positiveInt, layers: positiveInt, features: positiveInt.optional() }).strict(),
  z.object({ kind: z.literal('mlp'), hidden: z.array(positiveInt), features: positiveInt.optional() }).strict(),
]);
const Defense = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dp'), clip: z.number().positive(), noise_multiplier: z.number().min(0) }).strict(),
  z.object({ kind: z.literal('quantize'), bits: z.number().int().min(1).max(32) }).strict(),
  z.object({ kind: z.literal('secagg'), clients: z.number().int().min(2), attacker: z.enum(['union', 'single']).default('union') }).strict(),
]);
export const InversionStudySchema = z
  .object({
    name: z.string().default('inversion'),
    seed: z.number().int().min(0).default(0),
    models: z.array(ModelEntry).min(1),
    batch_sizes: z.array(positiveInt).default([1]),
    local_steps: z.array(z.number().int().min(0)).default([0]),
    local_lr: z.number().positive().default(0.1),
    /** Each entry is one defense pipeline (a list of steps); [] is no defense. */
    defenses: z.array(z.array(Defense)).default([[]]),
    trials: positiveInt.default(2),
    attack: z.object({ iterations: positiveInt.default(200), restarts: positiveInt.default(4), lr: z.number().positive().default(0.1) }).strict().default({ iterations: 200, restarts: 4, lr: 0.1 }),
    barren: z
      .object({ qubits: z.array(positiveInt).min(1), layers: z.array(positiveInt).min(1), samples: positiveInt.default(100), ansatz: z.enum(['mcclean', 'hardware-efficient']).default('mcclean') })
      .strict()
      .optional(),
  })
  .strict();
export type InversionStudy = z.infer<typeof InversionStudySchema>;

function models(spec: InversionStudy): InversionModelSpec[] {
  return spec.models.flatMap((m): InversionModelSpec[] => {
    switch (m.kind) {
      case 'vqc':
        return m.qubits.flatMap((q) => m.layers.map((l) => ({ kind: 'vqc' as const, nQubits: q, layers: l, embedding: m.embedding })));
      case 'hybrid':
        return [{ kind: 'hybrid', nQubits: m.qubits, layers: m.layers, ...(m.features ? { features: m.features } : {}) }];
      case 'mlp':
        return [{ kind: 'mlp', hidden: m.hidden, ...(m.features ? { features: m.features } : {}) }];
    }
  });
}

/** A grey-scale image as an SVG of squares (pixels in [0, 1], clamped). */
function imageSvg(pixels: readonly number[], shape: string, size = 64): string {
  const [h, w] = shape.split('x').map(Number) as [number, number];
  const c = size / Math.max(h, w);
  const rects = pixels.map((v, i) => {
    const g = Math.round(255 * Math.max(0, Math.min(1, v)));
    return `<rect x="${(i % w) * c}" y="${Math.floor(i / w) * c}" width="${c}" height="${c}" fill="rgb(${g},${g},${g})"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w * c}" height="${h * c}">${rects.join('')}</svg>`;
}

const describeModel = (r: InversionRow) =>
  r.model === 'mlp' ? `MLP ${r.hidden ?? ''}` : `${r.model} ${r.nQubits} qubits, ${r.layers} layers${r.embedding ? `, ${r.embedding}` : ''}`;

export async function runInversionStudy(spec: InversionStudy, outDir: string, log: (s: string) => void): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'config.yaml'), stringify(spec));
  const rows = inversionExperiment({
    seed: spec.seed,
    models: models(spec),
    batchSizes: spec.batch_sizes,
    updates: spec.local_steps.map((k) => (k === 0 ? { kind: 'gradient' as const } : { kind: 'delta' as const, steps: k, lr: spec.local_lr })),
    defenses: spec.defenses.map((p) =>
      p.map((d) => (d.kind === 'dp' ? { kind: 'dp' as const, clip: d.clip, noiseMultiplier: d.noise_multiplier } : d.kind === 'secagg' ? { kind: 'secagg' as const, clients: d.clients, attacker: d.attacker } : d)),
    ),
    trials: spec.trials,
    attack: { iterations: spec.attack.iterations, restarts: spec.attack.restarts, lr: spec.attack.lr },
    onRow: (r, done, total) => log(`inversion ${done}/${total}: ${describeModel(r)}, batch ${r.batch}, ${r.update}, ${r.defense}: MSE ${r.mse.toExponential(2)} (prior ${r.priorMse.toExponential(2)})`),
  });
  writeFileSync(join(outDir, 'rows.json'), JSON.stringify(rows));
  const bp: BarrenPlateauRow[] = spec.barren
    ? barrenPlateau({ seed: spec.seed, qubits: spec.barren.qubits, layers: spec.barren.layers, samples: spec.barren.samples, ansatz: spec.barren.ansatz })
    : [];
  const charts = [
    {
      name: 'inversion-mse',
      spec: {
        title: { text: 'Reconstruction error by model and defense', subtitle: 'median over trials; below the class-mean prior means the sample itself was recovered' },
        width: 460,
        height: 260,
        data: { values: rows.map((r) => ({ model: describeModel(r), defense: `${r.defense}, batch ${r.batch}, ${r.update}`, mse: Math.max(r.mse, 1e-16) })) },
        mark: { type: 'point', filled: true },
        encoding: {
          y: { field: 'model', type: 'nominal', title: null, axis: { labelLimit: 220 } },
          x: { field: 'mse', type: 'quantitative', title: 'MSE (log)', scale: { type: 'log' } },
          color: { field: 'defense', type: 'nominal', title: 'defense, batch, update' },
        },
      } as const,
    },
    ...(bp.length
      ? [
          {
            name: 'barren-plateau',
            spec: {
              title: { text: 'Barren plateau: variance of the gradient', subtitle: 'over random initializations, vs qubits, one line per depth' },
              width: 420,
              height: 240,
              data: { values: bp.map((b) => ({ qubits: b.nQubits, layers: String(b.layers), variance: b.variance })) },
              mark: { type: 'line', point: true },
              encoding: {
                x: { field: 'qubits', type: 'quantitative', title: 'qubits' },
                y: { field: 'variance', type: 'quantitative', title: 'Var(dC/dθ) (log)', scale: { type: 'log' } },
                color: { field: 'layers', type: 'nominal', title: 'layers', sort: null },
              },
            } as const,
          },
        ]
      : []),
  ];
  const plots = await renderPlots(outDir, charts as never);
  const gallery = rows
    .filter((r) => r.trial === 0)
    .map(
      (r) =>
        `<figure style="display:inline-block;margin:6px;text-align:center"><div>${imageSvg(r.original, r.image)} ${imageSvg(r.recovered, r.image)}</div>` +
        `<figcaption style="font-size:11px;max-width:150px">${escapeHtml(describeModel(r))}; ${escapeHtml(r.defense)}; batch ${r.batch}, ${escapeHtml(r.update)}; MSE ${r.mse.toExponential(1)}</figcaption></figure>`,
    )
    .join('\n');
  const table = rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(describeModel(r))}</td><td>${r.params}</td><td>${r.batch}</td><td>${escapeHtml(r.update)}</td><td>${escapeHtml(r.defense)}</td><td>${r.trial}</td><td>${r.mse.toExponential(2)}</td><td>${r.priorMse.toExponential(2)}</td><td>${r.ssim.toFixed(3)}</td><td>${(100 * r.solvedRestarts).toFixed(0)} %</td></tr>`,
    )
    .join('\n');
  const bpTable = bp.map((b) => `<tr><td>${b.nQubits}</td><td>${b.layers}</td><td>${b.variance.toExponential(2)}</td></tr>`).join('\n');
  const body = `<header><h1>Gradient inversion and barren plateaus</h1>
<p class="meta">Study <code>${escapeHtml(outDir)}</code>: ${rows.length} attacks. Review (paper 001, arXiv 2508.11848): over-parameterized VQCs should resist inversion, at the price of barren plateaus. A sample counts as recovered when its MSE is well below the prior (the distance to its class-mean image).</p></header>
<h2>Originals (left) and reconstructions (right), first trial</h2>
${gallery}
${plotsSection(plots)}
<h2>All attacks</h2>
<table><tr><th>model</th><th>parameters</th><th>batch</th><th>update</th><th>defense</th><th>trial</th><th>MSE</th><th>prior MSE</th><th>SSIM</th><th>restarts solved</th></tr>
${table}</table>
${bp.length ? `<h2>Barren plateau</h2><table><tr><th>qubits</th><th>layers</th><th>gradient variance</th></tr>${bpTable}</table>` : ''}`;
  const path = join(outDir, 'inversion.html');
  writeFileSync(path, page('Gradient inversion', body));
  return path;
}
