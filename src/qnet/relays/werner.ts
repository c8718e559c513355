/**
 * Werner states: the one-number description of a noisy entangled pair that
 * the relay models use (R. F. Werner, "Quantum states with Einstein-Podolsky-
 * Rosen correlations admitting a hidden-variable model", PRA 40, 4277 (1989)).
 *
 *     rho_w = w |Phi+><Phi+| + (1 - w) I/4,      -1/3 <= w <= 1
 *     F = <Phi+| rho_w |Phi+> = (1 + 3 w) / 4,   w = (4 F - 1) / 3
 *
 * w is the two-photon visibility; the error rate in every basis is
 * e = (1 - w) / 2. Any pair can be brought to this form with the same
 * fidelity by random bilateral rotations (the twirl of Bennett, DiVincenzo,
 * Smolin & Wootters, PRA 54, 3824 (1996)), which is how the noise models
 * below are mapped onto w.
 *
 * Entanglement swapping (a Bell measurement on one half of each of two
 * pairs) of two Werner states gives a Werner state with
 *
 *     w = w1 w2,   i.e.   F = F1 F2 + (1 - F1)(1 - F2) / 3 = (1 + 3 w1 w2) / 4,
 *
 * the connection formula of Briegel, Duer, Cirac & Zoller, PRL 81, 5932
 * (1998) and Duer, Briegel, Cirac & Zoller, PRA 59, 169 (1999), for perfect
 * operations. An imperfect Bell measurement is modelled as a further
 * depolarizing factor `bsmWerner` (1 = perfect).
 *
 * Memory decoherence of one stored qubit for a time t: amplitude damping
 * (T1) and dephasing (T2 <= 2 T1) acting on one half of |Phi+> give
 * F = (1 + e^(-t/T1) + 2 e^(-t/T2)) / 4; after the twirl this multiplies any
 * Werner parameter by
 *
 *     lambda(t) = (e^(-t/T1) + 2 e^(-t/T2)) / 3,
 *
 * which is e^(-t/T) for a depolarizing memory (T1 = T2 = T, the default when
 * T1 is not given) and (1 + 2 e^(-t/T2)) / 3 for pure dephasing (T1 -> inf).
 * The derivation is in `relays.md`.
 *
 * Teleportation of a qubit over a Werner resource is a depolarizing channel
 * with parameter w, so every input state, and the average, comes out with
 *
 *     F_tel = (1 + w) / 2 = (2 F + 1) / 3
 *
 * (Horodecki, Horodecki & Horodecki, PRA 60, 1888 (1999)), above the
 * classical (measure-and-prepare) limit 2/3 of Massar & Popescu, PRL 74,
 * 1259 (1995) exactly when w > 1/3 (Popescu, PRL 72, 797 (1994)).
 *
 * @example fidelityFromWerner(swapWerner(0.9, 0.9)) // (1 + 3 * 0.81) / 4 = 0.8575
 * @example teleportationFidelity(decohere(0.95, 1e-3, { t2Seconds: 0.01 }))
 */
import { fail } from '../../util/errors.js';
import { checkNumber } from '../math.js';

/** The smallest Werner parameter that is a state (the singlet-like end, F = 0). */
export const WERNER_MIN = -1 / 3;
/** Best average fidelity of a qubit sent by measure-and-prepare, no entanglement (Massar & Popescu 1995). */
export const CLASSICAL_TELEPORTATION_FIDELITY = 2 / 3;

/** Coherence times of a quantum memory. */
export interface Memory {
  /** Dephasing time T2, seconds. */
  readonly t2Seconds: number;
  /** Energy relaxation time T1, seconds (>= T2 / 2; Infinity for pure dephasing); default T2 (a depolarizing memory). */
  readonly t1Seconds?: number;
}

/** A Werner parameter in [-1/3, 1], or a QflError naming `field`. */
export function checkWerner(field: string, w: number): number {
  return checkNumber(field, w, WERNER_MIN, 1);
}

