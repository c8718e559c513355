import { parseArgs } from 'node:util';
import { CONVERSIONS, DEFAULT_ORDERS, type Conversion } from '../../security/dp/accountant.js';
import { dpSgdSteps, sgmEpsilon, sgmNoiseMultiplier, type SgmSettings } from '../../security/dp/calculator.js';
import { fail } from '../../util/errors.js';
import { numberFlag } from '../flags.js';

/**
 * `qfl privacy epsilon|noise`: the RDP accountant of the runs
 * (`security/dp/accountant.ts`) from the command line, with the flags of TF
 * Privacy's `compute_dp_sgd_privacy` (epochs, batch size, data set size) or
 * the sampled Gaussian mechanism's own (sample rate, steps).
 */
const USAGE = `usage: qfl privacy epsilon (--sample-rate Q --steps T | --epochs E --batch-size B --dataset-size N)
                           --noise-multiplier Z --delta D [--conversion improved|classic] [--json]
       qfl privacy noise   (--sample-rate Q --steps T | --epochs E --batch-size B --dataset-size N)
                           --epsilon EPS --delta D [--conversion improved|classic] [--json]

epsilon: the (epsilon, delta) that T steps of the sampled Gaussian mechanism spend,
         and the best RDP order; noise: the smallest noise multiplier for a target epsilon.
  --sample-rate Q        chance that a record (client) takes part in a step (round), in (0, 1]
  --steps T              steps (DP-SGD) or rounds (DP-FedAvg)
  --epochs E             passes over the data (may be fractional): T = ceil(E N / B), Q = B / N
  --batch-size B         records per step (expected, Poisson sampling)
  --dataset-size N       records in the training set
  --noise-multiplier Z   noise std / clipping norm
  --epsilon EPS          target epsilon (noise)
  --delta D              target delta, in (0, 1); rule of thumb: below 1 / N
  --conversion C         improved (default; Balle et al. 2020, what TF Privacy and the runs report)
                         or classic (Mironov 2017; TF Privacy's tutorial tables)
  --json                 one line of JSON: {"epsilon": E, "order": A, ...}`;

const COMMON = {
  'sample-rate': { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  'dataset-size': { type: 'string' },
  delta: { type: 'string' },
  conversion: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = { readonly [K in keyof typeof COMMON]?: string | boolean | undefined };

/** q and T from either flag family (never both: they could disagree). */
function settings(v: Values): SgmSettings {
  const str = (k: keyof typeof COMMON): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const direct = str('sample-rate') !== undefined || str('steps') !== undefined;
  const tf = str('epochs') !== undefined || str('batch-size') !== undefined || str('dataset-size') !== undefined;
  if (direct && tf) fail('--sample-rate', 'give either --sample-rate and --steps, or --epochs, --batch-size and --dataset-size, not both');
  if (!direct && !tf) fail('--sample-rate', 'give --sample-rate and --steps, or --epochs, --batch-size and --dataset-size');
  const required = (k: keyof typeof COMMON): string => str(k) ?? fail(`--${k}`, 'is required here');
  const delta = numberFlag('--delta', required('delta'), 0, { min: Number.MIN_VALUE, max: 1 - Number.EPSILON });
  const conversion = (str('conversion') ?? 'improved') as Conversion;
  if (!CONVERSIONS.includes(conversion)) fail('--conversion', `must be one of ${CONVERSIONS.join(', ')}, got '${conversion}'`);
  if (direct) {
    return {
      sampleRate: numberFlag('--sample-rate', required('sample-rate'), 0, { min: Number.MIN_VALUE, max: 1 }),
      steps: numberFlag('--steps', required('steps'), 0, { min: 1, integer: true }),
      delta,
      conversion,
    };
  }
  const epochs = numberFlag('--epochs', required('epochs'), 0, { min: Number.MIN_VALUE });
  const batch = numberFlag('--batch-size', required('batch-size'), 0, { min: 1, integer: true });
  const n = numberFlag('--dataset-size', required('dataset-size'), 0, { min: 1, integer: true });
  if (batch > n) fail('--batch-size', `must be at most --dataset-size ${n}, got ${batch}`);
  return { ...dpSgdSteps(epochs, batch, n), delta, conversion };
}

/** TF Privacy's warning: a best order at the end of the grid means a wider grid could do better. */
function edgeNote(order: number): string {
  const ends = [DEFAULT_ORDERS[0], DEFAULT_ORDERS[DEFAULT_ORDERS.length - 1]];
  return ends.includes(order) ? '\nnote: the best order is at the end of the grid; epsilon may be smaller than this bound shows' : '';
}

function pct(q: number): string {
  return `${Number((100 * q).toPrecision(4))} %`;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? console.error : console.log)(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'epsilon') {
    const { values } = parseArgs({ args: rest, options: { ...COMMON, 'noise-multiplier': { type: 'string' } }, strict: true });
    if (values.help) return void console.log(USAGE), 0;
    const s = settings(values);
    const z = numberFlag('--noise-multiplier', values['noise-multiplier'] ?? fail('--noise-multiplier', 'is required'), 0, { min: 0 });
    const r = sgmEpsilon({ ...s, noiseMultiplier: z });
    if (values.json) {
      console.log(JSON.stringify({ epsilon: r.epsilon, order: r.order, delta: s.delta, sample_rate: s.sampleRate, steps: s.steps, noise_multiplier: z, conversion: s.conversion }));
    } else {
      console.log(
        `epsilon = ${r.epsilon.toFixed(4)} at delta = ${s.delta} (best RDP order ${r.order}; ${s.conversion} conversion)\n` +
          `sample rate ${pct(s.sampleRate)}, noise multiplier ${z}, ${s.steps} steps${edgeNote(r.order)}`,
      );
    }
    return 0;
  }
  if (sub === 'noise') {
    const { values } = parseArgs({ args: rest, options: { ...COMMON, epsilon: { type: 'string' } }, strict: true });
    if (values.help) return void console.log(USAGE), 0;
    const s = settings(values);
    const target = numberFlag('--epsilon', values.epsilon ?? fail('--epsilon', 'is required'), 0, { min: Number.MIN_VALUE });
    const r = sgmNoiseMultiplier({ ...s, epsilon: target });
    if (values.json) {
      console.log(JSON.stringify({ noise_multiplier: r.noiseMultiplier, epsilon: r.epsilon, order: r.order, delta: s.delta, sample_rate: s.sampleRate, steps: s.steps, conversion: s.conversion }));
    } else {
      console.log(
        `noise multiplier = ${r.noiseMultiplier.toFixed(4)} gives epsilon = ${r.epsilon.toFixed(4)} <= ${target} at delta = ${s.delta} ` +
          `(best RDP order ${r.order}; ${s.conversion} conversion)\nsample rate ${pct(s.sampleRate)}, ${s.steps} steps`,
      );
    }
    return 0;
  }
  return fail('subcommand', `unknown privacy subcommand '${sub}'; choose from epsilon, noise`);
}
