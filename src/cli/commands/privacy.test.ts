import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sgmEpsilon } from '../../security/dp/calculator.js';
import { QflError } from '../../util/errors.js';
import { run } from './privacy.js';

async function privacy(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
  console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
  try {
    const code = await run(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

async function json(...argv: string[]): Promise<Record<string, number | string>> {
  const r = await privacy(...argv, '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n').length, 1, r.out);
  return JSON.parse(r.out) as Record<string, number | string>;
}

async function refused(field: string, ...argv: string[]): Promise<void> {
  await assert.rejects(privacy(...argv), (e: unknown) => {
    assert.ok(e instanceof QflError, `expected QflError, got ${String(e)}`);
    assert.equal(e.field, field);
    return true;
  });
}

/** "To the second decimal": the published value is printed with %.2f, so ours must be within 0.01 of it. */
function agrees(got: number, published: number, what: string): void {
  assert.ok(Math.abs(got - published) < 0.01, `${what}: ours ${got}, published ${published}`);
}

// TensorFlow Privacy, tutorials/README.md ("Select Parameters" table and "Expected
// Output" of mnist_dpsgd_tutorial.py): MNIST, N = 60000, batch 256 (q = 256/60000),
// delta = 1e-5, steps = epochs * (60000 // 256) = epochs * 234, classic conversion
// (get_privacy_spent of the time), orders 1.1..10.9 and 12..63.
const Q = String(256 / 60000);
const TUTORIAL: readonly { noise: number; epochs: number; epsilon: number }[] = [
  { noise: 1.12, epochs: 60, epsilon: 2.92 },
  { noise: 0.6, epochs: 30, epsilon: 9.74 },
  { noise: 1.2, epochs: 10, epsilon: 1.2 },
  // "Expected Output" with the defaults (noise 1.12): after 1 and 2 epochs.
  { noise: 1.12, epochs: 1, epsilon: 1.0 },
  { noise: 1.12, epochs: 2, epsilon: 1.04 },
];

describe('qfl privacy epsilon', () => {
  test("agrees with TF Privacy's MNIST DP-SGD tutorial table to the second decimal", async () => {
    for (const t of TUTORIAL) {
      const steps = String(t.epochs * 234);
      const out = await json('epsilon', '--sample-rate', Q, '--steps', steps, '--noise-multiplier', String(t.noise), '--delta', '1e-5', '--conversion', 'classic');
      agrees(out.epsilon as number, t.epsilon, `noise ${t.noise}, ${t.epochs} epochs`);
      assert.equal(out.steps, t.epochs * 234);
    }
  });

  test("TF Privacy's compute_dp_sgd_privacy example (--N=60000 --batch_size=256 --noise_multiplier=1.12 --epochs=60 --delta=1e-5: 2.92)", async () => {
    const out = await json('epsilon', '--dataset-size', '60000', '--batch-size', '256', '--noise-multiplier', '1.12', '--epochs', '60', '--delta', '1e-5', '--conversion', 'classic');
    agrees(out.epsilon as number, 2.92, 'compute_dp_sgd_privacy docstring');
    assert.equal(out.steps, Math.ceil((60 * 60000) / 256)); // 14063, the tool's count
    assert.equal(out.sample_rate, 256 / 60000);
    assert.equal(typeof out.order, 'number');
  });

  test('--json holds epsilon and order first, from the same accountant as the runs; improved <= classic', async () => {
    const args = ['epsilon', '--sample-rate', '0.01', '--steps', '1000', '--noise-multiplier', '1.1', '--delta', '1e-5'];
    const out = await json(...args);
    assert.deepEqual(Object.keys(out).slice(0, 2), ['epsilon', 'order']);
    const lib = sgmEpsilon({ sampleRate: 0.01, steps: 1000, noiseMultiplier: 1.1, delta: 1e-5 });
    assert.equal(out.epsilon, lib.epsilon);
    assert.equal(out.order, lib.order);
    assert.equal(out.conversion, 'improved');
    const classic = await json(...args, '--conversion', 'classic');
    assert.ok((out.epsilon as number) < (classic.epsilon as number));
    const text = await privacy(...args);
    assert.match(text.out, /^epsilon = \d+\.\d{4} at delta = 0\.00001 \(best RDP order [\d.]+; improved conversion\)/);
  });

  test('more noise spends less; refuses mixed or missing flags and bad values, naming the flag', async () => {
    const base = ['--sample-rate', '0.01', '--steps', '500', '--delta', '1e-5'];
    const a = await json('epsilon', ...base, '--noise-multiplier', '1');
    const b = await json('epsilon', ...base, '--noise-multiplier', '2');
    assert.ok((b.epsilon as number) < (a.epsilon as number));
    await refused('--sample-rate', 'epsilon', ...base, '--epochs', '1', '--noise-multiplier', '1');
    await refused('--sample-rate', 'epsilon', '--delta', '1e-5', '--noise-multiplier', '1');
    await refused('--steps', 'epsilon', '--sample-rate', '0.01', '--delta', '1e-5', '--noise-multiplier', '1');
    await refused('--noise-multiplier', 'epsilon', ...base);
    await refused('--sample-rate', 'epsilon', '--sample-rate', '1.5', '--steps', '5', '--delta', '1e-5', '--noise-multiplier', '1');
    await refused('--delta', 'epsilon', '--sample-rate', '0.1', '--steps', '5', '--delta', '1', '--noise-multiplier', '1');
    await refused('--batch-size', 'epsilon', '--epochs', '1', '--batch-size', '100', '--dataset-size', '50', '--delta', '1e-5', '--noise-multiplier', '1');
    await refused('--conversion', 'epsilon', ...base, '--noise-multiplier', '1', '--conversion', 'tight');
    await refused('subcommand', 'budget');
  });
});

describe('qfl privacy noise', () => {
  test('inverts epsilon: the tutorial default (2.92 after 60 epochs) needs noise 1.12', async () => {
    const out = await json('noise', '--sample-rate', Q, '--steps', String(60 * 234), '--epsilon', '2.92', '--delta', '1e-5', '--conversion', 'classic');
    assert.ok(Math.abs((out.noise_multiplier as number) - 1.12) < 0.005, `noise ${out.noise_multiplier}`);
    assert.ok((out.epsilon as number) <= 2.92);
  });

  test('the found noise meets the target and 0.1 % less noise does not', async () => {
    const settings = { sampleRate: 0.02, steps: 300, delta: 1e-6 };
    const out = await json('noise', '--sample-rate', '0.02', '--steps', '300', '--delta', '1e-6', '--epsilon', '1.5');
    const z = out.noise_multiplier as number;
    assert.ok(sgmEpsilon({ ...settings, noiseMultiplier: z }).epsilon <= 1.5);
    assert.ok(sgmEpsilon({ ...settings, noiseMultiplier: z * 0.999 }).epsilon > 1.5);
    await refused('--epsilon', 'noise', '--sample-rate', '0.02', '--steps', '300', '--delta', '1e-6');
    await refused('--epsilon', 'noise', '--sample-rate', '0.02', '--steps', '300', '--delta', '1e-6', '--epsilon', '0');
  });
});
