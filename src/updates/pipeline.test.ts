import { l2Norm } from '../util/vectors.js';
import assert from 'node:assert/strict';
import test from 'node:test';
import { z } from 'zod';
import { QflError } from '../util/errors.js';
import type { Failure, FitRes } from './messages.js';
import {
  applyClient,
  checkPipeline,
  checkUpdate,
  createPipeline,
  defineTransform,
  EMPTY_PIPELINE,
  finishAggregate,
  hidesSingleUpdates,
  isFailure,
  mustComeLast,
  receiveUpdates,
  registerTransform,
  transformTypes,
  type ClientContext,
} from './pipeline.js';

// Stand-ins for the transforms that come later, to exercise the hooks.
/** Multiplies by k on the client and divides on the server, per update. */
registerTransform(
  defineTransform({
    type: 'test-scale',
    summary: 'scale by k',
    inverseOn: 'update',
    params: z.object({ k: z.number().gt(0, 'must be > 0') }),
    create: ({ k }) => ({
      type: 'test-scale',
      name: `test-scale(k=${k})`,
      inverseOn: 'update',
      client: (u) => u.map((v) => v * k),
      server: (x) => x.map((v) => v / k),
    }),
  }),
);
/** Adds 1000 on the client; the server can only take it off the sum of all updates (like a mask). */
registerTransform(
  defineTransform({
    type: 'test-mask',
    summary: 'hide single updates',
    inverseOn: 'aggregate',
    params: z.object({}),
    create: () => ({
      type: 'test-mask',
      name: 'test-mask',
      inverseOn: 'aggregate',
      client: (u) => u.map((v) => v + 1000),
      server: (x, ctx) => (ctx.stage === 'aggregate' ? x.map((v) => v - 1000 * ctx.clientIds.length) : x),
    }),
    checkOrder: mustComeLast,
  }),
);
/** Adds one normal draw from its stream to every entry. */
registerTransform(
  defineTransform({
    type: 'test-noise',
    summary: 'noise',
    inverseOn: 'update',
    params: z.object({}),
    create: () => ({
      type: 'test-noise',
      name: 'test-noise',
      inverseOn: 'update',
      client: (u, ctx) => u.map((v) => v + ctx.rng.normal()),
      server: (x) => x,
    }),
  }),
);

const ctx = (): ClientContext => ({ round: 1, clientId: 0, numExamples: 10, rng: undefined as never, metrics: {} });
const clip = (maxNorm: number) => createPipeline([{ type: 'clip', max_norm: maxNorm }]).transforms[0]!;

test('clip scales an update longer than max_norm onto the ball and keeps its direction', () => {
  const u = new Float64Array([3, 4, 0]);
  const c = ctx();
  const out = clip(1).client(u, c);
  assert.deepEqual(out, new Float64Array([0.6000000000000001, 0.8, 0]));
  assert.ok(Math.abs(l2Norm(out) - 1) < 1e-15);
  assert.deepEqual(u, new Float64Array([3, 4, 0]), 'input not mutated');
  assert.deepEqual(c.metrics, { clip_norm: 5, clipped: 1 });
});

test('clip leaves an update within the bound unchanged (the same array), including one exactly on it', () => {
  const small = new Float64Array([0.1, -0.2]);
  const c = ctx();
  assert.equal(clip(1).client(small, c), small);
  assert.deepEqual(c.metrics, { clip_norm: l2Norm(small), clipped: 0 });
  const edge = new Float64Array([3, 4]);
  assert.equal(clip(5).client(edge, ctx()), edge);
  const zero = new Float64Array(3);
  assert.equal(clip(1).client(zero, ctx()), zero);
});

test('clip bounds the norm of random updates and its server side is the identity', () => {
  const t = clip(0.5);
  for (let s = 1; s <= 50; s++) {
    const u = Float64Array.from({ length: 17 }, (_, i) => Math.sin(s * 31 + i * 7) * s);
    const out = t.client(u, ctx());
    assert.ok(l2Norm(out) <= 0.5 * (1 + 1e-12));
    const back = t.server(out, { stage: 'update', round: 1, paramCount: 17, clientId: 0, numExamples: 1 });
    assert.equal(back, out);
  }
});

