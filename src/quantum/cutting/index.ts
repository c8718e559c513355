/**
 * Circuit cutting (partition -> generate experiments -> reconstruct), the
 * executors that run sub-experiments on nodes, and the review's attack on a
 * cut circuit (arXiv:2508.11848, mechanism 1) with its detection checks.
 */
export {
  CUTTABLE_GATES,
  WIRE_CUT_GAMMA,
  WIRE_CUT_TERMS,
  gateCutGamma,
  gateCutTerms,
  lowerCutGate,
  type Basis,
  type CuttableGate,
  type GateLowering,
  type GateSideAction,
  type GateTerm,
  type PrepState,
  type WireTerm,
} from './decompositions.js';
export { bindParams, partition, type Cut, type Fragment, type Partition, type PartitionOptions, type Segment, type WireCut } from './partition.js';
export { cutCircuit, generateExperiments, type CutCircuits, type CutOptions, type CutOverhead, type CutSetting, type SubExperiment } from './experiments.js';
export {
  exactExecutor,
  executeCut,
  executeCutAsync,
  runCut,
  runCutAsync,
  sampleQuasiProbability,
  shotExecutor,
  uncutExpval,
  type AsyncExecutor,
  type Executor,
  type QuasiProbabilityEstimate,
} from './execute.js';
export {
  consistencyChecks,
  consistencyResiduals,
  detectionStudy,
  perturbExperiment,
  perturbationStudy,
  perturbedUncut,
  tamperedExecutor,
  type ConsistencyCheck,
  type DetectionOptions,
  type DetectionRow,
  type Perturbation,
  type PerturbationMode,
  type PerturbationRow,
  type PerturbationStudyOptions,
} from './attack.js';
