/**
 * Asymptotic secret-key rates against fiber length (infinitely long keys, no
 * finite-size corrections), per pulse sent (per pulse PAIR for MDI-QKD).
 *
 * Decoy-state BB84 with weak coherent pulses, GLLP rate as in Lo, Ma & Chen,
 * PRL 94, 230504 (2005), Eq. (1) and their channel model:
 *
 *     R = q { -Q_mu f(E_mu) h(E_mu) + Q_1 [1 - h(e_1)] }
 *     eta = eta_det 10^(-alpha L / 10),  Q_mu = Y0 + 1 - e^(-eta mu),
 *     E_mu Q_mu = e0 Y0 + e_d (1 - e^(-eta mu)),
 *     Y1 = Y0 + eta,  Q1 = Y1 mu e^(-mu),  e1 = (e0 Y0 + e_d eta) / Y1,  e0 = 1/2
 *
 * - `infinite` decoys: Y1 and e1 are known exactly (LMC 2005).
 * - `vacuum-weak`: the vacuum and one weak decoy nu < mu give the bounds of
 *   Ma, Qi, Zhao & Lo, PRA 72, 012326 (2005), Eqs. (34) and (37):
 *     Y1 >= mu / (mu nu - nu^2) (Q_nu e^nu - Q_mu e^mu nu^2/mu^2 - (mu^2 - nu^2)/mu^2 Y0)
 *     e1 <= (E_nu Q_nu e^nu - e0 Y0) / (Y1^L nu)
 *
 * MDI-QKD (Lo, Curty & Qi, PRL 108, 130503 (2012), Eq. (1)), polarization
 * encoding, relay in the middle (each arm L/2), both senders at intensity mu:
 *
 *     R = Q11 [1 - h(e11^X)] - Q_rect f h(E_rect),   Q11 = mu^2 e^(-2 mu) Y11
 *
 * with the observed gains and errors of Ma & Razavi, PRA 86, 062319 (2012)
 * (the forward model also used in LCQ's supplement): Y11, e11 from their
 * Eqs. (21), (23); Q_rect, E_rect from Eqs. (51)-(54); Q_diag, E_diag from
 * Eqs. (35), (39). `y0` is the dark-count probability per detector per gate
 * there. With `vacuum-weak` decoys Y11 and e11 are bounded from the gains at
 * intensities {mu, nu, 0} by the closed forms of Xu, Curty, Qi & Lo, New J.
 * Phys. 15, 113007 (2013).
 *
 * Default parameters:
 * - BB84: GYS (Gobby, Yuan & Shields, APL 84, 3762 (2004)) as used by LMC 2005
 *   and Ma et al. 2005: alpha = 0.21 dB/km, eta_det = 0.045 (Bob's detection
 *   efficiency including his optics), Y0 = 1.7e-6, e_d = 0.033, f = 1.22,
 *   q = 1/2 (BB84 sifting).
 * - MDI: Lo, Curty & Qi 2012 Fig. 2 (restated in Ma & Razavi 2012 Table 1 and
 *   Xu et al. 2013 Table 1): alpha = 0.2 dB/km, eta_det = 0.145, e_d = 0.015,
 *   f = 1.16, and a background of 6.02e-6 per pulse (Ursin et al., Nature
 *   Phys. 3, 481 (2007)), i.e. y0 = 3.0e-6 per detector (Ma & Razavi Table 1);
 *   no sifting factor, as in LCQ's Eq. (1) (efficient, biased basis choice).
 *
 * @example decoyBb84Rate(50).ratePerPulse      // GYS, infinite decoys, mu optimized
 * @example maxDistance('mdi', { decoys: 'vacuum-weak', nu: 0.01 })
 */
import { fail } from '../util/errors.js';
import { besselI0m1, besselI0m1Series, checkNumber, h2, lastPositive, maximize, transmittance } from './math.js';

