import { transformDef, type PipelineSpec, type TransformSpec } from '../fl/pipeline.js';
import { fail } from '../util/errors.js';

/**
 * Secret noise in a deployment comes from the OS CSPRNG, never from a seed
 * another party knows. Two places draw it today: the nodes' update pipeline
 * (`deploymentPipeline`) and the server's central DP (`deploymentDp`).
 */

/**
 * The update pipeline as a deployed node runs it: every transform that draws
 * secret noise (one with a `noise_source` parameter, e.g. `local_dp`) draws
 * it from the operating system's cryptographic generator.
 *
 * Why: in a simulation the noise comes from the round's seed so runs repeat.
 * Under `qfl server` the server picks that seed and sends it with every fit
 * instruction, so it could recompute a client's local DP noise and subtract
 * it (to about 1e-16), and the privacy is gone. A pipeline that insists on
 * `noise_source: seeded` is refused, by `qfl server` at start and by every
 * node (which trusts no server), with the field named. Anything else passes
 * unchanged; the pipeline's own validation (createPipeline) still runs after.
 *
 * @example deploymentPipeline([{ type: 'local_dp', clip_norm: 1, noise_multiplier: 1 }])
 *   // -> [{ type: 'local_dp', clip_norm: 1, noise_multiplier: 1, noise_source: 'os' }]
 */
export function deploymentPipeline(spec: PipelineSpec, path = 'pipeline'): PipelineSpec {
  if (!Array.isArray(spec)) return spec; // createPipeline names the problem
  return spec.map((step: TransformSpec, i) => {
    if (typeof step !== 'object' || step === null || !transformDef(String(step.type))?.paramNames.includes('noise_source')) return step;
    const source = step['noise_source'];
    if (source === 'seeded') {
      fail(
        `${path}[${i}].noise_source`,
        'seeded noise is for simulations (qfl run): in a deployment the server chooses the seed and could subtract the noise; remove noise_source (nodes then draw it from the OS CSPRNG) or set it to os',
      );
    }
    // A value other than os stays, so createPipeline refuses it with the allowed values.
    return source === undefined ? { ...step, noise_source: 'os' } : step;
  });
}

const SEEDED_DP = 'seeded noise is for simulations (qfl run): every node of a deployment receives the run seed and could subtract the server\'s noise from the model; remove noise_source (qfl server then draws it from the OS CSPRNG) or set it to os';

/**
 * The central DP block as `qfl server` runs it: noise from the server's OS
 * CSPRNG (`noise_source: os`, which the run directory's config.yaml then
 * records), because the run seed (which the seeded noise derives from) goes
 * to every node with the app config. `noise_source: seeded` is refused.
 *
 * @example deploymentDp({ noise_multiplier: 1, clip: { kind: 'fixed', norm: 1 } }) // -> { ..., noise_source: 'os' }
 */
export function deploymentDp<T extends { readonly [key: string]: unknown; readonly noise_source?: unknown }>(dp: T, path = 'dp'): T {
  if (dp.noise_source === 'seeded') fail(`${path}.noise_source`, SEEDED_DP);
  // A value other than os stays, so the DP schema refuses it with the allowed values.
  return dp.noise_source === undefined ? { ...dp, noise_source: 'os' } : dp;
}