/** F = (1 + 3 w) / 4. */
export function fidelityFromWerner(w: number): number {
  return (1 + 3 * checkWerner('w', w)) / 4;
}

/** w = (4 F - 1) / 3. */
export function wernerFromFidelity(fidelity: number): number {
  return (4 * checkNumber('fidelity', fidelity, 0, 1) - 1) / 3;
}

/** Error rate of a Werner pair measured in any basis: e = (1 - w) / 2. */
export function qberFromWerner(w: number): number {
  return (1 - checkWerner('w', w)) / 2;
}

/** w = 1 - 2 e. */
export function wernerFromQber(qber: number): number {
  return 1 - 2 * checkNumber('qber', qber, 0, 2 / 3);
}

/** Werner parameter after swapping pairs w1 and w2: w1 w2 bsmWerner (DBCZ 1999). */
export function swapWerner(w1: number, w2: number, bsmWerner = 1): number {
  checkWerner('w1', w1);
  checkWerner('w2', w2);
  checkNumber('bsmWerner', bsmWerner, 0, 1);
  return w1 * w2 * bsmWerner;
}

/** Fidelity after swapping, in the DBCZ form F1 F2 + (1 - F1)(1 - F2) / 3 (perfect operations). */
export function swapFidelity(f1: number, f2: number): number {
  checkNumber('f1', f1, 0, 1);
  checkNumber('f2', f2, 0, 1);
  return f1 * f2 + ((1 - f1) * (1 - f2)) / 3;
}

/** Werner parameter of a chain of pairs joined by n - 1 swaps: prod w_i * bsmWerner^(n-1). */
export function chainWerner(ws: readonly number[], bsmWerner = 1): number {
  if (ws.length === 0) fail('ws', 'a chain needs at least one link');
  checkNumber('bsmWerner', bsmWerner, 0, 1);
  let w = 1;
  ws.forEach((x, k) => {
    w *= checkWerner(`ws[${k}]`, x);
  });
  return w * Math.pow(bsmWerner, ws.length - 1);
}

/**
 * Factor lambda(t) = (e^(-t/T1) + 2 e^(-t/T2)) / 3 by which storing one qubit
 * for `seconds` multiplies the Werner parameter (T1 defaults to T2, giving
 * e^(-t/T2)). Refuses T2 > 2 T1, which no physical qubit has.
 */
export function memoryFactor(seconds: number, memory: Memory): number {
  const t = checkNumber('seconds', seconds, 0, Number.MAX_VALUE);
  const t2 = checkNumber('memory.t2Seconds', memory.t2Seconds, 0, Number.MAX_VALUE, { minOpen: true });
  const t1Given = memory.t1Seconds;
  const t1 = t1Given === undefined ? t2 : t1Given === Infinity ? Infinity : checkNumber('memory.t1Seconds', t1Given, 0, Number.MAX_VALUE, { minOpen: true });
  if (t2 > 2 * t1) fail('memory.t2Seconds', `must be at most 2 T1 = ${2 * t1} s, got ${t2} s`);
  return (Math.exp(-t / t1) + 2 * Math.exp(-t / t2)) / 3;
}

/** w after storing one qubit of the pair for `seconds`: w lambda(t). */
export function decohere(w: number, seconds: number, memory: Memory): number {
  return checkWerner('w', w) * memoryFactor(seconds, memory);
}

/** Average (and every-state) fidelity of teleporting a qubit over a Werner resource: (1 + w) / 2. */
export function teleportationFidelity(w: number): number {
  return (1 + checkWerner('w', w)) / 2;
}

/** The same from the resource's fidelity: (2 F + 1) / 3 (Horodecki et al. 1999). */
export function teleportationFidelityFromFidelity(fidelity: number): number {
  return (2 * checkNumber('fidelity', fidelity, 0, 1) + 1) / 3;
}
