import type { Dataset } from '../../data/dataset.js';
import type { Sequential } from '../../models/sequential.js';
import type { Rng } from '../../util/random.js';
import { checkFits } from './craft.js';
import { countCorrect, DEFAULT_EPSILONS, sweepBatches, type SweepOptions } from './robustness.js';

/**
 * Transfer (black-box) attack: the attacker cannot differentiate the target
 * (a quantum model on hardware, say) but owns a surrogate trained for the
 * same task (the classical MLP, for example). Examples are crafted by
 * FGSM/PGD on the surrogate and the target is only queried for its
 * predictions (Papernot et al. 2016, arXiv:1605.07277). Both models must take
 * the data set's rows; a state-space spec needs a surrogate fed states.
 */

export interface TransferPoint {
  readonly eps: number;
  /** Accuracy of the surrogate on its own (white-box) examples. */
  readonly surrogateAccuracy: number;
  /** Accuracy of the target on the surrogate's examples. */
  readonly targetAccuracy: number;
}

/**
 * For each eps, craft on `surrogate` (in batches) and evaluate both models on
 * the same examples; eps 0 gives both clean accuracies.
 *
 * @example
 * const surrogate = mlp(16, [32], 10); // trained on the same data
 * transferAttack(surrogate, saginClassifier({ layers: 2, classes: 10 }), test, { attack: 'pgd', range: [0, 1] }, new Rng(5));
 */
export function transferAttack(
  surrogate: Sequential,
  target: Sequential,
  data: Dataset,
  o: SweepOptions,
  rng: Rng,
): TransferPoint[] {
  checkFits(target, data, 'target');
  const epsilons = o.epsilons ?? DEFAULT_EPSILONS;
  const own = new Float64Array(epsilons.length);
  const moved = new Float64Array(epsilons.length);
  sweepBatches(surrogate, data, o, rng, (i, x, y, b) => {
    own[i] += countCorrect(surrogate.forward(x, b), y, b);
    moved[i] += countCorrect(target.forward(x, b), y, b);
  });
  return epsilons.map((eps, i) => ({ eps, surrogateAccuracy: own[i]! / data.n, targetAccuracy: moved[i]! / data.n }));
}
