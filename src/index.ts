/**
 * qfl: quantum federated learning. The public API; the `qfl` command is a thin
 * shell over these functions.
 */
export * from './quantum/circuit.js';
export { GATES, GATE_NAMES, MATRICES, type GateName } from './quantum/gates.js';
export { simulate, allocState, cloneState, companionState, releaseState, type StateBatch, type RunArgs } from './quantum/statevector.js';
export { kernelBackend, setKernelBackend, wasmKernelsAvailable, KERNEL_BACKENDS, type KernelBackend } from './quantum/wasm/runtime.js';
export * from './quantum/measure.js';
export { vjp, vjpFromState, type Gradients, type GradientMethod, type VjpResult } from './quantum/adjoint.js';
export { parameterShift, finiteDifferences } from './quantum/gradients.js';
export * from './quantum/templates.js';
export { Rng, deriveSeed, type RngState } from './util/random.js';
export { OsRng } from './util/os-random.js';
export { QflError } from './util/errors.js';
export * from './quantum/qasm.js';
export * from './quantum/entanglement.js';
export * from './data/dataset.js';
export * from './data/idx.js';
export * from './data/mnist.js';
export * from './data/preprocess.js';
export * from './data/partition.js';
export * from './data/quantum.js';
export type { Layer, LayerPass } from './models/layer.js';
export { Sequential } from './models/sequential.js';
export { QuantumLayer } from './models/quantum-layer.js';
export * from './models/quantum-zoo.js';
export * from './models/qfc.js';
export * from './models/classical-zoo.js';
export * from './models/loss.js';
export * from './models/optim.js';
export * from './models/train.js';
export { RdpAccountant, computeRdp, epsilonFromRdp, DEFAULT_ORDERS, INTEGER_ORDERS, type Conversion } from './security/dp/accountant.js';
export * from './security/dp/calculator.js';
export { applyOverrides, applyOverride, parseOverride, type Override } from './experiments/overrides.js';
export { estimateRun, dryRunText, type DryRunEstimate } from './experiments/dry-run.js';
export * from './experiments/tracking/index.js';
export { FedBuff, FEDBUFF_SPEED_STREAM, type FedBuffOptions, type FedBuffState } from './fl/strategies/fedbuff.js';
export { withRoundTimeout, roundTimeoutSeconds, type RoundTimeout } from './fl/round-timeout.js';
export { partitionOfIndex } from './transport/protocol.js';
export { k8sSecretsYaml, K8S_SECRET_NAMES } from './transport/k8s-secrets.js';
// What travels between clients and server: update messages, aggregation maths, the transform pipeline.
export * from './updates/messages.js';
export * from './updates/aggregate.js';
export * from './updates/pipeline.js';
// Secure aggregation (SecAgg+ over QKD keys): protocol, Shamir, graph, quantization.
export * as secagg from './security/secagg/index.js';
export { fitRound, type FitRoundOptions, type FitRoundResult } from './fl/round.js';
export { SecureAggregator, type SecureAggregationOptions, type SecureRoundStats, type SecureAggregatorState } from './fl/secure.js';
export { benchSecagg, type SecaggBenchLine } from './bench/secagg.js';
// Circuit cutting across nodes (issue 22): cut models, sub-circuit tasks, the perturbed-node attack and its detectors.
export { cutCircuit, type CutCircuits, type CutOptions, type CutOverhead, type SubExperiment } from './quantum/cutting/experiments.js';
export { runCut, runCutAsync, exactExecutor, shotExecutor, type Executor, type AsyncExecutor } from './quantum/cutting/execute.js';
export { fragmentTasks, runSubCircuit, checkSubCircuitTask, type FragmentTask, type SubCircuitTask, type SubCircuitExperiment, type InsertionHook, type InsertionPoint } from './quantum/cutting/subcircuit.js';
export { cutModel, runCutModel, planLabels, shiftRules, uncutOutputs, reconstructionStdErrors, type CutModel, type CutOutputs, type FragmentRunner, type ShiftRule } from './quantum/cutting/distributed.js';
export { cutClassifierCircuit, exampleClassifierCut } from './quantum/cutting/example.js';
export { perturbationHook, parsePerturbation, attackSchedule, type NodePerturbation } from './security/attacks/cut-node.js';
export { detectionStudy, perturbationStudy, replicaFlagRate, consistencyChecks, type DetectionRow, type PerturbationRow } from './security/attacks/cut-perturbation.js';
export { CutDeploySchema, runCutDeploy, trainCutClassifier, cutAccuracy, cutDeployData, type CutDeploy, type CutBackend, type CutRunner, type CutDeployResult } from './experiments/cut-deploy.js';
export { writeCutDeployReport } from './experiments/cut-deploy-report.js';
export { CutDispatcher, type CutDetectors, type CutFlag } from './transport/cut-dispatch.js';
export { fleetCutBackend } from './transport/cut-server.js';
export { FleetServer } from './transport/server.js';
export { runNode, type NodeOptions } from './transport/node.js';
export * from './transport/kme/index.js';
export { makeSaeCertificate, writeSaeCertificate, saeCertFiles } from './transport/certs.js';
export { deploymentDp, deploymentPipeline } from './transport/deployment-noise.js';
export { importNodeKey } from './transport/web-node-key.js';
export { NodeRoster, type ConnectedNode } from './ui/node-roster.js';