test('pipeline validation names the path, the rule and the value', () => {
  const msg = (spec: unknown) => {
    try {
      createPipeline(spec);
    } catch (e) {
      assert.ok(e instanceof QflError);
      return e.message;
    }
    return 'no error';
  };
  assert.equal(msg([{ type: 'clip', max_norm: 1 }, { type: 'clip', max_norm: -1 }]), 'pipeline[1].max_norm: must be > 0, got -1');
  assert.equal(msg([{ type: 'clip', max_norm: 0 }]), 'pipeline[0].max_norm: must be > 0, got 0');
  assert.equal(msg([{ type: 'clip' }]), 'pipeline[0].max_norm: required (a finite number)');
  assert.equal(msg([{ type: 'clip', max_norm: '1' }]), 'pipeline[0].max_norm: must be a finite number, got "1"');
  assert.equal(msg([{ type: 'clip', max_norm: Infinity }]), 'pipeline[0].max_norm: must be a finite number, got Infinity');
  assert.equal(msg([{ type: 'clip', max_norm: NaN }]), 'pipeline[0].max_norm: must be a finite number, got NaN');
  assert.equal(msg([{ type: 'clip', max_norm: 1, maxnorm: 2 }]), 'pipeline[0].maxnorm: unknown parameter of clip; allowed: max_norm');
  assert.equal(msg([{ type: 'clp' }]), `pipeline[0].type: unknown transform "clp"; known: ${transformTypes().join(', ')}`);
  assert.equal(msg([{ max_norm: 1 }]), `pipeline[0].type: required; known: ${transformTypes().join(', ')}`);
  assert.match(msg([3]), /^pipeline\[0\]: must be an object with a type \(one of clip, .*\), got 3$/);
  assert.match(msg({ type: 'clip' }), /^pipeline: must be a list of transforms/);
  assert.equal(
    msg([{ type: 'clip' }, { type: 'test-scale', k: -2 }]),
    'pipeline[0].max_norm: required (a finite number) (and 1 more problem)',
  );
  assert.deepEqual(checkPipeline([{ type: 'clip' }, { type: 'test-scale', k: -2 }], {}, 'config.pipeline'), [
    { path: 'config.pipeline[0].max_norm', message: 'required (a finite number)' },
    { path: 'config.pipeline[1].k', message: 'must be > 0, got -2' },
  ]);
  assert.deepEqual(checkPipeline([]), []);
  assert.deepEqual(createPipeline([{ type: 'clip', max_norm: 2 }]).spec, [{ type: 'clip', max_norm: 2 }]);
  assert.equal(createPipeline([{ type: 'clip', max_norm: 2 }]).transforms[0]!.name, 'clip(max_norm=2)');
});

test('order checks: a transform that hides single updates comes last and refuses a robust aggregator', () => {
  assert.deepEqual(checkPipeline([{ type: 'clip', max_norm: 1 }, { type: 'test-mask' }]), []);
  assert.deepEqual(checkPipeline([{ type: 'test-mask' }, { type: 'clip', max_norm: 1 }]), [
    { path: 'pipeline[0]', message: 'test-mask must come last, but clip follows it' },
    {
      path: 'pipeline[1]',
      message:
        'clip cannot come after test-mask (pipeline[0]): test-mask hides single updates, so the server could not undo clip per update; move clip before test-mask',
    },
  ]);
  const krum = { aggregator: { name: 'krum', needsSingleUpdates: true } };
  assert.deepEqual(checkPipeline([{ type: 'clip', max_norm: 1 }, { type: 'test-mask' }], krum), [
    {
      path: 'pipeline[1]',
      message: "test-mask hides single updates from the server, but aggregator 'krum' must see each one; remove test-mask or use an averaging aggregator",
    },
  ]);
  assert.deepEqual(checkPipeline([{ type: 'clip', max_norm: 1 }], krum), []);
  assert.deepEqual(checkPipeline([{ type: 'test-mask' }], { aggregator: { name: 'fedavg', needsSingleUpdates: false } }), []);
  assert.throws(() => registerTransform(defineTransform({ type: 'clip', summary: '', inverseOn: 'update', params: z.object({}), create: () => clip(1) })), {
    message: "transform.type: 'clip' is already registered",
  });
});

