import { features, randomSplit, take, type Dataset } from '../data/dataset.js';
import { entanglementDataset, magicDataset } from '../data/quantum.js';
import { loadMnist } from '../data/mnist.js';
import { ntangledDataset } from '../data/ntangled.js';
import { avgPool, downsample, fitMinMax, fitPca, selectClasses, standardize } from '../data/preprocess.js';
import { lenet5, mlp } from '../models/classical-zoo.js';
import { createOptimizer, type Optimizer } from '../models/optim.js';
import { qfcClassifier } from '../models/qfc.js';
import { hybridClassifier, quantumStateClassifier, saginClassifier, vqcClassifier } from '../models/quantum-zoo.js';
import type { Sequential } from '../models/sequential.js';
import { fail } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { DataSpec, ModelSpec, NoiseConfig, TrainSpec } from './schema.js';
import { amplitudeDamping, depolarizing, phaseDamping } from '../quantum/channels.js';
import { bitReadout, NoiseModel } from '../quantum/noise.js';

/** Turns config sections into data sets, models and optimizers. */

export interface Splits {
  readonly train: Dataset;
  readonly test: Dataset;
  /** The range valid inputs lie in (attacks clip to it); undefined when unbounded (PCA). */
  readonly range?: readonly [number, number];
}

/**
 * Loads and preprocesses the data: class subset, downsampling, PCA and scaling
 * fitted on train only. Quantum data sets are generated from `seed` and split
 * 80 / 20 into train and test.
 */
export function loadData(spec: DataSpec, seed: number): Splits {
  if (spec.name !== 'mnist') {
    const opts = { nQubits: spec.qubits, samples: spec.samples, seed };
    const { dataset } =
      spec.name === 'magic'
        ? magicDataset(opts)
        : spec.generator === 'ntangled'
          ? ntangledDataset({ ...opts, ...(spec.ce_targets && { targets: spec.ce_targets }) })
          : entanglementDataset(opts);
    const { a, b } = randomSplit(dataset, 0.8, new Rng(seed + 1));
    return { train: a, test: b };  // prepared states: attacks act on the state, not a range
  }
  const dir = spec.dir === undefined ? {} : { dir: spec.dir };
  let train = loadMnist({ split: 'train', ...dir });
  let test = loadMnist({ split: 'test', ...dir });
  if (spec.classes) {
    train = selectClasses(train, spec.classes);
    test = selectClasses(test, spec.classes);
  }
  if (spec.train_limit !== undefined) train = take(train, Math.min(spec.train_limit, train.n));
  if (spec.test_limit !== undefined) test = take(test, Math.min(spec.test_limit, test.n));
  if (spec.downsample) {
    const [h, w] = spec.downsample;
    train = downsample(train, h, w);
    test = downsample(test, h, w);
  }
  if (spec.pool !== undefined) {
    train = avgPool(train, spec.pool);
    test = avgPool(test, spec.pool);
  }
  if (spec.normalize) {
    train = standardize(train, ...spec.normalize);
    test = standardize(test, ...spec.normalize);
  }
  if (spec.pca !== undefined) {
    const pca = fitPca(train, spec.pca);
    train = pca.apply(train);
    test = pca.apply(test);
  }
  if (spec.scale === 'angle') {
    const mm = fitMinMax(train, { low: 0, high: Math.PI });
    train = mm.apply(train);
    test = mm.apply(test);
  }
  // Pixels (averaged or not) lie in [0, 1]; min-max scaling maps them to [0, pi]; PCA scores are unbounded.
  const pixels: readonly [number, number] = spec.normalize ? [-spec.normalize[0] / spec.normalize[1], (1 - spec.normalize[0]) / spec.normalize[1]] : [0, 1];
  const range: readonly [number, number] | undefined = spec.scale === 'angle' ? [0, Math.PI] : spec.pca === undefined ? pixels : undefined;
  return range ? { train, test, range } : { train, test };
}

/** Builds the model a config names for data of this shape and class count. */
export function buildModel(spec: ModelSpec, data: Dataset): Sequential {
  const f = features(data);
  const classes = data.classes;
  switch (spec.kind) {
    case 'vqc':
      if (spec.embedding === 'amplitude' && f > 2 ** spec.qubits) {
        fail('model.qubits', `amplitude embedding of ${f} features needs at least ${Math.ceil(Math.log2(f))} qubits`);
      }
      if (spec.embedding === 'angle' && f > spec.qubits) {
        fail('model.qubits', `angle embedding of ${f} features needs ${f} qubits (or reduce data.pca / data.downsample)`);
      }
      return vqcClassifier({
        nQubits: spec.qubits,
        layers: spec.layers,
        classes,
        embedding: spec.embedding,
        features: f,
        readout: spec.readout,
        ...(spec.noise && noiseModel(spec.noise) ? { noise: noiseModel(spec.noise)! } : {}),
        ...(spec.noise?.input_depolarizing ? { inputDepolarizing: spec.noise.input_depolarizing } : {}),
      });
    case 'hybrid':
      return hybridClassifier({
        inputSize: f,
        nQubits: spec.qubits,
        layers: spec.layers,
        classes,
        ...(spec.hidden !== undefined ? { hidden: spec.hidden } : {}),
      });
    case 'sagin':
      if (f !== 16) fail('data.downsample', `the space-air-ground model reads 16 features (downsample to [4, 4]), got ${f}`);
      return saginClassifier({ layers: spec.layers, classes });
    case 'sagin_qfc':
      if (f !== 16) fail('data.pool', `QFCModel reads 16 features (pool: 6 or downsample: [4, 4]), got ${f}`);
      return qfcClassifier({ classes, randomOps: spec.random_ops, randomSeed: spec.random_seed });
    case 'qstate': {
      const n = Math.log2(f / 2);
      if (!Number.isInteger(n)) fail('model.kind', `'qstate' needs prepared-state data (2 * 2^n values per sample), got ${f}`);
      return quantumStateClassifier({ nQubits: n, layers: spec.layers, classes, readout: spec.readout, head: spec.head, ...(spec.noise && noiseModel(spec.noise) ? { noise: noiseModel(spec.noise)! } : {}) });
    }
    case 'mlp':
      return mlp(f, spec.hidden, classes);
    case 'lenet5':
      if (f !== 784) fail('data.downsample', `LeNet-5 reads 28x28 images; remove data.downsample and data.pca (got ${f} features)`);
      return lenet5(classes);
  }
}

/** The noise model a config's `model.noise` describes. */
export function noiseModel(n: NoiseConfig): NoiseModel | undefined {
  if (!n.depolarizing && !n.amplitude_damping && !n.phase_damping && !n.readout) return undefined;
  const m = new NoiseModel();
  if (n.depolarizing) m.addAllQubitQuantumError(depolarizing(n.depolarizing), 'all');
  if (n.amplitude_damping) m.addAllQubitQuantumError(amplitudeDamping(n.amplitude_damping), 'all');
  if (n.phase_damping) m.addAllQubitQuantumError(phaseDamping(n.phase_damping), 'all');
  if (n.readout) m.addAllQubitReadoutError(bitReadout(n.readout));
  return m;
}

export function buildOptimizer(spec: TrainSpec): Optimizer {
  return spec.optimizer === 'adam'
    ? createOptimizer({ kind: 'adam', lr: spec.lr })
    : createOptimizer({ kind: 'sgd', lr: spec.lr, momentum: spec.momentum });
}
