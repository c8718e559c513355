import { vjp, vjpFromState } from '../quantum/adjoint.js';
import type { Circuit } from '../quantum/circuit.js';
import { expval, expvalShots, type PauliWord } from '../quantum/measure.js';
import { releaseState, simulate } from '../quantum/statevector.js';
import { simulateDensity } from '../quantum/density.js';
import { expvalDensity } from '../quantum/density-measure.js';
import { densityVjp } from '../quantum/density-gradients.js';
import type { NoiseModel } from '../quantum/noise.js';
import { fail } from '../util/errors.js';
import type { Rng } from '../util/random.js';
import type { Layer, LayerPass } from './layer.js';

export interface QuantumLayerOptions {
  readonly circuit: Circuit;
  /** Readout: one output per Pauli word. */
  readonly observables: readonly PauliWord[];
  /** Initial weights ~ U(-initRange, initRange); default pi. */
  readonly initRange?: number;
  /**
   * Estimate outputs from this many shots (seeded) instead of exactly; the
   * backward pass stays the exact adjoint gradient (as with a simulator that
   * reports exact gradients for a shot-based forward).
   */
  readonly shots?: { readonly count: number; readonly rng: Rng };
  /**
   * Run the circuit noisy: density matrices with these channels after the
   * gates (and readout errors), gradients by the density-matrix adjoint.
   */
  readonly noise?: NoiseModel;
  /**
   * A global depolarizing channel of this strength on the input state,
   * rho -> (1 - p) rho + p I / d (the channel of quantum-DP certificates).
   * The circuit after it is unitary (or unital), so every traceless Pauli
   * readout is scaled by (1 - p): computed exactly, without density matrices.
   */
  readonly inputDepolarizing?: number;
}

/**
 * A variational circuit as a layer: input features in (as the circuit's input
 * row), Pauli expectation values out. The backward pass is the simulator's
 * adjoint VJP, for both the weights and the inputs.
 */
export class QuantumLayer implements Layer {
  readonly kind = 'quantum';
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly paramCount: number;

  constructor(readonly options: QuantumLayerOptions) {
    const { circuit, observables } = options;
    if (observables.length === 0) fail('observables', 'a quantum layer needs at least one observable');
    const p = options.inputDepolarizing ?? 0;
    if (!(p >= 0 && p < 1)) fail('inputDepolarizing', `must be in [0, 1), got ${p}`);
    if (p > 0 && observables.some((w) => w.terms.length === 0)) fail('inputDepolarizing', 'needs traceless readouts (no identity word)');
    this.inShape = [circuit.nInputs];
    this.outShape = [observables.length];
    this.paramCount = circuit.nWeights;
  }

  init(params: Float64Array, rng: Rng): void {
    const r = this.options.initRange ?? Math.PI;
    for (let i = 0; i < params.length; i++) params[i] = (2 * rng.uniform() - 1) * r;
  }

  forward(x: Float64Array, batch: number, params: Float64Array): LayerPass {
    const keep = 1 - (this.options.inputDepolarizing ?? 0);
    const pass = this.forwardCircuit(x, batch, params);
    if (keep === 1) return pass;
    return {
      y: pass.y.map((v) => v * keep),
      backward: (dy, dParams) => pass.backward(dy.map((v) => v * keep), dParams),
    };
  }

  private forwardCircuit(x: Float64Array, batch: number, params: Float64Array): LayerPass {
    const { circuit, observables, shots, noise } = this.options;
    const args = { circuit, inputs: x, weights: params, batch };
    if (noise) {
      const y = expvalDensity(simulateDensity(args, { noise }), observables, noise);
      return {
        y,
        backward(dy: Float64Array, dParams: Float64Array): Float64Array {
          const g = densityVjp(args, observables, dy, noise);
          for (let i = 0; i < dParams.length; i++) dParams[i] += g.gradWeights[i]!;
          return g.gradInputs;
        },
      };
    }
    const state = simulate(args);
    const y = shots ? expvalShots(state, observables, shots.count, shots.rng) : expval(state, observables);
    // The backward pass starts from this forward's final states and un-computes
    // them (no second forward); a second backward call simulates afresh.
    let kept = true;
    return {
      y,
      backward(dy: Float64Array, dParams: Float64Array): Float64Array {
        let g;
        if (kept) {
          kept = false;
          g = vjpFromState(args, observables, dy, state);
          releaseState(state);
        } else g = vjp(args, observables, dy);
        for (let i = 0; i < dParams.length; i++) dParams[i] += g.gradWeights[i]!;
        return g.gradInputs;
      },
    };
  }
}
