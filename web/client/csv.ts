import type { LocalPartition } from '../../src/transport/partition-runner.js';

/**
 * A small data file a person brings: CSV, one sample a line, the features
 * then the label (an integer 0..classes-1); a header line is skipped if it
 * is not numeric. The features must already be what the model reads (the
 * worker checks the model built on them has the run's parameter count); the
 * same samples serve for training and for the local evaluation.
 */
export function parseCsv(text: string, classes: number): LocalPartition {
  const rows = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (rows.length > 0 && rows[0]!.split(',').some((c) => c.trim() !== '' && Number.isNaN(Number(c)))) rows.shift();
  if (rows.length === 0) throw new Error('the file has no samples');
  const features = rows[0]!.split(',').length - 1;
  if (features < 1) throw new Error('each line needs at least one feature and a label');
  const x = new Float64Array(rows.length * features);
  const y = new Int32Array(rows.length);
  rows.forEach((line, i) => {
    const cells = line.split(',').map(Number);
    if (cells.length !== features + 1) throw new Error(`line ${i + 1}: expected ${features} features and a label, got ${cells.length} values`);
    for (let j = 0; j < features; j++) {
      if (!Number.isFinite(cells[j]!)) throw new Error(`line ${i + 1}, column ${j + 1}: not a number`);
      x[i * features + j] = cells[j]!;
    }
    const label = cells[features]!;
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) throw new Error(`line ${i + 1}: label ${label} is not an integer in 0..${classes - 1}`);
    y[i] = label;
  });
  const data = { x, y, n: rows.length, shape: [features], classes };
  return { train: data, test: data };
}
