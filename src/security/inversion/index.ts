/**
 * Gradient inversion against quantum, hybrid and classical federated models:
 * the attack (DLG / iDLG / Inverting Gradients), the update rules and
 * defenses it is measured against, reconstruction metrics, a seeded
 * experiment grid, and the barren-plateau diagnostic. See `inversion.md`.
 */
export {
  invertGradients,
  multistepFactor,
  GRADIENT_METHODS,
  type GradientMethod,
  type InversionOptions,
  type InversionResult,
  type LabelStrategy,
} from './attack.js';
export {
  barrenPlateau,
  bpCircuit,
  bpObservable,
  BP_ANSATZE,
  BP_COSTS,
  type BarrenPlateauRow,
  type BarrenPlateauSpec,
  type BpAnsatz,
  type BpCost,
} from './barren.js';
export {
  addGaussianNoise,
  applyClientDefenses,
  checkDefense,
  clipUpdate,
  formatDefense,
  quantizeUpdate,
  secaggStep,
  type DefensePipeline,
  type DefenseStep,
} from './defenses.js';
export {
  imageShape,
  inversionExperiment,
  vqcGrid,
  type InversionAttackSettings,
  type InversionExperimentSpec,
  type InversionModelSpec,
  type InversionRow,
} from './experiment.js';
export { inferLabelIdlg, lastBias } from './labels.js';
export { DISTANCES, totalVariation, updateDistance, UpdateSimulator, type DummyGrad, type Distance } from './matching.js';
export { bestScale, matchRows, mse, psnr, scoreReconstruction, ssim, type ReconstructionScore, type SsimOptions } from './metrics.js';
export {
  checkUpdateRule,
  clientUpdate,
  formatUpdateRule,
  logSoftmaxRows,
  oneHot,
  softCrossEntropy,
  type UpdateRule,
} from './update.js';