export const PROTOCOLS = ['bb84-decoy', 'mdi'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const DECOYS = ['infinite', 'vacuum-weak'] as const;
export type Decoys = (typeof DECOYS)[number];

/** Channel, detector and post-processing parameters of a key-rate model. */
export interface RateParams {
  /** Fiber loss, dB per km. */
  readonly alphaDbPerKm: number;
  /** Detection efficiency (BB84: Bob's total, optics included; MDI: each relay detector). */
  readonly etaDetector: number;
  /** Background: BB84, yield of a vacuum pulse at Bob; MDI, dark-count probability per detector per gate. */
  readonly y0: number;
  /** Misalignment error e_d: probability that a photon lands in the wrong detector. */
  readonly eDetector: number;
  /** Error-correction inefficiency f >= 1 (leak = f n h(E)). */
  readonly fEc: number;
  /** Fraction of detections kept after basis sifting (q). */
  readonly sifting: number;
}

/** GYS parameters (Gobby, Yuan & Shields 2004) as used in Lo, Ma & Chen 2005 and Ma et al. 2005. */
export const GYS_PARAMS: Readonly<RateParams> = Object.freeze({
  alphaDbPerKm: 0.21,
  etaDetector: 0.045,
  y0: 1.7e-6,
  eDetector: 0.033,
  fEc: 1.22,
  sifting: 0.5,
});

/** Lo, Curty & Qi 2012 Fig. 2 parameters (per-detector dark count as in Ma & Razavi 2012 Table 1). */
export const LCQ_PARAMS: Readonly<RateParams> = Object.freeze({
  alphaDbPerKm: 0.2,
  etaDetector: 0.145,
  y0: 3.0e-6,
  eDetector: 0.015,
  fEc: 1.16,
  sifting: 1,
});

/**
 * Default weak-decoy intensity. The asymptotic bounds tighten as nu -> 0
 * (Ma et al. 2005, Sec. V); 0.01 keeps the vacuum+weak distance within a few
 * tenths of a percent of the infinite-decoy one while staying far from the
 * 0/0 the closed forms reach at nu = 0 in double precision.
 */
export const DEFAULT_NU = 0.01;

export interface RateOptions extends Partial<RateParams> {
  /** `infinite` (default) or `vacuum-weak`. */
  readonly decoys?: Decoys;
  /** Signal intensity (mean photon number); optimized when omitted. */
  readonly mu?: number;
  /** Weak-decoy intensity for `vacuum-weak` (default {@link DEFAULT_NU}). */
  readonly nu?: number;
}

export interface RateResult {
  readonly protocol: Protocol;
  readonly decoys: Decoys;
  readonly distanceKm: number;
  /** Secret bits per pulse (per pulse pair for MDI), clipped at 0. */
  readonly ratePerPulse: number;
  /** The signal intensity used (the optimum when none was given). */
  readonly mu: number;
  /** The weak decoy, for `vacuum-weak`. */
  readonly nu?: number;
  /** Gain of the signal states: Q_mu (BB84) or Q_rect (MDI). */
  readonly gain: number;
  /** Their error rate: E_mu (BB84) or E_rect (MDI). */
  readonly qber: number;
  /** Single-photon (pair) yield used: Y1 or Y11 (a lower bound with finite decoys). */
  readonly singlePhotonYield: number;
  /** Single-photon (pair) phase error used: e1 or e11^X (an upper bound with finite decoys). */
  readonly singlePhotonError: number;
  readonly params: Readonly<RateParams>;
}

const E0 = 0.5;
const MU_MAX = 2;
const MU_MIN = 1e-3;

function resolveParams(protocol: Protocol, options: RateOptions): RateParams {
  const base = protocol === 'mdi' ? LCQ_PARAMS : GYS_PARAMS;
  const p: RateParams = {
    alphaDbPerKm: options.alphaDbPerKm ?? base.alphaDbPerKm,
    etaDetector: options.etaDetector ?? base.etaDetector,
    y0: options.y0 ?? base.y0,
    eDetector: options.eDetector ?? base.eDetector,
    fEc: options.fEc ?? base.fEc,
    sifting: options.sifting ?? base.sifting,
  };
  checkNumber('alphaDbPerKm', p.alphaDbPerKm, 0, 100);
  checkNumber('etaDetector', p.etaDetector, 0, 1, { minOpen: true });
  checkNumber('y0', p.y0, 0, 1, { maxOpen: true });
  checkNumber('eDetector', p.eDetector, 0, 0.5);
  checkNumber('fEc', p.fEc, 1, 10);
  checkNumber('sifting', p.sifting, 0, 1, { minOpen: true });
  return p;
}

function resolveDecoys(options: RateOptions): { decoys: Decoys; nu: number } {
  const decoys = options.decoys ?? 'infinite';
  if (!(DECOYS as readonly string[]).includes(decoys)) fail('decoys', `must be one of ${DECOYS.join(', ')}, got '${String(decoys)}'`);
  const nu = options.nu ?? DEFAULT_NU;
  checkNumber('nu', nu, 0, 1, { minOpen: true, maxOpen: true });
  return { decoys, nu };
}

// ---------------------------------------------------------------- BB84 ----

interface Terms {
  raw: number;
  gain: number;
  qber: number;
  y1: number;
  e1: number;
}

/** Decoy BB84 at one intensity: the raw (possibly negative) rate and its terms. */
function bb84Terms(eta: number, mu: number, decoys: Decoys, nu: number, p: RateParams): Terms {
  const detMu = -Math.expm1(-eta * mu);
  const gain = p.y0 + detMu;
  const qber = (E0 * p.y0 + p.eDetector * detMu) / gain;
  let y1: number;
  let e1: number;
  if (decoys === 'infinite') {
    y1 = p.y0 + eta;
    e1 = (E0 * p.y0 + p.eDetector * eta) / y1;
  } else {
    const detNu = -Math.expm1(-eta * nu);
    const gainNu = p.y0 + detNu;
    const errGainNu = E0 * p.y0 + p.eDetector * detNu;
    y1 = (mu / (mu * nu - nu * nu)) * (gainNu * Math.exp(nu) - (gain * Math.exp(mu) * nu * nu) / (mu * mu) - ((mu * mu - nu * nu) / (mu * mu)) * p.y0);
    e1 = y1 > 0 ? Math.min(E0, Math.max(0, (errGainNu * Math.exp(nu) - E0 * p.y0) / (y1 * nu))) : E0;
    y1 = Math.max(0, y1);
  }
  const q1 = y1 * mu * Math.exp(-mu);
  const raw = p.sifting * (-gain * p.fEc * h2(qber) + q1 * (1 - h2(e1)));
  return { raw, gain, qber, y1, e1 };
}

// ----------------------------------------------------------------- MDI ----

/** Ma & Razavi 2012 Eqs. (51)-(54): gain and error-gain in the rectilinear (key) basis. */
export function mdiRectGain(muA: number, muB: number, etaA: number, etaB: number, pd: number, ed: number): { gain: number; errorGain: number } {
  const a = etaA * muA;
  const b = etaB * muB;
  const x = Math.sqrt(a * b) / 2;
  const bulk = Math.exp(-(a + b) / 2);
  const live = 1 - pd;
  // 1 - (1 - pd) e^(-s) formed without cancellation.
  const hitA = -Math.expm1(-a / 2) + pd * Math.exp(-a / 2);
  const hitB = -Math.expm1(-b / 2) + pd * Math.exp(-b / 2);
  const correct = 2 * live * live * bulk * hitA * hitB;
  // I0(2x) - (1 - pd) e^(-(a+b)/2) = [I0(2x) - 1] + [1 - e^(-(a+b)/2)] + pd e^(-(a+b)/2)
  const wrong = 2 * pd * live * live * bulk * (besselI0m1(2 * x) - Math.expm1(-(a + b) / 2) + pd * bulk);
  return { gain: correct + wrong, errorGain: ed * correct + (1 - ed) * wrong };
}

/** Ma & Razavi 2012 Eqs. (35), (39): gain and error-gain in the diagonal (test) basis. */
export function mdiDiagGain(muA: number, muB: number, etaA: number, etaB: number, pd: number, ed: number): { gain: number; errorGain: number } {
  const a = etaA * muA;
  const b = etaB * muB;
  const x2 = (a * b) / 4; // x^2 with x = sqrt(a b) / 2
  const y = (1 - pd) * Math.exp(-(a + b) / 4);
  const gap = -Math.expm1(-(a + b) / 4) + pd * Math.exp(-(a + b) / 4); // 1 - y
  const i0x = besselI0m1Series(x2 / 4); // I0(x) - 1
  const i02x = besselI0m1Series(x2); // I0(2x) - 1
  // 1 + 2y^2 - 4y I0(x) + I0(2x) regrouped as 2(1-y)^2 + 4(1-y)(I0(x)-1) + [I0(2x) - 4 I0(x) + 3],
  // the last bracket summed term by term: sum_{k>=2} x^(2k) (1 - 4^(1-k)) / (k!)^2.
  let tail = 0;
  let term = 1;
  for (let k = 1; k < 500; k++) {
    term *= x2 / (k * k);
    if (k < 2) continue;
    const t = term * (1 - Math.pow(4, 1 - k));
    tail += t;
    if (t <= 1e-17 * tail) break;
  }
  const gain = 2 * y * y * (2 * gap * gap + 4 * gap * i0x + tail);
  const errorGain = E0 * gain - 2 * (E0 - ed) * y * y * i02x;
  return { gain, errorGain: Math.max(0, errorGain) };
}

/** Ma & Razavi 2012 Eqs. (21), (23): single-photon-pair yield and error (diagonal basis). */
export function mdiSinglePair(etaA: number, etaB: number, pd: number, ed: number): { y11: number; e11: number } {
  const core = (etaA * etaB) / 2;
  const one = (2 * etaA + 2 * etaB - 3 * etaA * etaB) * pd;
  const two = 4 * (1 - etaA) * (1 - etaB) * pd * pd;
  const total = core + one + two;
  return { y11: (1 - pd) * (1 - pd) * total, e11: total > 0 ? (ed * core + E0 * (one + two)) / total : E0 };
}

/**
 * Xu, Curty, Qi & Lo 2013: lower bound on Y11 from the gains at intensities
 * {mu, nu, 0} for both senders. `q(i, j)` is the gain with Alice at level i and
 * Bob at level j (0 = mu, 1 = nu, 2 = vacuum).
 */
function y11Lower(mu: number, nu: number, q: (i: number, j: number) => number): number {
  const m = (level: number, x: number) => q(level, level) * Math.exp(2 * x) + q(2, 2) - q(level, 2) * Math.exp(x) - q(2, level) * Math.exp(x);
  return (mu * mu * mu * m(1, nu) - nu * nu * nu * m(0, mu)) / (mu * mu * nu * nu * (mu - nu));
}

function mdiTerms(eta: number, mu: number, decoys: Decoys, nu: number, p: RateParams): Terms {
  const pd = p.y0;
  const ed = p.eDetector;
  const rect = mdiRectGain(mu, mu, eta, eta, pd, ed);
  const gain = rect.gain;
  const qber = gain > 0 ? rect.errorGain / gain : E0;
  let y1: number;
  let e1: number;
  if (decoys === 'infinite') {
    const s = mdiSinglePair(eta, eta, pd, ed);
    y1 = s.y11;
    e1 = s.e11;
  } else {
    const levels = [mu, nu, 0];
    const rectQ = (i: number, j: number) => mdiRectGain(levels[i]!, levels[j]!, eta, eta, pd, ed).gain;
    const diag = (i: number, j: number) => mdiDiagGain(levels[i]!, levels[j]!, eta, eta, pd, ed);
    const y11z = Math.max(0, y11Lower(mu, nu, rectQ));
    const y11x = y11Lower(mu, nu, (i, j) => diag(i, j).gain);
    const eg = (i: number, j: number) => diag(i, j).errorGain;
    const num = eg(1, 1) * Math.exp(2 * nu) + eg(2, 2) - eg(1, 2) * Math.exp(nu) - eg(2, 1) * Math.exp(nu);
    y1 = y11z;
    e1 = y11x > 0 ? Math.min(E0, Math.max(0, num / (nu * nu * y11x))) : E0;
  }
  const q11 = mu * mu * Math.exp(-2 * mu) * y1;
  const raw = p.sifting * (q11 * (1 - h2(e1)) - gain * p.fEc * h2(qber));
  return { raw, gain, qber, y1, e1 };
}

// ---------------------------------------------------------------- API ----

function armEfficiency(protocol: Protocol, distanceKm: number, p: RateParams): number {
  // MDI: the relay sits halfway, so each arm is L/2 long.
  const length = protocol === 'mdi' ? distanceKm / 2 : distanceKm;
  return p.etaDetector * transmittance(length, p.alphaDbPerKm);
}

function terms(protocol: Protocol, eta: number, mu: number, decoys: Decoys, nu: number, p: RateParams): Terms {
  return protocol === 'mdi' ? mdiTerms(eta, mu, decoys, nu, p) : bb84Terms(eta, mu, decoys, nu, p);
}

/** The search range for mu: above the weak decoy with vacuum+weak (the bounds need nu < mu). */
function muRange(decoys: Decoys, nu: number): [number, number] {
  return decoys === 'vacuum-weak' ? [nu + Math.max(1e-3, 0.01 * nu), MU_MAX] : [MU_MIN, MU_MAX];
}

/**
 * The key rate of `protocol` at `distanceKm` (Alice to Bob; for MDI the
 * relay is in the middle). Optimizes mu over (0, 2] when it is not given.
 */
export function keyRate(protocol: Protocol, distanceKm: number, options: RateOptions = {}): RateResult {
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) fail('protocol', `must be one of ${PROTOCOLS.join(', ')}, got '${String(protocol)}'`);
  checkNumber('distanceKm', distanceKm, 0, 1e5);
  const p = resolveParams(protocol, options);
  const { decoys, nu } = resolveDecoys(options);
  const eta = armEfficiency(protocol, distanceKm, p);
  let mu: number;
  if (options.mu !== undefined) {
    mu = checkNumber('mu', options.mu, 0, 100, { minOpen: true });
    if (decoys === 'vacuum-weak' && !(mu > nu)) fail('mu', `must exceed the weak decoy nu = ${nu} for vacuum+weak decoys, got ${mu}`);
  } else {
    const [lo, hi] = muRange(decoys, nu);
    mu = maximize((m) => terms(protocol, eta, m, decoys, nu, p).raw, lo, hi).x;
  }
  const t = terms(protocol, eta, mu, decoys, nu, p);
  return {
    protocol,
    decoys,
    distanceKm,
    ratePerPulse: Math.max(0, t.raw),
    mu,
    ...(decoys === 'vacuum-weak' ? { nu } : {}),
    gain: t.gain,
    qber: t.qber,
    singlePhotonYield: t.y1,
    singlePhotonError: t.e1,
    params: p,
  };
}

