import { parseArgs } from 'node:util';
import { vjp } from '../../quantum/adjoint.js';
import { CircuitBuilder } from '../../quantum/circuit.js';
import { parameterShift } from '../../quantum/gradients.js';
import { bitstring, expval, probs, Z } from '../../quantum/measure.js';
import { simulate } from '../../quantum/statevector.js';
import { angleEmbedding, hardwareEfficient } from '../../quantum/templates.js';
import { Rng } from '../../util/random.js';

/**
 * A tour of the simulator: a GHZ state, then a 4-qubit variational classifier
 * trained by gradient descent on adjoint gradients (checked once against
 * parameter shift) to separate two noisy clusters of points.
 */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { seed: { type: 'string', default: '7' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('usage: qfl demo [--seed S]');
    return 0;
  }
  const rng = new Rng(Number(values.seed));

  const ghz = new CircuitBuilder(3).h(0).cnot(0, 1).cnot(1, 2).build();
  const p = probs(simulate({ circuit: ghz, inputs: new Float64Array(0), weights: new Float64Array(0), batch: 1 }));
  const nonzero = [...p].flatMap((v, i) => (v > 1e-12 ? [`|${bitstring(i, 3)}>: ${v.toFixed(3)}`] : []));
  console.log(`GHZ state on 3 qubits: ${nonzero.join(', ')}`);

  // Two clusters in [0, pi]^4, labels +1 / -1 read from <Z0>.
  const n = 4;
  const b = new CircuitBuilder(n);
  angleEmbedding(b, { features: n, rotation: 'Y' });
  hardwareEfficient(b, { layers: 2 });
  const circuit = b.build();
  const batch = 64;
  const inputs = new Float64Array(batch * n);
  const labels = new Float64Array(batch);
  for (let s = 0; s < batch; s++) {
    labels[s] = s % 2 === 0 ? 1 : -1;
    for (let f = 0; f < n; f++) inputs[s * n + f] = (labels[s]! > 0 ? 0.8 : 2.3) + 0.7 * rng.normal();
  }
  const weights = Float64Array.from({ length: circuit.nWeights }, () => 0.1 * rng.normal());
  const obs = [Z(0)];
  const args = { circuit, inputs, weights, batch };

  const lossGrad = () => {
    const z = expval(simulate(args), obs);
    let loss = 0;
    let correct = 0;
    const g = new Float64Array(batch);
    for (let s = 0; s < batch; s++) {
      loss += (z[s]! - labels[s]!) ** 2 / batch;
      g[s] = (2 * (z[s]! - labels[s]!)) / batch;
      if (Math.sign(z[s]!) === labels[s]) correct++;
    }
    return { loss, acc: correct / batch, g };
  };

  const first = lossGrad();
  const adj = vjp(args, obs, first.g).gradWeights;
  const ps = parameterShift(args, obs, first.g).gradWeights;
  const gap = Math.max(...adj.map((v, i) => Math.abs(v - ps[i]!)));
  console.log(`classifier: ${n} qubits, ${circuit.nWeights} weights; adjoint vs parameter-shift gradient max difference ${gap.toExponential(1)}`);

  const lr = 0.3;
  for (let step = 0; step <= 40; step++) {
    const { loss, acc, g } = lossGrad();
    if (step % 10 === 0) console.log(`step ${String(step).padStart(2)}  loss ${loss.toFixed(4)}  accuracy ${(100 * acc).toFixed(1)} %`);
    const grad = vjp(args, obs, g).gradWeights;
    for (let i = 0; i < weights.length; i++) weights[i] -= lr * grad[i]!;
  }
  console.log("Next: 'npx qfl simulate examples/qasm/bell.qasm', 'npm run bench', 'npm test'.");
  return 0;
}
