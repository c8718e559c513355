import { parseArgs } from 'node:util';
import { runBb84, type Bb84Options } from '../../qnet/bb84.js';
import { DECOYS, DEFAULT_NU, GYS_PARAMS, keyRate, LCQ_PARAMS, maxDistance, PROTOCOLS, type Decoys, type Protocol, type RateOptions } from '../../qnet/rates.js';
import { fail } from '../../util/errors.js';
import { Rng } from '../../util/random.js';

/**
 * `qfl qkd rate`: asymptotic secret-key rate of decoy-state BB84 or MDI-QKD at
 * a distance, or the distance where it reaches zero (`src/qnet/rates.ts`).
 * `qfl qkd bb84`: one simulated BB84 session, qubit by qubit, with its counts
 * (`src/qnet/bb84.ts`).
 *
 * The default repetition rate, 1 GHz, is the clock of GHz-gated InGaAs
 * systems (Yuan et al., APL 90, 011118 (2007); Lucamarini et al., Opt.
 * Express 21, 24550 (2013)); the rate per pulse does not depend on it.
 */
const DEFAULT_REP_RATE_HZ = 1e9;

const USAGE = `usage: qfl qkd rate [--protocol bb84-decoy|mdi] (--distance-km D | --max-distance) [options]
       qfl qkd bb84 --distance-km D [--pulses N] [--eve] [--seed S] [options]

qfl qkd rate: asymptotic secret-key rate (per pulse; per pulse pair for mdi)
  --protocol P          bb84-decoy (default; GYS parameters, Lo-Ma-Chen 2005)
                        or mdi (Lo-Curty-Qi 2012 parameters, relay halfway)
  --distance-km D       Alice-Bob fiber length, km
  --max-distance        print the distance where the rate reaches zero instead
  --decoys D            infinite (default) or vacuum-weak
  --mu MU               signal intensity; optimized at each distance when omitted
  --nu NU               weak decoy for vacuum-weak (default ${DEFAULT_NU})
  --alpha-db-per-km A   fiber loss (default ${GYS_PARAMS.alphaDbPerKm} bb84-decoy, ${LCQ_PARAMS.alphaDbPerKm} mdi)
  --eta-detector E      detection efficiency (default ${GYS_PARAMS.etaDetector}, ${LCQ_PARAMS.etaDetector})
  --y0 Y                background: bb84-decoy, vacuum yield at Bob (default ${GYS_PARAMS.y0});
                        mdi, dark counts per detector per gate (default ${LCQ_PARAMS.y0})
  --e-detector E        misalignment error (default ${GYS_PARAMS.eDetector}, ${LCQ_PARAMS.eDetector})
  --f-ec F              error-correction inefficiency (default ${GYS_PARAMS.fEc}, ${LCQ_PARAMS.fEc})
  --rep-rate-hz R       pulses per second for ratePerSecond (default 1e9)
  --json                print one line of JSON

qfl qkd bb84: one BB84 session with single photons; prints its counts as JSON
  --distance-km D       fiber length, km
  --pulses N            photons sent (default 1000000)
  --eve                 an intercept-resend eavesdropper on every pulse
  --seed S              seed of the simulation (default 1)
  --alpha-db-per-km A   (default ${GYS_PARAMS.alphaDbPerKm})   --eta-detector E (default ${GYS_PARAMS.etaDetector})
  --dark-count P        per detector per gate (default ${GYS_PARAMS.y0 / 2})
  --e-detector E        (default ${GYS_PARAMS.eDetector})   --sample-fraction F (default 0.1)
  --qber-threshold T    abort above this estimated QBER (default 0.11)`;

/** A number from a flag, checked against [min, max] (open ends by flag), or a QflError naming the flag. */
function numberFlag(flag: string, raw: string | undefined, min: number, max: number, open: { min?: boolean; max?: boolean } = {}): number | undefined {
  if (raw === undefined) return undefined;
  const v = raw.trim() === '' ? NaN : Number(raw);
  const lowOk = open.min ? v > min : v >= min;
  const highOk = open.max ? v < max : v <= max;
  if (!Number.isFinite(v) || !lowOk || !highOk) {
    fail(flag, `must be a number in ${open.min ? '(' : '['}${min}, ${max}${open.max ? ')' : ']'}, got '${raw}'`);
  }
  return v;
}