/** Decoy-state BB84 rate per pulse (GYS defaults). */
export function decoyBb84Rate(distanceKm: number, options: RateOptions = {}): RateResult {
  return keyRate('bb84-decoy', distanceKm, options);
}

/** MDI-QKD rate per pulse pair (Lo-Curty-Qi defaults). */
export function mdiRate(distanceKm: number, options: RateOptions = {}): RateResult {
  return keyRate('mdi', distanceKm, options);
}

/**
 * The distance (km, to `tolKm`) beyond which the rate is zero: for the given
 * mu, or with mu re-optimized at every distance when none is given. 0 when no
 * key is possible even at 0 km.
 */
export function maxDistance(protocol: Protocol, options: RateOptions = {}, tolKm = 1e-3): number {
  keyRate(protocol, 0, options); // validates everything once, with the field names
  const p = resolveParams(protocol, options);
  const { decoys, nu } = resolveDecoys(options);
  const positive = (d: number): boolean => {
    const eta = armEfficiency(protocol, d, p);
    if (options.mu !== undefined) return terms(protocol, eta, options.mu, decoys, nu, p).raw > 0;
    const [lo, hi] = muRange(decoys, nu);
    return maximize((m) => terms(protocol, eta, m, decoys, nu, p).raw, lo, hi).value > 0;
  };
  return lastPositive(positive, 50, 5000, tolKm);
}
