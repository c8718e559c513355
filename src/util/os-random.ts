import { Rng, type RngState } from './random.js';

/**
 * Where secret noise comes from: the run's seed (`seeded`: simulations that
 * repeat; whoever knows the seed can recompute the noise) or the OS CSPRNG
 * (`os`: deployments). Config keys `noise_source` take these values.
 */
export const NOISE_SOURCES = ['seeded', 'os'] as const;
export type NoiseSource = (typeof NOISE_SOURCES)[number];

/**
 * The `Rng` interface (uniform, normal, gamma, ...) over the operating
 * system's cryptographic generator instead of a seed: for secrets a
 * deployment must not let anyone recompute, local DP noise first (a seeded
 * stream is derivable by whoever knows the seed, and in `qfl server` runs the
 * server sends it). Words come from `crypto.getRandomValues` (the Web Crypto
 * global: node:crypto's generator in Node, the browser's in a tab), fetched
 * in blocks so a long noise vector costs one system call per 1024 draws.
 *
 * It has no state to save: `getState` and `fork` refuse, because a checkpoint
 * or a derived seeded stream would reintroduce a known seed.
 *
 * @example localDpNoise(update, { clipNorm: 1, noiseMultiplier: 0.8 }, new OsRng());
 */
export class OsRng extends Rng {
  private readonly block = new Uint32Array(1024);
  private next = this.block.length;

  constructor() {
    super(0); // the seeded state is never used: every word below comes from the OS
  }

  override nextUint32(): number {
    if (this.next === this.block.length) {
      globalThis.crypto.getRandomValues(this.block);
      this.next = 0;
    }
    return this.block[this.next++]!;
  }

  override getState(): RngState {
    throw new Error('OsRng has no state to save: it draws from the operating system');
  }

  override setState(_state: RngState): void {
    throw new Error('OsRng cannot be seeded: it draws from the operating system');
  }

  override fork(): Rng {
    throw new Error('OsRng cannot fork a seeded stream: draw from it directly');
  }
}
