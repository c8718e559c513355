import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { readCheckpoint } from '../fl/checkpoint.js';
import { Rng } from '../util/random.js';
import { parseEvents } from './report/read.js';

/**
 * Chaos: a real `qfl run` killed with SIGKILL at seeded random moments,
 * restarted each time (with --resume once it has a checkpoint), ends with
 * the parameters of an uninterrupted run, every round on record once, and
 * no temporary files. A tiny config keeps it short.
 */
const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
const KILLS = 6;
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const config = {
  name: 'chaos',
  seed: 11,
  data: { name: 'entanglement', qubits: 4, samples: 200 },
  model: { kind: 'qstate', layers: 2 },
  federation: { clients: 4, rounds: 8 },
  strategy: { name: 'fedadam', fraction_fit: 0.75, min_fit_clients: 2, server_lr: 0.05, fraction_evaluate: 0.5, min_evaluate_clients: 1 },
  local: { epochs: 2, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0 },
};

function run(args: readonly string[], killAfterMs?: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'run', ...args, '--quiet', '--no-ui'], { stdio: 'ignore' });
    const t = killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

test(`a qfl run killed ${KILLS} times at random moments ends with the uninterrupted parameters`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-chaos-'));
  dirs.push(dir);
  const cfg = join(dir, 'chaos.yaml');
  writeFileSync(cfg, stringify(config));
  const whole = join(dir, 'whole');
  const t0 = Date.now();
  assert.equal(await run([cfg, '--out', whole]), 0);
  const duration = Date.now() - t0;
  const runDir = join(dir, 'run');
  const rng = new Rng(2024);
  const attempt = (killAfterMs?: number) => run([cfg, ...(existsSync(join(runDir, 'checkpoint.json')) ? ['--resume', runDir] : ['--out', runDir])], killAfterMs);
  let killed = 0;
  for (let k = 0; k < KILLS; k++) {
    // Anywhere in a run's time (measured on the uninterrupted one): start-up, a round, a write.
    const code = await attempt(Math.floor((0.1 + 0.9 * rng.uniform()) * duration));
    if (code === 0) break;
    killed++;
  }
  assert.ok(killed >= 2, `the kills interrupted the run (${killed} of ${KILLS})`);
  assert.equal(await attempt(), 0, 'the last attempt finishes');
  assert.deepEqual([...readCheckpoint(runDir)!.params], [...readCheckpoint(whole)!.params]);
  const log = parseEvents(readFileSync(join(runDir, 'events.jsonl'), 'utf8'));
  assert.deepEqual(log.rounds.map((r) => r.round), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(log.end, 'the run ended');
  assert.deepEqual(readdirSync(runDir).filter((f) => /\.tmp-/.test(f)), []);
});
