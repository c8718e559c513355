import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { RoundEvent } from '../events.js';
import { RunConfigSchema } from '../run-schema.js';
import { runFederation } from '../runner.js';
import { validate } from '../validate.js';
import { openTracking } from './index.js';
import { roundScalars } from './scalars.js';
import { maskedCrc32c, tfRecord } from './tfrecord.js';

/*
 * An independent reader of TensorBoard event files, written from the format
 * descriptions only (TFRecord: tensorflow/core/lib/io/record_reader.cc;
 * Event/Summary: tensorflow/core/util/event.proto, framework/summary.proto),
 * sharing no code with the writer: its own bitwise CRC32C (Castagnoli,
 * reflected polynomial 0x82F63B78) and its own protobuf wire decoder.
 */
function crc32cBitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

function readRecords(buf: Uint8Array): Uint8Array[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    assert.ok(at + 12 <= buf.length, 'truncated header');
    const len = Number(view.getBigUint64(at, true));
    assert.equal(view.getUint32(at + 8, true), mask(crc32cBitwise(buf.subarray(at, at + 8))), `length crc at ${at}`);
    const data = buf.subarray(at + 12, at + 12 + len);
    assert.equal(view.getUint32(at + 12 + len, true), mask(crc32cBitwise(data)), `data crc at ${at}`);
    out.push(data);
    at += 16 + len;
  }
  return out;
}

