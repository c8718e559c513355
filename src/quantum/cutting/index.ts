/**
 * Circuit cutting (partition -> generate experiments -> reconstruct), the
 * executors that run sub-experiments on nodes, and sub-circuit tasks for
 * remote nodes. The review's attack on a cut circuit lives in
 * security/attacks/cut-perturbation.ts.
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
export { fragmentTasks, runSubCircuit, checkSubCircuitTask, type FragmentTask, type InsertionHook, type InsertionPoint, type SubCircuitExperiment, type SubCircuitTask } from './subcircuit.js';
export { cutModel, runCutModel, shiftRules, uncutOutputs, type CutModel, type CutOutputs, type FragmentRunner, type ShiftRule } from './distributed.js';
export { cutClassifierCircuit, exampleClassifierCut } from './example.js';
