/**
 * The QKD links of `qfl kme`'s simulated network: one per pair of SAEs, each
 * with the key-rate model of `src/qnet` that says how fast it makes key.
 *
 * - `bb84-decoy`, `mdi`: the asymptotic decoy-state rates of `qnet/rates.ts`
 *   (GYS and Lo-Curty-Qi parameters) times the source's repetition rate;
 * - `relay-chain`: entanglement swapping over fiber segments with BBM92 on
 *   the end-to-end pairs (`experiments/relay-keys.ts`);
 * - `bb84-session`: the qubit-level BB84 of `qnet/bb84.ts` (Cascade and
 *   Toeplitz privacy amplification), one session every pulses / rep_rate_hz
 *   seconds, its output appended to the pool;
 * - `rate`: a fixed secret-key rate (e.g. the 32.8 kbps QuNetQFL reports).
 *
 * An intercept-resend eavesdropper on a fraction `eve` of the pulses: on the
 * sifted bits she is in the wrong basis half the time and then flips half of
 * them, so the error rate of a photon becomes e + eve (1/4 - e/2). For the
 * rate models that is the misalignment term (e_d of the model); the session
 * model simulates her photon by photon. A link whose QBER exceeds the
 * threshold (11 %, where BB84/BBM92 key vanishes with one-way post-processing)
 * or whose rate is zero makes no key, and requests for it are refused.
 */
import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { relayKeyRate } from '../../experiments/relay-keys.js';
import { runBb84 } from '../../qnet/bb84.js';
import { GYS_PARAMS, keyRate, LCQ_PARAMS } from '../../qnet/rates.js';
import { fail } from '../../util/errors.js';
import type { Rng } from '../../util/random.js';
import { isSaeId } from './etsi014.js';

export const LINK_MODELS = ['bb84-decoy', 'mdi', 'relay-chain', 'bb84-session', 'rate'] as const;
export type LinkModelName = (typeof LINK_MODELS)[number];

/** Above this QBER a link's key is refused (Shor-Preskill: h2(e) = 1/2 at e = 11.0 %). */
export const QBER_THRESHOLD = 0.11;

const eve = z.number().min(0).max(1).default(0);
const positive = z.number().positive().finite();

export const LinkSpecSchema = z.discriminatedUnion('model', [
  z.strictObject({ model: z.literal('bb84-decoy'), distance_km: z.number().min(0).max(1e4), rep_rate_hz: positive.max(1e12).default(1e9), eve }),
  z.strictObject({ model: z.literal('mdi'), distance_km: z.number().min(0).max(1e4), rep_rate_hz: positive.max(1e12).default(1e9), eve }),
  z.strictObject({
    model: z.literal('relay-chain'),
    segments_km: z.array(z.number().min(0).max(1e4)).min(1).max(64),
    pair_rate_hz: positive.max(1e12).default(1e8),
    detector_efficiency: z.number().gt(0).max(1).default(0.5),
    dark_counts_per_second: z.number().min(0).max(1e9).default(100),
    misalignment: z.number().min(0).max(0.5).default(0.01),
    memory_t2_s: positive.optional(),
    eve,
  }),
  z.strictObject({
    model: z.literal('bb84-session'),
    distance_km: z.number().min(0).max(1e4),
    pulses: z.number().int().min(1000).max(1e7).default(200_000),
    rep_rate_hz: positive.max(1e12).default(1e6),
    eve,
  }),
  z.strictObject({ model: z.literal('rate'), bits_per_second: z.number().min(0).max(1e12) }),
]);
export type LinkSpec = z.infer<typeof LinkSpecSchema>;
export type LinkSpecInput = z.input<typeof LinkSpecSchema>;

/** A topology file: every link defaults to `default`; `links` names pairs that differ. */
export const TopologySchema = z.strictObject({
  default: LinkSpecSchema.optional(),
  links: z.array(z.record(z.string(), z.unknown())).max(500_000).default([]),
});

