import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../experiments/config.js';
import { InversionStudySchema, runInversionStudy } from '../../experiments/studies/inversion.js';
import { fail } from '../../util/errors.js';

const HELP = `usage: qfl study inversion CONFIG.yaml [--out DIR]

Studies that are not federated runs. 'inversion': gradient-inversion attacks
on quantum, hybrid and classical models vs qubits, layers, batch size, local
steps and defenses, with the barren-plateau diagnostic (examples/inversion.yaml).
Writes DIR/inversion.html (default runs/NAME).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [kind, file] = positionals;
  if (kind !== 'inversion') fail('study', `unknown study '${kind ?? ''}'; available: inversion`);
  if (!file || positionals.length !== 2) fail('CONFIG', 'give one config file: qfl study inversion CONFIG.yaml');
  const spec = readConfig(file, InversionStudySchema);
  const path = await runInversionStudy(spec, values.out ?? join('runs', spec.name), (s) => process.stderr.write(s + '\n'));
  console.log(`Report: ${path}`);
  return 0;
}
