import { join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readConfig } from '../../experiments/config.js';
import { writePaperReport } from '../../experiments/papers/index.js';
import { RunConfigSchema } from '../../experiments/run-schema.js';
import { EVENTS_FILE, findSweepPoints, isRunDir, writeRunReport, writeSweepReport, type SweepPoint } from '../../experiments/report/index.js';
import { expandSweep } from '../../experiments/sweep.js';
import { fail } from '../../util/errors.js';

/**
 * `qfl report DIR`: makes the report of a run directory again from its
 * events.jsonl (report.html and plots/*.png), or, when DIR is a sweep (its
 * subdirectories are runs), the sweep's summary.html. Prints the page's path.
 */

const USAGE = `usage: qfl report DIR [--no-png]

Makes the report of a run from its events.jsonl and config.yaml, and prints
the path of the page:

  run directory (holds events.jsonl)   DIR/report.html, DIR/plots/*.png
  sweep directory (its subdirectories  DIR/summary.html, DIR/plots/*.png:
    hold events.jsonl)                 all points on shared plots, one table

The page is self-contained (plots inline as SVG, no network). It can be made
while the run is still going: it shows the rounds written so far.

  --no-png     skip the PNG copies of the plots
  -h, --help   show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'no-png': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    fail('DIR', positionals.length === 0 ? 'missing; usage: qfl report DIR' : `expected one directory, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const dir = positionals[0]!;
  if (!existsSync(dir)) fail(dir, 'no such directory');
  if (!statSync(dir).isDirectory()) fail(dir, 'is not a directory; expected a run directory (with events.jsonl) or a sweep directory');
  const options = { png: !values['no-png'] };
  if (isRunDir(dir)) {
    console.log(await writeRunReport(dir, options));
    return 0;
  }
  // A sweep written by `qfl run` keeps its config (sweep.yaml): its points and
  // their overrides come from it, as when the sweep ran; otherwise they are
  // found on disk.
  const sweepConfig = join(dir, 'sweep.yaml');
  const config = existsSync(sweepConfig) ? readConfig(sweepConfig, RunConfigSchema) : undefined;
  const points: SweepPoint[] = config
    ? expandSweep(config).map((p) => ({ label: p.label, dir: p.label, overrides: p.overrides }))
    : findSweepPoints(dir);
  if (points.length === 0) {
    fail(dir, `has no ${EVENTS_FILE}, and no subdirectory has one; expected a run directory written by 'qfl run' or a sweep directory written by 'qfl run'`);
  }
  console.log(await writeSweepReport(dir, points, options));
  if (config) {
    const paper = await writePaperReport(config, dir, points);
    if (paper) console.log(paper);
  }
  return 0;
}
