import { crc32c } from '@aws-crypto/crc32c';

/**
 * TFRecord framing, the container of TensorBoard's event files
 * (tensorflow/core/lib/io/record_writer.cc): each record is
 *
 *     uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)
 *
 * little-endian, where masked_crc(c) = ((c >>> 15) | (c << 17)) + 0xa282ead8
 * (mod 2^32): the mask keeps a CRC of data that holds CRCs from being
 * trivially related to them.
 */
const MASK_DELTA = 0xa282ead8;

export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data) >>> 0;
  return ((((c >>> 15) | (c << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** One framed record: 16 bytes of header and footer around the data. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}