/** What a link makes: its rate and QBER from the model, or why it makes nothing. */
export interface LinkModel {
  readonly spec: LinkSpec;
  /** Secret bits per second the model gives (for bb84-session: one session's key over its duration, estimated at start). */
  readonly bitsPerSecond: number;
  /** The model's error rate of the sifted key (eavesdropper included). */
  readonly qber: number;
  /** Set when the link makes no key, with the reason. */
  readonly refused?: string;
  /** For bb84-session: seconds one session lasts. */
  readonly sessionSeconds?: number;
}

/** Intercept-resend on a fraction f of photons: e -> e + f (1/4 - e/2). */
export function withEve(errorRate: number, fraction: number): number {
  return Math.min(0.5, errorRate + fraction * (0.25 - errorRate / 2));
}

function refusal(qber: number, bitsPerSecond: number): string | undefined {
  if (qber > QBER_THRESHOLD) return `QBER ${(100 * qber).toFixed(2)} % is above the ${100 * QBER_THRESHOLD} % threshold: the key is refused (an eavesdropper, or too much noise, on the link)`;
  if (!(bitsPerSecond > 0)) return 'the link model gives no secret key (rate 0 at this distance)';
  return undefined;
}

/** The rate and QBER a link spec gives (a bb84-session link runs one session with `rng` to estimate them). */
export function linkModel(spec: LinkSpec, rng: Rng): LinkModel {
  switch (spec.model) {
    case 'bb84-decoy':
    case 'mdi': {
      const protocol = spec.model;
      const base = protocol === 'mdi' ? LCQ_PARAMS : GYS_PARAMS;
      const r = keyRate(protocol, spec.distance_km, { eDetector: withEve(base.eDetector, spec.eve) });
      const bitsPerSecond = r.ratePerPulse * spec.rep_rate_hz;
      const why = refusal(r.qber, bitsPerSecond);
      return { spec, bitsPerSecond: why ? 0 : bitsPerSecond, qber: r.qber, ...(why ? { refused: why } : {}) };
    }
    case 'relay-chain': {
      const r = relayKeyRate({
        segments_km: spec.segments_km,
        pair_rate_hz: spec.pair_rate_hz,
        detector_efficiency: spec.detector_efficiency,
        dark_counts_per_second: spec.dark_counts_per_second,
        misalignment: withEve(spec.misalignment, spec.eve),
        memory_t2_s: spec.memory_t2_s,
      });
      const why = refusal(r.qber, r.bitsPerSecond);
      return { spec, bitsPerSecond: why ? 0 : r.bitsPerSecond, qber: r.qber, ...(why ? { refused: why } : {}) };
    }
    case 'bb84-session': {
      const sessionSeconds = spec.pulses / spec.rep_rate_hz;
      const s = runSession(spec, rng);
      const bitsPerSecond = s.bits / sessionSeconds;
      const why = s.aborted ?? refusal(s.qber, bitsPerSecond);
      return { spec, bitsPerSecond: why ? 0 : bitsPerSecond, qber: s.qber, sessionSeconds, ...(why ? { refused: why } : {}) };
    }
    case 'rate': {
      const why = refusal(0, spec.bits_per_second);
      return { spec, bitsPerSecond: spec.bits_per_second, qber: 0, ...(why ? { refused: why } : {}) };
    }
  }
}

/** One BB84 session of a bb84-session link: its key (whole bytes, packed LSB first) or why it aborted. */
export function runSession(spec: Extract<LinkSpec, { model: 'bb84-session' }>, rng: Rng): { key: Uint8Array; bits: number; qber: number; aborted?: string } {
  const r = runBb84({ pulses: spec.pulses, distanceKm: spec.distance_km, rng, qberThreshold: QBER_THRESHOLD, ...(spec.eve > 0 ? { eveFraction: spec.eve } : {}) });
  if (r.status === 'aborted') {
    const why = r.reason === 'qber-above-threshold' ? `BB84 session aborted: estimated QBER ${(100 * r.qber).toFixed(2)} % above ${100 * QBER_THRESHOLD} % (an eavesdropper on the link?)` : `BB84 session aborted: ${r.reason}`;
    return { key: new Uint8Array(0), bits: 0, qber: r.qber, aborted: why };
  }
  const bytes = r.finalKeyLength >>> 3; // whole bytes: ETSI keys are multiples of 8 bits here
  return { key: r.key.subarray(0, bytes), bits: bytes * 8, qber: r.qber };
}

