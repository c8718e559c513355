import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { transformDef, type ClientContext, type UpdateTransform } from './pipeline.js';
import { Rng } from '../util/random.js';
import { norm2 } from '../security/robust/common.js';
import { assertClose, f64 } from '../security/robust/fixtures.js';
import { localDpTransform } from './pipeline.js';

function build(spec: Record<string, unknown>): UpdateTransform {
  const t = localDpTransform.build({ type: 'local_dp', ...spec }, 'pipeline[0]');
  if (Array.isArray(t)) throw new Error(JSON.stringify(t));
  return t;
}
const ctx = (seed = 1): ClientContext => ({ round: 1, clientId: 0, numExamples: 10, rng: new Rng(seed), metrics: {} });

describe('localDpTransform', () => {
  test('is a built-in transform', () => {
    assert.equal(localDpTransform.type, 'local_dp');
    assert.equal(localDpTransform.inverseOn, 'update');
    assert.deepEqual([...localDpTransform.paramNames], ['clip_norm', 'noise_multiplier', 'noise_source']);
    assert.equal(transformDef('local_dp'), localDpTransform);
  });

  test('without noise it clips and reports', () => {
    const t = build({ clip_norm: 1, noise_multiplier: 0 });
    const c = ctx();
    const u = f64(3, 4);
    assertClose(t.client(u, c), [0.6, 0.8]);
    assert.deepEqual(c.metrics, { clip_norm: 5, clipped: 1, dp_noise_std: 0 });
    assertClose(u, [3, 4]);
    assert.equal(t.server(u, { stage: 'update', round: 1, paramCount: 2, clientId: 0, numExamples: 1 }), u);
  });

  test('noise has std z C per coordinate around the clipped update, and follows the stream', () => {
    const t = build({ clip_norm: 0.5, noise_multiplier: 2 });
    const d = 40000;
    const u = new Float64Array(d).fill(1); // norm 200: clipped to 0.5, every entry 0.0025
    const out = t.client(u, ctx(7));
    let s = 0;
    let s2 = 0;
    for (const x of out) {
      s += x - 0.0025;
      s2 += (x - 0.0025) ** 2;
    }
    const mean = s / d;
    const sd = Math.sqrt(s2 / d - mean * mean);
    // Standard errors: 1 / sqrt(40000) = 0.005 for the mean, 1 / sqrt(80000) = 0.0035 for the sd.
    assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 0.015, `sd ${sd}`);
    assert.deepEqual(t.client(u, ctx(7)), out);
    assert.ok(norm2(out) > 100); // the noise, not the clipped update, dominates at this z
  });

  test("noise_source: os draws from the OS CSPRNG: std z C per coordinate, and not the seed's stream", () => {
    const t = build({ clip_norm: 0.5, noise_multiplier: 2, noise_source: 'os' });
    const d = 40000;
    const u = new Float64Array(d).fill(1);
    const out = t.client(u, ctx(7));
    let s = 0;
    let s2 = 0;
    for (const x of out) {
      s += x - 0.0025;
      s2 += (x - 0.0025) ** 2;
    }
    const mean = s / d;
    const sd = Math.sqrt(s2 / d - mean * mean);
    assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 0.015, `sd ${sd}`);
    assert.notDeepEqual([...t.client(u, ctx(7))], [...out], 'the same seed gives fresh noise');
    assert.notDeepEqual([...build({ clip_norm: 0.5, noise_multiplier: 2, noise_source: 'seeded' }).client(u, ctx(7))], [...out]);
    assert.deepEqual(build({ clip_norm: 0.5, noise_multiplier: 2, noise_source: 'seeded' }).client(u, ctx(7)), build({ clip_norm: 0.5, noise_multiplier: 2 }).client(u, ctx(7)), 'seeded is the default');
  });

  test('refuses bad parameters with paths', () => {
    const issues = localDpTransform.build({ type: 'local_dp', clip_norm: 0, noise_multiplier: 1 }, 'pipeline[2]');
    assert.ok(Array.isArray(issues));
    assert.equal(issues[0]!.path, 'pipeline[2].clip_norm');
    const unknown = localDpTransform.build({ type: 'local_dp', clip_norm: 1, noise_multiplier: 1, sigma: 2 }, 'pipeline[0]');
    assert.ok(Array.isArray(unknown) && unknown[0]!.path === 'pipeline[0].sigma');
    const source = localDpTransform.build({ type: 'local_dp', clip_norm: 1, noise_multiplier: 1, noise_source: 'dice' }, 'pipeline[0]');
    assert.ok(Array.isArray(source) && source[0]!.path === 'pipeline[0].noise_source' && /seeded|os/.test(source[0]!.message), JSON.stringify(source));
  });
});
