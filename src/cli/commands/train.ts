import { parseArgs } from 'node:util';
import { buildModel, buildOptimizer, loadData } from '../../experiments/build.js';
import { readConfig } from '../../experiments/config.js';
import { TrainConfigSchema } from '../../experiments/schema.js';
import { evaluate, train } from '../../models/train.js';
import { fail } from '../../util/errors.js';
import { Rng } from '../../util/random.js';

const HELP = `usage: qfl train CONFIG.yaml [--epochs N] [--json]

Central (one-machine) training of a model of the zoo on a data set, as a
config describes (see examples/*.yaml). Prints one line per epoch and a last
line with the test accuracy and the time it took; --json prints that result
as JSON instead.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { epochs: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) fail('CONFIG', 'give exactly one config file: qfl train CONFIG.yaml');
  const config = readConfig(positionals[0]!, TrainConfigSchema);
  const epochs = values.epochs !== undefined ? Number(values.epochs) : config.train.epochs;
  if (!Number.isInteger(epochs) || epochs < 0) fail('--epochs', `must be a non-negative integer, got ${values.epochs}`);

  const t0 = performance.now();
  const { train: trainSet, test } = loadData(config.data, config.seed);
  const rng = new Rng(config.seed);
  const model = buildModel(config.model, trainSet);
  model.init(rng);
  const log = (s: string) => (values.json ? process.stderr.write(s + '\n') : console.log(s));
  log(`${config.name ?? positionals[0]}: ${config.model.kind} model, ${model.paramCount} parameters; ${trainSet.n} training and ${test.n} test samples`);
  const t1 = performance.now();
  train(model, trainSet, {
    epochs,
    batchSize: config.train.batch_size,
    optimizer: buildOptimizer(config.train),
    rng,
    test,
    onEpoch: (m) =>
      log(
        `epoch ${m.epoch}/${epochs}  loss ${m.loss.toFixed(4)}  train acc ${pct(m.accuracy)}  test loss ${m.testLoss!.toFixed(4)}  test acc ${pct(m.testAccuracy!)}  (${m.seconds.toFixed(1)} s)`,
      ),
  });
  const trainSeconds = (performance.now() - t1) / 1000;
  const final = evaluate(model, test);
  const result = {
    config: positionals[0],
    model: config.model.kind,
    parameters: model.paramCount,
    epochs,
    testAccuracy: final.accuracy,
    testLoss: final.loss,
    trainSeconds,
    totalSeconds: (performance.now() - t0) / 1000,
  };
  if (values.json) console.log(JSON.stringify(result));
  else console.log(`test accuracy ${pct(final.accuracy)} after ${epochs} epochs (training ${trainSeconds.toFixed(1)} s, total ${result.totalSeconds.toFixed(1)} s)`);
  return 0;
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
