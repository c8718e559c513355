/**
 * Quantum differential privacy: epsilon of depolarizing noise (Zhou & Ying
 * 2017) and of random-rotation encodings, the certified robustness radius it
 * implies (Du et al. 2021), and small density-matrix helpers to check them.
 */
export {
  depolarizingConditionNumber,
  depolarizingDelta,
  depolarizingEpsilon,
  depolarizingNoiseFor,
  epsilonFromConditionNumber,
} from './dp.js';
export {
  certifyDepolarizing,
  certifyWithConditionNumber,
  marginRadius,
  radiusFromConditionNumber,
  type Certificate,
} from './robustness.js';
export {
  meanCos,
  randomRotationOps,
  rotationConditionNumber,
  rotationDepolarizing,
  rotationEpsilon,
  sampleAngle,
  type AngleDistribution,
} from './rotation.js';
export {
  depolarize,
  depolarizeLocal,
  empiricalConditionNumber,
  hermitianEigenvalues,
  pure,
  traceDistance,
  type Dense,
} from './density.js';
