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