type Field = { no: number; wire: number; varint?: bigint; bytes?: Uint8Array; fixed64?: DataView; fixed32?: DataView };
function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const x = b[i++]!;
      r |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return r;
      shift += 7n;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) {
      out.push({ no, wire, fixed64: new DataView(b.buffer, b.byteOffset + i, 8) });
      i += 8;
    } else if (wire === 2) {
      const n = Number(varint());
      out.push({ no, wire, bytes: b.subarray(i, i + n) });
      i += n;
    } else if (wire === 5) {
      out.push({ no, wire, fixed32: new DataView(b.buffer, b.byteOffset + i, 4) });
      i += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

interface Event {
  wallTime: number;
  step?: number;
  fileVersion?: string;
  scalars: { tag: string; value: number }[];
}
function decodeEvent(b: Uint8Array): Event {
  const e: Event = { wallTime: NaN, scalars: [] };
  for (const f of fields(b)) {
    if (f.no === 1) e.wallTime = f.fixed64!.getFloat64(0, true);
    else if (f.no === 2) e.step = Number(f.varint!);
    else if (f.no === 3) e.fileVersion = new TextDecoder().decode(f.bytes!);
    else if (f.no === 5) {
      for (const v of fields(f.bytes!).filter((x) => x.no === 1)) {
        const vf = fields(v.bytes!);
        const tag = new TextDecoder().decode(vf.find((x) => x.no === 1)!.bytes!);
        e.scalars.push({ tag, value: vf.find((x) => x.no === 2)!.fixed32!.getFloat32(0, true) });
      }
    }
  }
  return e;
}

function readEventFile(path: string): Event[] {
  return readRecords(new Uint8Array(readFileSync(path))).map(decodeEvent);
}

const f32 = (x: number) => Math.fround(x);

describe('TFRecord framing', () => {
  test('masked CRC32C: the CRC32C check value of "123456789" is 0xE3069283 (RFC 3720 B.4 polynomial)', () => {
    const data = new TextEncoder().encode('123456789');
    assert.equal(crc32cBitwise(data), 0xe3069283);
    assert.equal(maskedCrc32c(data), mask(0xe3069283));
  });

  test('a record reads back through the independent reader, and a flipped bit is caught', () => {
    const rec = tfRecord(new Uint8Array([1, 2, 3, 250]));
    assert.equal(rec.length, 20);
    assert.deepEqual([...readRecords(rec)[0]!], [1, 2, 3, 250]);
    const bad = rec.slice();
    bad[13]! ^= 1;
    assert.throws(() => readRecords(bad), /data crc/);
  });
});

describe('round scalars', () => {
  test('accuracy, loss, epsilon, bytes and key bits; non-finite values left out', () => {
    const e = {
      type: 'round', time: '2026-01-01T00:00:00.000Z', round: 3,
      seconds: { total: 1.5, fit: 1, evaluate: 0.3, aggregate: 0.2 },
      fit: { sampled: 4, completed: 4, failures: [], trainLoss: 0.7, trainAccuracy: NaN },
      clients: [],
      central: { loss: 0.5, accuracy: 0.8 },
      dp: { epsilon: 1.25, delta: 1e-5, clipNorm: 1, noiseStd: 0.1 },
      secure: { bits: 8, modulusBits: 10, survivors: 4, dropped: [], keyBits: 4096, keyWaitSeconds: 0, bytesUpPayload: 10, bytesUpFloat32: 40 },
      bytes: { up: 1000, down: 2000 },
      metrics: {},
    } as unknown as RoundEvent;
    const s = Object.fromEntries(roundScalars(e).map((x) => [x.tag, x.value]));
    assert.deepEqual(s, {
      'accuracy/central': 0.8, 'loss/central': 0.5, 'loss/train': 0.7, 'privacy/epsilon': 1.25,
      'bytes/up': 1000, 'bytes/down': 2000, 'keys/bits': 4096, 'clients/completed': 4, 'time/round_seconds': 1.5,
    });
  });
});

describe('qfl run --tensorboard', () => {
  test('writes one event file with one scalar per metric per round, equal to events.jsonl', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qfl-tb-'));
    try {
      const cfg = {
        name: 'tiny', seed: 3,
        data: { name: 'magic', qubits: 3, samples: 80 },
        model: { kind: 'qstate', layers: 1 },
        federation: { clients: 3, rounds: 3 },
        strategy: { fraction_evaluate: 1 },
        local: { epochs: 1, batch_size: 8, lr: 0.05 },
        runtime: { workers: 0 },
      };
      writeFileSync(join(dir, 'c.yaml'), stringify(cfg));
      const cli = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
      const r = spawnSync(process.execPath, [cli, 'run', join(dir, 'c.yaml'), '--out', join(dir, 'run'), '--no-ui', '--tensorboard', join(dir, 'tb')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal((parse(readFileSync(join(dir, 'run', 'config.yaml'), 'utf8')) as { tracking: { tensorboard: string } }).tracking.tensorboard, join(dir, 'tb'));
      const files = readdirSync(join(dir, 'tb', 'run'));
      assert.equal(files.length, 1);
      assert.match(files[0]!, /^events\.out\.tfevents\.\d+\./);
      const events = readEventFile(join(dir, 'tb', 'run', files[0]!));
      assert.equal(events[0]!.fileVersion, 'brain.Event:2');
      const rounds = readFileSync(join(dir, 'run', 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RoundEvent).filter((e) => e.type === 'round');
      assert.equal(rounds.length, 3);
      const tags = ['accuracy/central', 'loss/central', 'accuracy/client_eval', 'loss/client_eval', 'accuracy/train', 'loss/train', 'bytes/up', 'bytes/down'];
      for (const tag of tags) {
        const points = events.flatMap((e) => e.scalars.filter((s) => s.tag === tag).map((s) => ({ step: e.step, value: s.value })));
        assert.deepEqual(points.map((p) => p.step), [1, 2, 3], `${tag}: one value per round`);
        rounds.forEach((ev, i) => {
          const want = roundScalars(ev).find((s) => s.tag === tag)!.value;
          assert.equal(points[i]!.value, f32(want), `${tag} round ${i + 1}`);
        });
      }
      for (const e of events.slice(1)) assert.ok(Math.abs(e.wallTime - Date.now() / 1000) < 3600, 'wall time in seconds');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tracking and resume', () => {
  test('a run resumed with tracking added goes on (tracking is not part of the run) and logs the remaining rounds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qfl-tb-resume-'));
    try {
      const raw = {
        data: { name: 'magic', qubits: 3, samples: 60 },
        model: { kind: 'qstate', layers: 1 },
        federation: { clients: 2, rounds: 3 },
        local: { epochs: 1, batch_size: 8, lr: 0.05 },
        runtime: { workers: 0 },
      };
      const runDir = join(dir, 'run');
      const stop = new AbortController();
      const log = (l: string) => void (l.includes('round 1/3') && stop.abort());
      await runFederation({ config: validate(RunConfigSchema, raw), runDir, signal: stop.signal, progress: { update: () => {}, done: () => {}, log } });
      const tracked = validate(RunConfigSchema, { ...raw, tracking: { tensorboard: join(dir, 'tb') } });
      const tracker = await openTracking(tracked, runDir);
      assert.ok(tracker);
      const r = await runFederation({ config: tracked, runDir, resume: true, monitor: tracker });
      await tracker.close();
      assert.equal(r.rounds, 3);
      const steps = readEventFile(tracker.tensorboardFile!).filter((e) => e.scalars.length > 0).map((e) => e.step);
      assert.deepEqual(steps, [2, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