function choice<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) fail(flag, `must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? console.error : console.log)(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'rate') return rate(rest);
  if (sub === 'bb84') return bb84(rest);
  return fail('subcommand', `unknown qkd subcommand '${sub}'; choose from rate, bb84`);
}

function rate(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      protocol: { type: 'string' },
      'distance-km': { type: 'string' },
      'max-distance': { type: 'boolean' },
      decoys: { type: 'string' },
      mu: { type: 'string' },
      nu: { type: 'string' },
      'alpha-db-per-km': { type: 'string' },
      'eta-detector': { type: 'string' },
      y0: { type: 'string' },
      'e-detector': { type: 'string' },
      'f-ec': { type: 'string' },
      'rep-rate-hz': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const protocol = choice<Protocol>('--protocol', values.protocol, PROTOCOLS, 'bb84-decoy');
  const decoys = choice<Decoys>('--decoys', values.decoys, DECOYS, 'infinite');
  const nu = numberFlag('--nu', values.nu, 0, 1, { min: true, max: true });
  if (nu !== undefined && decoys !== 'vacuum-weak') fail('--nu', "only applies with '--decoys vacuum-weak'");
  const mu = numberFlag('--mu', values.mu, 0, 100, { min: true });
  if (mu !== undefined && decoys === 'vacuum-weak' && !(mu > (nu ?? DEFAULT_NU))) fail('--mu', `must exceed the weak decoy nu = ${nu ?? DEFAULT_NU}, got ${mu}`);
  const repRate = numberFlag('--rep-rate-hz', values['rep-rate-hz'], 0, 1e15, { min: true }) ?? DEFAULT_REP_RATE_HZ;
  const options: RateOptions = {
    decoys,
    ...(mu !== undefined ? { mu } : {}),
    ...(nu !== undefined ? { nu } : {}),
    ...optional('alphaDbPerKm', numberFlag('--alpha-db-per-km', values['alpha-db-per-km'], 0, 100)),
    ...optional('etaDetector', numberFlag('--eta-detector', values['eta-detector'], 0, 1, { min: true })),
    ...optional('y0', numberFlag('--y0', values.y0, 0, 1, { max: true })),
    ...optional('eDetector', numberFlag('--e-detector', values['e-detector'], 0, 0.5)),
    ...optional('fEc', numberFlag('--f-ec', values['f-ec'], 1, 10)),
  };
  const distance = numberFlag('--distance-km', values['distance-km'], 0, 1e5);

  if (values['max-distance']) {
    if (distance !== undefined) fail('--distance-km', 'cannot be combined with --max-distance');
    const km = maxDistance(protocol, options);
    if (values.json) console.log(JSON.stringify({ maxDistanceKm: km, protocol, decoys, ...(mu !== undefined ? { mu } : {}) }));
    else console.log(`${protocol} (${decoys} decoys): key rate reaches zero at ${km.toFixed(2)} km${mu !== undefined ? ` (mu = ${mu})` : ' (mu optimized at each distance)'}`);
    return 0;
  }
  if (distance === undefined) fail('--distance-km', 'is required (or pass --max-distance)');
  const r = keyRate(protocol, distance, options);
  const perSecond = r.ratePerPulse * repRate;
  if (values.json) {
    console.log(
      JSON.stringify({
        ratePerPulse: r.ratePerPulse,
        ratePerSecond: perSecond,
        protocol,
        decoys,
        distanceKm: distance,
        mu: r.mu,
        ...(r.nu !== undefined ? { nu: r.nu } : {}),
        repRateHz: repRate,
        gain: r.gain,
        qber: r.qber,
      }),
    );
  } else {
    const unit = protocol === 'mdi' ? 'bits per pulse pair' : 'bits per pulse';
    console.log(`${protocol} (${decoys} decoys) at ${distance} km: ${r.ratePerPulse.toExponential(4)} ${unit}, ${perSecond.toExponential(4)} bit/s at ${repRate.toExponential(2)} Hz`);
    console.log(`mu = ${r.mu.toFixed(4)}${r.nu !== undefined ? `, nu = ${r.nu}` : ''}; gain ${r.gain.toExponential(3)}, QBER ${(100 * r.qber).toFixed(2)} %`);
  }
  return 0;
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

function bb84(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      'distance-km': { type: 'string' },
      pulses: { type: 'string' },
      eve: { type: 'boolean' },
      seed: { type: 'string' },
      'alpha-db-per-km': { type: 'string' },
      'eta-detector': { type: 'string' },
      'dark-count': { type: 'string' },
      'e-detector': { type: 'string' },
      'sample-fraction': { type: 'string' },
      'qber-threshold': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const distanceKm = numberFlag('--distance-km', values['distance-km'], 0, 1e5);
  if (distanceKm === undefined) fail('--distance-km', 'is required');
  const pulses = numberFlag('--pulses', values.pulses, 1, 1e10) ?? 1e6;
  if (!Number.isInteger(pulses)) fail('--pulses', `must be a whole number, got '${values.pulses}'`);
  const seed = numberFlag('--seed', values.seed, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) ?? 1;
  const options: Bb84Options = {
    pulses,
    distanceKm,
    rng: new Rng(seed),
    ...(values.eve ? { eveFraction: 1 } : {}),
    ...optional('alphaDbPerKm', numberFlag('--alpha-db-per-km', values['alpha-db-per-km'], 0, 100)),
    ...optional('etaDetector', numberFlag('--eta-detector', values['eta-detector'], 0, 1)),
    ...optional('darkCountProbability', numberFlag('--dark-count', values['dark-count'], 0, 1, { max: true })),
    ...optional('eDetector', numberFlag('--e-detector', values['e-detector'], 0, 0.5)),
    ...optional('sampleFraction', numberFlag('--sample-fraction', values['sample-fraction'], 0, 1, { min: true, max: true })),
    ...optional('qberThreshold', numberFlag('--qber-threshold', values['qber-threshold'], 0, 0.5)),
  };
  const { key: _key, ...counts } = runBb84(options);
  console.log(JSON.stringify({ distanceKm, eve: Boolean(values.eve), seed, ...counts }));
  return 0;
}
