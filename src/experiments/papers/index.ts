import type { SweepPoint } from '../report/summary.js';
import type { RunConfig } from '../run-schema.js';
import { writeByzantineReport } from './byzantine.js';
import { writeDpReport } from './dp.js';
import { writeQfalReport } from './qfal.js';
import { writeSaginReport } from './sagin.js';
import { writeQunetReport } from './qunetqfl.js';

/** Writes the paper-specific report a sweep config asks for (`report:`), if any; returns its path. */
export async function writePaperReport(config: Pick<RunConfig, 'report' | 'evaluation'>, sweepDir: string, points: readonly SweepPoint[]): Promise<string | undefined> {
  switch (config.report) {
    case 'qfal':
      return writeQfalReport(sweepDir, points, config.evaluation.robust?.attacks[0] ?? 'fgsm');
    case 'qunetqfl':
      return writeQunetReport(sweepDir, points);
    case 'byzantine':
      return writeByzantineReport(sweepDir, points);
    case 'dp':
      return writeDpReport(sweepDir, points);
    case 'sagin':
      return writeSaginReport(sweepDir, points);
    case undefined:
      return undefined;
  }
}
