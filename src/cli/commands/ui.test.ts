import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { run } from './ui.js';

const cli = fileURLToPath(new URL('../main.js', import.meta.url));
const uiModule = new URL('./ui.js', import.meta.url).href;

const base = {
  name: 'tiny',
  seed: 3,
  data: { name: 'magic', qubits: 3, samples: 80 },
  model: { kind: 'qstate', layers: 1 },
  federation: { clients: 2, rounds: 2 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0 },
};

function finishedRun(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-ui-cli-'));
  writeFileSync(join(dir, 'c.yaml'), stringify(base));
  const r = spawnSync(process.execPath, [cli, 'run', join(dir, 'c.yaml'), '--out', join(dir, 'run'), '--no-ui', '--quiet'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /dashboard:/);
  return join(dir, 'run');
}

test('qfl ui RUN_DIR prints its address, serves the run read-only, and stops on Ctrl-C', async () => {
  const dir = finishedRun();
  // Through the command's module (main.ts lists the commands).
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import { run } from ${JSON.stringify(uiModule)}; process.exitCode = await run(${JSON.stringify([dir, '--port', '0'])});`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number | null>((r) => child.on('close', r));
  const deadline = Date.now() + 10_000;
  while (!/dashboard: http/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/) \(run .*, read-only; Ctrl-C to stop\)/.exec(out)?.[1];
  assert.ok(url, `no address in: ${out} ${err}`);
  const info = (await (await fetch(`${url}api/info`)).json()) as { mode: string; name: string };
  assert.deepEqual(info, { mode: 'run', name: 'tiny', dir });
  child.kill('SIGINT');
  assert.equal(await closed, 0, err);
});

test('qfl ui names what is wrong: no such directory, a bad port', async () => {
  await assert.rejects(run([join(tmpdir(), 'qfl-no-such-dir')]), /qfl-no-such-dir: no such directory/);
  await assert.rejects(run(['.', '--port', 'eighty']), /--port: must be a port number 0\.\.65535 \(0: any free port\), got 'eighty'/);
  await assert.rejects(run(['.', '--port', '70000']), /--port: must be a port number/);
  await assert.rejects(run([]), /PATH: give exactly one/);
});
