import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { tfRecord } from './tfrecord.js';

/**
 * A TensorBoard event file writer (what `tf.summary.create_file_writer`
 * writes): TFRecord-framed `tensorflow.Event` protos. The fields used, by
 * their numbers in tensorflow/core/util/event.proto and
 * tensorflow/core/framework/summary.proto:
 *
 *     Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
 *     Summary { repeated Value value = 1; }
 *     Value   { string tag = 1; float simple_value = 2; }
 *
 * The first event names the format (`brain.Event:2`), as TensorFlow's
 * writers do. Each record is appended whole, synchronously, so a killed run
 * leaves a file that ends at a record boundary.
 */
export const FILE_VERSION = 'brain.Event:2';

export function encodeEvent(e: { wallTime: number; step?: number; fileVersion?: string; scalars?: readonly { tag: string; value: number }[] }): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.Bit64).double(e.wallTime);
  if (e.step !== undefined) w.tag(2, WireType.Varint).int64(e.step);
  if (e.fileVersion !== undefined) w.tag(3, WireType.LengthDelimited).string(e.fileVersion);
  if (e.scalars !== undefined) {
    w.tag(5, WireType.LengthDelimited).fork();
    for (const s of e.scalars) {
      w.tag(1, WireType.LengthDelimited).fork();
      w.tag(1, WireType.LengthDelimited).string(s.tag);
      w.tag(2, WireType.Bit32).float(s.value);
      w.join();
    }
    w.join();
  }
  return w.finish();
}

export class TensorBoardWriter {
  /** The event file: DIR/events.out.tfevents.SECONDS.HOST.PID.N (TensorBoard finds files by "tfevents"). */
  readonly path: string;
  private static count = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const secs = Math.floor(Date.now() / 1000);
    this.path = join(dir, `events.out.tfevents.${secs}.${hostname()}.${process.pid}.${TensorBoardWriter.count++}`);
    writeFileSync(this.path, tfRecord(encodeEvent({ wallTime: Date.now() / 1000, fileVersion: FILE_VERSION })));
  }

  /** One event holding every scalar of a step (one value per tag). */
  scalars(step: number, scalars: readonly { tag: string; value: number }[], wallTime = Date.now() / 1000): void {
    if (scalars.length === 0) return;
    appendFileSync(this.path, tfRecord(encodeEvent({ wallTime, step, scalars })));
  }
}
