import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { RoundEvent } from '../events.js';
import { endEvent, jsonl, roundEvent, startEvent, writeRunDir } from '../report/fixtures.js';
import type { SweepPoint } from '../report/summary.js';
import { writePaperReport } from './index.js';
import { groundTracks } from './sagin.js';
import { validateNodes } from '../../qnet/sagin/topology.js';

const tmp = mkdtempSync(join(tmpdir(), 'qfl-papers-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A seeded jitter in [-0.01, 0.01] so that seeds differ. */
const jitter = (seed: number) => ((seed * 7919) % 21) / 1000 - 0.01;

/** One run whose final central accuracy is `acc` (roundEvent adds 0.02 to central). */
function run(dir: string, acc: number, config: string, extra: Partial<RoundEvent> = {}): void {
  writeRunDir(dir, jsonl([startEvent('p', { rounds: 1 }), { ...roundEvent(1, acc - 0.02), ...extra }, endEvent(1)]), config);
}

describe('paper reports', () => {
  test('sagin: claims per model from 5 seeds, paired QFL - classical, papers.html links it', async () => {
    const sweep = join(tmp, 'runs', 'sagin');
    const points: SweepPoint[] = [];
    for (const [model, acc] of [[{ kind: 'sagin_qfc' }, 0.84], [{ kind: 'mlp', hidden: [2] }, 0.6]] as const) {
      for (const seed of [1, 2, 3, 4, 5]) {
        const label = `${model.kind}-s${seed}`;
        run(join(sweep, label), acc + jitter(seed), `model: ${JSON.stringify(model)}\n`);
        points.push({ label, dir: label, overrides: { model, 'local.lr': 0.001, seed } });
      }
    }
    const path = await writePaperReport({ report: 'sagin', evaluation: { central: true, every: 1 }, seed: 1 }, sweep, points);
    const html = readFileSync(path!, 'utf8');
    assert.match(html, /reaches about 0\.85[\s\S]*?<b style="color:#1b7a33">supported<\/b>/); // 0.84 +- ~0.01 lies in 0.85 +- 0.05
    assert.match(html, /reaches about 0\.70[\s\S]*?not supported/); // 0.60 misses 0.70 +- 0.05
    assert.match(html, /QFL minus classical, paired by seed[\s\S]*?\+24\.\d\d pp ± [\d.]+ pp \(95 % CI, n = 5\)/);
    assert.match(html, /paper: QFL 0\.85/); // the paper's number on a plot
    const claims = JSON.parse(readFileSync(join(sweep, 'claims.json'), 'utf8')) as { paper: string; claims: { verdict: string }[] };
    assert.equal(claims.paper, '003');
    assert.deepEqual(claims.claims.map((c) => c.verdict), ['supported', 'not supported', 'supported']);
    const index = readFileSync(join(tmp, 'runs', 'papers.html'), 'utf8');
    assert.match(index, /href="sagin\/sagin\.html"/);
    assert.match(index, /Paper 000[\s\S]*qfl run examples\/qfal\.yaml/); // not made yet: the command that makes it
  });

  test('qfal: one clean accuracy per row, FGSM-vs-PGD masking check flags a one-step attack that beats PGD', async () => {
    const sweep = join(tmp, 'runs', 'qfal');
    const points: SweepPoint[] = [];
    for (const clients of [5, 15]) {
      for (const coverage of [0, 0.5, 1]) {
        for (const seed of [1, 2, 3, 4, 5]) {
          const label = `c${clients}-v${coverage}-s${seed}`;
          const clean = 0.9 - (clients === 15 ? 0.05 : 0) - 0.02 * coverage + jitter(seed);
          // FGSM accuracy rises with eps at full coverage (the masking sign), PGD stays low.
          const fgsm = [0.1, 0.2, 0.5].map((eps) => ({ eps, accuracy: coverage === 1 ? 0.1 + eps * 0.5 + jitter(seed) : 0.5 - eps + jitter(seed) }));
          const pgd = [0.1, 0.2, 0.5].map((eps) => ({ eps, accuracy: 0.05 + jitter(seed) }));
          const robust = [
            { attack: 'fgsm', points: [{ eps: 0, accuracy: clean }, ...fgsm] },
            { attack: 'pgd', points: [{ eps: 0, accuracy: clean }, ...pgd] },
          ];
          run(join(sweep, label), clean + 0.03, 'model: {kind: vqc}\n', { robust } as unknown as Partial<RoundEvent>);
          points.push({ label, dir: label, overrides: { 'federation.clients': clients, 'adversarial.coverage': coverage, seed } });
        }
      }
    }
    const path = await writePaperReport({ report: 'qfal', evaluation: { central: true, every: 1 }, seed: 1 }, sweep, points);
    const html = readFileSync(path!, 'utf8');
    assert.match(html, /Fewer clients yield higher clean-data accuracy[\s\S]*?\+5\.00 pp[\s\S]*?supported/);
    assert.match(html, /Coverage 100 %: FGSM accuracy rises from eps 0\.2 to eps 0\.5[\s\S]*?<b style="color:#1b7a33">supported/);
    assert.match(html, /Clean accuracy is measured on the attacked subset/);
    assert.doesNotMatch(html, /NaN/);
  });

  test('qunetqfl: the data set is named per row, bars are never stacked past 100 %', async () => {
    const sweep = join(tmp, 'runs', 'qunet');
    const points: SweepPoint[] = [];
    for (const name of ['entanglement', 'magic']) {
      for (const seed of [1, 2, 3]) {
        const label = `${name}-s${seed}`;
        const secure = { bits: 8, modulusBits: 8, survivors: 1, dropped: [], keyBits: 0, keyWaitSeconds: 0, bytesUpPayload: 100, bytesUpFloat32: 400 };
        run(join(sweep, label), 0.55 + jitter(seed), `data: {name: ${name}, qubits: 6}\nsecure_aggregation: {bits: 8, clip: 0.5}\n`, { secure } as unknown as Partial<RoundEvent>);
        points.push({ label, dir: label, overrides: { 'data.name': name, seed } });
      }
    }
    const path = await writePaperReport({ report: 'qunetqfl', evaluation: { central: true, every: 1 }, seed: 1 }, sweep, points);
    const html = readFileSync(path!, 'utf8');
    assert.match(html, /<td>entanglement \(6 qubits\)<\/td>/);
    assert.match(html, /<td>magic \(6 qubits\)<\/td>/);
    assert.match(html, /Entanglement data: 88\.5 %[\s\S]*?not supported/);
    assert.match(html, /paper: entanglement 88\.5 %/);
    assert.doesNotMatch(html, /"stack":\s*"zero"/);
  });
});

test('ground tracks start a new segment where they wrap at +-180 degrees', () => {
  const nodes = validateNodes(
    [{ kind: 'satellite', id: 's', orbit: { model: 'kepler', semiMajorAxisKm: 6928, eccentricity: 0, inclinationDeg: 53, raanDeg: 10, argPerigeeDeg: 0, meanAnomalyDeg: 0 } }] as never,
    'nodes',
  );
  const track = groundTracks(nodes, 3 * 5700, '2026-06-01T08:00:00Z');
  const segments = new Set(track.map((t) => t.segment));
  assert.ok(segments.size >= 2, `${segments.size} segments`);
  for (const seg of segments) {
    const pts = track.filter((t) => t.segment === seg);
    for (let i = 1; i < pts.length; i++) assert.ok(Math.abs(pts[i]!.lon - pts[i - 1]!.lon) <= 180);
  }
});
