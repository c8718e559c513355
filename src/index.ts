/**
 * qfl: quantum federated learning. The public API; the `qfl` command is a thin
 * shell over these functions.
 */
export * from './quantum/circuit.js';
export { GATES, GATE_NAMES, MATRICES, type GateName } from './quantum/gates.js';
export { simulate, allocState, cloneState, type StateBatch, type RunArgs } from './quantum/statevector.js';
export * from './quantum/measure.js';
export { vjp, type Gradients, type GradientMethod, type VjpResult } from './quantum/adjoint.js';
export { parameterShift, finiteDifferences } from './quantum/gradients.js';
export * from './quantum/templates.js';
export { Rng, deriveSeed, type RngState } from './util/random.js';
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
