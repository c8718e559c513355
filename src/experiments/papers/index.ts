import { dirname, resolve } from 'node:path';
import type { SweepPoint } from '../report/summary.js';
import type { RunConfig } from '../run-schema.js';
import { writeByzantineReport } from './byzantine.js';
import { writeDpReport } from './dp.js';
import { writePapersPage } from './papers-page.js';
import { writeQfalReport } from './qfal.js';
import { writeSaginReport } from './sagin.js';
import { writeQunetReport } from './qunetqfl.js';

export { PAPERS, PAPERS_FILE, writePapersPage } from './papers-page.js';

/**
 * Writes the paper-specific report a sweep config asks for (`report:`), if
 * any, and refreshes papers.html in the directory above the sweep (the runs
 * directory); returns the report's path.
 */
export async function writePaperReport(config: Pick<RunConfig, 'report' | 'evaluation' | 'seed'>, sweepDir: string, points: readonly SweepPoint[]): Promise<string | undefined> {
  const path = await writeReport(config, sweepDir, points);
  if (path !== undefined) writePapersPage(dirname(resolve(sweepDir)));
  return path;
}

async function writeReport(config: Pick<RunConfig, 'report' | 'evaluation' | 'seed'>, sweepDir: string, points: readonly SweepPoint[]): Promise<string | undefined> {
  switch (config.report) {
    case 'qfal':
      return writeQfalReport(sweepDir, points, config.seed);
    case 'qunetqfl':
      return writeQunetReport(sweepDir, points, config.seed);
    case 'byzantine':
      return writeByzantineReport(sweepDir, points, config.seed);
    case 'dp':
      return writeDpReport(sweepDir, points);
    case 'sagin':
      return writeSaginReport(sweepDir, points, config.seed);
    case undefined:
      return undefined;
  }
}
