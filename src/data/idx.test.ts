import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { QflError } from '../util/errors.js';
import { encodeIdx, expectIdx, IDX_TYPES, type IdxType, parseIdx, readIdxFile } from './idx.js';

/** The error `fn` throws must be a QflError with exactly this message. */
function throwsExactly(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof QflError, `expected a QflError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('parseIdx', () => {
  test('decodes a hand-built uint8 file: header, dims, row-major values', () => {
    // magic 0x0000, type 0x08, 2 dims: 2 x 3, then 6 bytes
    const bytes = Uint8Array.from([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 250, 251, 255]);
    const arr = parseIdx(bytes, 'hand.idx');
    assert.equal(arr.type, 'uint8');
    assert.deepEqual(arr.dims, [2, 3]);
    assert.ok(arr.data instanceof Uint8Array);
    assert.deepEqual(Array.from(arr.data), [1, 2, 3, 250, 251, 255]);
  });

  test('decodes big-endian multi-byte types by hand', () => {
    // int16 [-2, 258]: 0xFFFE, 0x0102
    const i16 = parseIdx(Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x02]));
    assert.deepEqual(Array.from(i16.data), [-2, 258]);
    // float32 1.5 = 0x3FC00000
    const f32 = parseIdx(Uint8Array.from([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0]));
    assert.deepEqual(Array.from(f32.data), [1.5]);
  });

  test('round-trips every element type through encodeIdx', () => {
    const cases: [IdxType, number[]][] = [
      ['uint8', [0, 1, 127, 128, 255, 7]],
      ['int8', [-128, -1, 0, 1, 127, 5]],
      ['int16', [-32768, -300, 0, 300, 32767, 1]],
      ['int32', [-2147483648, -70000, 0, 70000, 2147483647, 9]],
      ['float32', [-1.5, 0, 0.25, 3.5, 1e10, -2]],
      ['float64', [Math.PI, -Math.E, 0, 1e-300, -1e300, 0.1]],
    ];
    for (const [type, values] of cases) {
      const arr = parseIdx(encodeIdx(type, [3, 2], values), type);
      assert.equal(arr.type, type);
      assert.deepEqual(arr.dims, [3, 2]);
      assert.deepEqual(Array.from(arr.data), values, type);
      assert.equal(arr.data.BYTES_PER_ELEMENT, IDX_TYPES[type].bytes);
    }
  });

  test('reads a file held in a larger buffer at an offset', () => {
    const inner = encodeIdx('int16', [2], [-5, 5]);
    const outer = new Uint8Array(inner.length + 7);
    outer.set(inner, 3);
    assert.deepEqual(Array.from(parseIdx(outer.subarray(3, 3 + inner.length)).data), [-5, 5]);
  });

  test('allows a zero-sized dimension (an empty array)', () => {
    const arr = parseIdx(encodeIdx('uint8', [0, 28, 28], []));
    assert.deepEqual(arr.dims, [0, 28, 28]);
    assert.equal(arr.data.length, 0);
  });

  test('rejects a header shorter than 4 bytes', () => {
    throwsExactly(
      () => parseIdx(Uint8Array.from([0, 0, 8]), 'short.idx'),
      'short.idx: IDX header: expected at least 4 bytes (magic, type code, dimension count), found 3',
    );
  });

  test('rejects a wrong magic number, and names gzip', () => {
    throwsExactly(
      () => parseIdx(Uint8Array.from([0, 1, 8, 1, 0, 0, 0, 0]), 'bad.idx'),
      'bad.idx: IDX magic: expected bytes 0-1 to be 0x0000, found 0x0001',
    );
    throwsExactly(
      () => parseIdx(gzipSync(encodeIdx('uint8', [1], [1])), 'x.gz'),
      'x.gz: IDX magic: expected bytes 0-1 to be 0x0000, found 0x1F8B (this is a gzip file: decompress it first, or use readIdxFile)',
    );
  });

  test('rejects an unknown type code', () => {
    throwsExactly(
      () => parseIdx(Uint8Array.from([0, 0, 0x0a, 1, 0, 0, 0, 0]), 't.idx'),
      't.idx: IDX type code (byte 2): expected one of 0x08 (uint8), 0x09 (int8), 0x0B (int16), 0x0C (int32), 0x0D (float32), 0x0E (float64), found 0x0A',
    );
  });

  test('rejects zero dimensions', () => {
    throwsExactly(
      () => parseIdx(Uint8Array.from([0, 0, 8, 0]), 'z.idx'),
      'z.idx: IDX dimension count (byte 3): expected at least 1, found 0',
    );
  });

  test('rejects a header cut inside the dimension sizes', () => {
    throwsExactly(
      () => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0, 0x27, 0x10, 0, 0]), 'images.idx'),
      'images.idx: IDX header: expected 16 bytes for 3 dimensions (4 + 4 * 3), found 10 (file truncated)',
    );
  });

  test('rejects truncated data, naming the expected and found sizes', () => {
    const full = encodeIdx('uint8', [10, 28, 28], new Uint8Array(7840));
    throwsExactly(
      () => parseIdx(full.subarray(0, full.length - 1), 't10k-images-idx3-ubyte'),
      't10k-images-idx3-ubyte: IDX data: expected 7840 bytes (10 x 28 x 28 uint8 values of 1 byte) after the 16-byte header, found 7839 (file truncated)',
    );
    const f64 = encodeIdx('float64', [3], [1, 2, 3]);
    throwsExactly(
      () => parseIdx(f64.subarray(0, f64.length - 4), 'w.idx'),
      'w.idx: IDX data: expected 24 bytes (3 float64 values of 8 bytes) after the 8-byte header, found 20 (file truncated)',
    );
  });

  test('rejects trailing bytes after the data', () => {
    const ok = encodeIdx('uint8', [2], [1, 2]);
    const long = new Uint8Array(ok.length + 2);
    long.set(ok);
    throwsExactly(
      () => parseIdx(long, 'long.idx'),
      'long.idx: IDX data: expected 2 bytes (2 uint8 values of 1 byte) after the 8-byte header, found 4 (2 bytes of trailing garbage)',
    );
  });
});

describe('readIdxFile and expectIdx', () => {
  test('reads plain and gzip files, and names a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qfl-idx-'));
    try {
      const bytes = encodeIdx('uint8', [2, 2], [1, 2, 3, 4]);
      writeFileSync(join(dir, 'a-idx2-ubyte'), bytes);
      writeFileSync(join(dir, 'a-idx2-ubyte.gz'), gzipSync(bytes));
      assert.deepEqual(Array.from(readIdxFile(join(dir, 'a-idx2-ubyte')).data), [1, 2, 3, 4]);
      assert.deepEqual(Array.from(readIdxFile(join(dir, 'a-idx2-ubyte.gz')).data), [1, 2, 3, 4]);
      assert.throws(() => readIdxFile(join(dir, 'missing')), (e: unknown) => {
        assert.ok(e instanceof QflError);
        assert.equal(e.field, join(dir, 'missing'));
        assert.match(e.detail, /^cannot read IDX file: ENOENT/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('expectIdx checks type and dimensions', () => {
    const arr = parseIdx(encodeIdx('uint8', [4, 2, 2], new Uint8Array(16)));
    assert.equal(expectIdx(arr, 'f', 'uint8', [null, 2, 2]).data.length, 16);
    throwsExactly(() => expectIdx(arr, 'f', 'int32', [null, 2, 2]), 'f: expected IDX element type int32, found uint8');
    throwsExactly(() => expectIdx(arr, 'f', 'uint8', [null]), 'f: expected IDX dimensions [*], found [4, 2, 2]');
    throwsExactly(() => expectIdx(arr, 'f', 'uint8', [4, 3, 2]), 'f: expected IDX dimensions [4, 3, 2], found [4, 2, 2]');
  });
});