/** The unordered pair's name, its two SAE IDs sorted. */
export function pairName(a: string, b: string): string {
  return a < b ? `${a}~${b}` : `${b}~${a}`;
}

function prefixIssues(prefix: string, error: z.ZodError): never {
  const first = error.issues[0]!;
  const path = [prefix, ...first.path.map(String)].filter((s) => s !== '').join('.');
  return fail(path, first.message);
}

/** Parses one link spec, with errors that name `field`. */
export function parseLinkSpec(value: unknown, field: string): LinkSpec {
  const r = LinkSpecSchema.safeParse(value);
  if (!r.success) prefixIssues(field, r.error);
  return r.data;
}

/**
 * The link of every pair of `saes`: `fallback` unless the topology names the
 * pair. Refuses unknown SAEs, a pair named twice, an SAE paired with itself.
 */
export function resolveLinks(saes: readonly string[], fallback: LinkSpec, topology?: unknown): Map<string, LinkSpec> {
  let base = fallback;
  const named = new Map<string, LinkSpec>();
  if (topology !== undefined) {
    const t = TopologySchema.safeParse(topology);
    if (!t.success) prefixIssues('topology', t.error);
    if (t.data.default !== undefined) base = t.data.default;
    t.data.links.forEach((entry, k) => {
      const { between, ...rest } = entry;
      if (!Array.isArray(between) || between.length !== 2 || !between.every((s) => typeof s === 'string')) {
        fail(`topology.links[${k}].between`, 'must be a list of two SAE IDs, e.g. [n0, n1]');
      }
      for (const id of between) if (!saes.includes(id)) fail(`topology.links[${k}].between`, `'${id}' is not one of the SAEs (${saes.join(', ')})`);
      if (between[0] === between[1]) fail(`topology.links[${k}].between`, `a link joins two different SAEs, got '${between[0]}' twice`);
      const name = pairName(between[0], between[1]);
      if (named.has(name)) fail(`topology.links[${k}].between`, `the pair ${between.join(', ')} is named twice`);
      named.set(name, parseLinkSpec(rest, `topology.links[${k}]`));
    });
  }
  const out = new Map<string, LinkSpec>();
  for (let i = 0; i < saes.length; i++) for (let j = i + 1; j < saes.length; j++) {
    const name = pairName(saes[i]!, saes[j]!);
    out.set(name, named.get(name) ?? base);
  }
  return out;
}

/** A topology file (YAML or JSON), parsed but not yet resolved. */
export function readTopology(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail('--topology', `cannot read '${path}': ${(e as Error).message}`);
  }
  if (text.length > 4 * 1024 * 1024) fail('--topology', `'${path}' is over 4 MiB`);
  try {
    return parseYaml(text) as unknown;
  } catch (e) {
    return fail('--topology', `'${path}' is not YAML or JSON: ${(e as Error).message}`);
  }
}

/** The SAE list of `--sae`: IDs that can name files and certificates, at least two, none twice. */
export function parseSaeList(raw: string): string[] {
  const ids = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (ids.length < 2) fail('--sae', `needs at least two SAE IDs separated by commas, got '${raw}'`);
  if (ids.length > 1000) fail('--sae', `at most 1000 SAEs, got ${ids.length}`);
  for (const id of ids) if (!isSaeId(id)) fail('--sae', `'${String(id).slice(0, 80)}' is not an SAE ID (letters, digits, '_', '.', '-'; at most 64; first a letter or digit)`);
  const dup = ids.find((id, k) => ids.indexOf(id) !== k);
  if (dup !== undefined) fail('--sae', `'${dup}' is listed twice`);
  return ids;
}
