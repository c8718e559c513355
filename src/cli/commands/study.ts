import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../experiments/config.js';
import { CuttingStudySchema, runCuttingStudy } from '../../experiments/studies/cutting.js';
import { InversionStudySchema, runInversionStudy } from '../../experiments/studies/inversion.js';
import { QdpStudySchema, runQdpStudy } from '../../experiments/studies/qdp.js';
import { fail } from '../../util/errors.js';

const HELP = `usage: qfl study inversion|cutting|qdp CONFIG.yaml [--out DIR]

Studies that are not federated runs. 'inversion': gradient-inversion attacks
on quantum, hybrid and classical models vs qubits, layers, batch size, local
steps and defenses, with the barren-plateau diagnostic (examples/inversion.yaml).
'cutting': a classifier split between two nodes by circuit cutting, one node
perturbing its prepared states; output shift, accuracy and detection vs eps
(examples/cutting.yaml). 'qdp': quantum DP and certified robustness of
depolarizing noise vs empirical attacks, each noise level trained in a
federation (examples/qdp.yaml). Writes DIR/<study>.html (default runs/NAME).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [kind, file] = positionals;
  if (kind !== 'inversion' && kind !== 'cutting' && kind !== 'qdp') fail('study', `unknown study '${kind ?? ''}'; available: inversion, cutting, qdp`);
  if (!file || positionals.length !== 2) fail('CONFIG', `give one config file: qfl study ${kind} CONFIG.yaml`);
  const log = (s: string) => process.stderr.write(s + '\n');
  let path: string;
  if (kind === 'inversion') {
    const spec = readConfig(file, InversionStudySchema);
    path = await runInversionStudy(spec, values.out ?? join('runs', spec.name), log);
  } else if (kind === 'cutting') {
    const spec = readConfig(file, CuttingStudySchema);
    path = await runCuttingStudy(spec, values.out ?? join('runs', spec.name), log);
  } else {
    const spec = readConfig(file, QdpStudySchema);
    path = await runQdpStudy(spec, values.out ?? join('runs', spec.name), log);
  }
  console.log(`Report: ${path}`);
  return 0;
}
