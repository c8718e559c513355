/**
 * Reader (and writer) for the IDX format of the MNIST files
 * (LeCun et al., http://yann.lecun.com/exdb/mnist/, section "FILE FORMATS").
 *
 * Layout, all integers big-endian:
 *
 * | bytes        | content                                                       |
 * | ------------ | ------------------------------------------------------------- |
 * | 0-1          | magic: always 0x0000                                          |
 * | 2            | type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,     |
 * |              | 0x0D float32, 0x0E float64                                    |
 * | 3            | number of dimensions d (1 for labels, 3 for images)           |
 * | 4 .. 4+4d    | d sizes as uint32                                             |
 * | 4+4d ..      | product(sizes) values of the type, row-major (last index fastest) |
 *
 * Every check names the file and says what was expected and what was found;
 * a gzip file (the form the files are distributed in) is recognised and named
 * as such. `readIdxFile` decompresses gzip itself.
 *
 * @example
 * const labels = readIdxFile('t10k-labels-idx1-ubyte'); // { type: 'uint8', dims: [10000], data: Uint8Array }
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fail } from '../util/errors.js';

/** Element types of IDX by type code, with their byte widths. */
export const IDX_TYPES = {
  uint8: { code: 0x08, bytes: 1 },
  int8: { code: 0x09, bytes: 1 },
  int16: { code: 0x0b, bytes: 2 },
  int32: { code: 0x0c, bytes: 4 },
  float32: { code: 0x0d, bytes: 4 },
  float64: { code: 0x0e, bytes: 8 },
} as const;

export type IdxType = keyof typeof IDX_TYPES;

/** The typed array each element type decodes to. */
export interface IdxDataByType {
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}

export type IdxData = IdxDataByType[IdxType];

/** A decoded IDX file: element type, dimensions, and the values row-major. */
export interface IdxArray<T extends IdxType = IdxType> {
  readonly type: T;
  readonly dims: number[];
  readonly data: IdxDataByType[T];
}

const TYPE_BY_CODE = new Map<number, IdxType>(
  (Object.keys(IDX_TYPES) as IdxType[]).map((t) => [IDX_TYPES[t].code, t]),
);

const ALLOWED_CODES = (Object.keys(IDX_TYPES) as IdxType[])
  .map((t) => `${hex(IDX_TYPES[t].code, 2)} (${t})`)
  .join(', ');

function hex(v: number, digits: number): string {
  return `0x${v.toString(16).toUpperCase().padStart(digits, '0')}`;
}

/**
 * Decode IDX bytes. `name` (a file path or any label) prefixes every error.
 * The result owns its memory (a copy of the input's data section).
 */
export function parseIdx(bytes: Uint8Array, name = 'idx'): IdxArray {
  if (bytes.length < 4) {
    fail(name, `IDX header: expected at least 4 bytes (magic, type code, dimension count), found ${bytes.length}`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const found = (bytes[0]! << 8) | bytes[1]!;
    const hint = found === 0x1f8b ? ' (this is a gzip file: decompress it first, or use readIdxFile)' : '';
    fail(name, `IDX magic: expected bytes 0-1 to be 0x0000, found ${hex(found, 4)}${hint}`);
  }
  const code = bytes[2]!;
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) {
    fail(name, `IDX type code (byte 2): expected one of ${ALLOWED_CODES}, found ${hex(code, 2)}`);
  }
  const ndim = bytes[3]!;
  if (ndim === 0) fail(name, 'IDX dimension count (byte 3): expected at least 1, found 0');
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    fail(
      name,
      `IDX header: expected ${headerBytes} bytes for ${ndim} dimension${ndim === 1 ? '' : 's'} (4 + 4 * ${ndim}), found ${bytes.length} (file truncated)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndim; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size;
  }
  const width = IDX_TYPES[type].bytes;
  const dataBytes = count * width;
  if (!Number.isSafeInteger(dataBytes)) {
    fail(name, `IDX dimensions ${dims.join(' x ')}: the data would exceed ${Number.MAX_SAFE_INTEGER} bytes`);
  }
  const found = bytes.length - headerBytes;
  if (found !== dataBytes) {
    const why = found < dataBytes ? 'file truncated' : `${found - dataBytes} bytes of trailing garbage`;
    fail(
      name,
      `IDX data: expected ${dataBytes} bytes (${dims.join(' x ')} ${type} values of ${width} byte${width === 1 ? '' : 's'}) after the ${headerBytes}-byte header, found ${found} (${why})`,
    );
  }
  return { type, dims, data: decode(type, view, headerBytes, count) } as IdxArray;
}

function decode(type: IdxType, view: DataView, offset: number, count: number): IdxData {
  switch (type) {
    case 'uint8':
      return new Uint8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int8':
      return new Int8Array(view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + count));
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/**
 * Read and decode an IDX file; a gzip-compressed file (`*.gz`, as the MNIST
 * and Fashion-MNIST files are distributed) is decompressed first.
 */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    fail(path, `cannot read IDX file: ${(e as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      fail(path, `gzip: cannot decompress: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}

/**
 * Check a decoded file's element type and number of dimensions, and
 * optionally some sizes (`null` = any). Returns it narrowed to that type.
 */
export function expectIdx<T extends IdxType>(
  arr: IdxArray,
  name: string,
  type: T,
  dims: readonly (number | null)[],
): IdxArray<T> {
  if (arr.type !== type) fail(name, `expected IDX element type ${type}, found ${arr.type}`);
  const shape = (ds: readonly (number | null)[]): string => `[${ds.map((d) => (d === null ? '*' : d)).join(', ')}]`;
  if (arr.dims.length !== dims.length || dims.some((d, i) => d !== null && arr.dims[i] !== d)) {
    fail(name, `expected IDX dimensions ${shape(dims)}, found ${shape(arr.dims)}`);
  }
  return arr as IdxArray<T>;
}

/** Encode values as IDX bytes (the inverse of `parseIdx`), for tests and for writing data sets. */
export function encodeIdx(type: IdxType, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  if (dims.length < 1 || dims.length > 255) fail('dims', `expected 1..255 dimensions, found ${dims.length}`);
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) fail('dims', `expected uint32 sizes, found ${d}`);
    count *= d;
  }
  if (values.length !== count) fail('values', `expected ${count} values for dims [${dims.join(', ')}], found ${values.length}`);
  const { code, bytes: width } = IDX_TYPES[type];
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count * width);
  const view = new DataView(out.buffer);
  out[2] = code;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    const at = header + i * width;
    switch (type) {
      case 'uint8':
        view.setUint8(at, v);
        break;
      case 'int8':
        view.setInt8(at, v);
        break;
      case 'int16':
        view.setInt16(at, v, false);
        break;
      case 'int32':
        view.setInt32(at, v, false);
        break;
      case 'float32':
        view.setFloat32(at, v, false);
        break;
      case 'float64':
        view.setFloat64(at, v, false);
        break;
    }
  }
  return out;
}