test('applyClient runs the transforms in order, each with its own seeded stream', () => {
  const p = createPipeline([{ type: 'test-scale', k: 2 }, { type: 'clip', max_norm: 1 }]);
  const run = { round: 1, clientId: 0, numExamples: 5, seed: 9 };
  const out = applyClient(p, new Float64Array([0.3, 0.4]), run);
  assert.deepEqual(out.update, new Float64Array([0.6, 0.8])); // scaled to norm 1, then within the clip
  assert.deepEqual(out.metrics, { clip_norm: 1, clipped: 0 });
  const noisy = createPipeline([{ type: 'test-noise' }, { type: 'test-noise' }]);
  const a = applyClient(noisy, new Float64Array(3), run).update;
  assert.deepEqual(applyClient(noisy, new Float64Array(3), run).update, a);
  assert.notDeepEqual(applyClient(noisy, new Float64Array(3), { ...run, seed: 10 }).update, a);
  const one = applyClient(createPipeline([{ type: 'test-noise' }]), new Float64Array(3), run).update;
  assert.notDeepEqual(a.map((v, i) => v - one[i]!), one, 'the second transform draws from another stream');
});

const res = (clientId: number, update: number[], numExamples = 4): FitRes => ({
  round: 1,
  clientId,
  update: Float64Array.from(update),
  numExamples,
  metrics: {},
});

test('the server refuses NaN, infinite and wrong-length updates as failures and keeps the rest in order', () => {
  const earlier: Failure = { clientId: 9, reason: 'timeout after 5 ms' };
  const outcomes = [
    res(0, [1, 2, 3]),
    res(1, [1, NaN, 3]),
    earlier,
    res(2, [1, 2]),
    res(3, [Infinity, 0, 0]),
    res(4, [0, 0, 0], -1),
    res(5, [0.5, 0, 0]),
  ];
  const { results, failures } = receiveUpdates(EMPTY_PIPELINE, outcomes, { round: 1, paramCount: 3 });
  assert.deepEqual(
    results.map((r) => r.clientId),
    [0, 5],
  );
  assert.equal(results[0], outcomes[0], 'accepted results pass unchanged');
  assert.deepEqual(failures, [
    { clientId: 1, reason: 'refused: update[1] is NaN, not finite' },
    earlier,
    { clientId: 2, reason: 'refused: update has 2 numbers, the model has 3 parameters' },
    { clientId: 3, reason: 'refused: update[0] is Infinity, not finite' },
    { clientId: 4, reason: 'refused: numExamples must be an integer >= 0, got -1' },
  ]);
  assert.equal(checkUpdate([1, 2], 2), 'update must be a Float64Array, got [1,2]');
  assert.equal(isFailure(earlier), true);
  assert.equal(isFailure(outcomes[0]!), false);
});

test('the server runs per-update inverses on each update and the rest on the aggregate, in reverse order', () => {
  const p = createPipeline([{ type: 'clip', max_norm: 100 }, { type: 'test-scale', k: 4 }, { type: 'test-mask' }]);
  assert.equal(hidesSingleUpdates(p), true);
  const run = (clientId: number, d: number[]) => applyClient(p, Float64Array.from(d), { round: 1, clientId, numExamples: 1, seed: 0 }).update;
  const sent = [run(0, [1, 2]), run(1, [3, -1])];
  assert.deepEqual(sent[0], new Float64Array([1004, 1008]));
  // The mask hides single updates: nothing is undone per update.
  const { results } = receiveUpdates(p, sent.map((u, i) => ({ ...res(i, []), update: u })), { round: 1, paramCount: 2 });
  assert.deepEqual(results[0]!.update, sent[0]);
  const sum = new Float64Array([sent[0]![0]! + sent[1]![0]!, sent[0]![1]! + sent[1]![1]!]);
  assert.deepEqual(finishAggregate(p, sum, { round: 1, paramCount: 2, clientIds: [0, 1] }), new Float64Array([4, 1]));

  const q = createPipeline([{ type: 'test-scale', k: 4 }, { type: 'clip', max_norm: 100 }]);
  assert.equal(hidesSingleUpdates(q), false);
  const r = receiveUpdates(q, [res(0, [4, 8])], { round: 1, paramCount: 2 });
  assert.deepEqual(r.results[0]!.update, new Float64Array([1, 2]));
  const agg = new Float64Array([1, 2]);
  assert.equal(finishAggregate(q, agg, { round: 1, paramCount: 2, clientIds: [0] }), agg);
  assert.throws(() => finishAggregate(q, new Float64Array([1, NaN]), { round: 2, paramCount: 2, clientIds: [0] }), {
    message: 'round 2 aggregate: aggregate[1] is NaN, not finite',
  });
});
