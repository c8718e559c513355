import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const cli = fileURLToPath(new URL('../main.js', import.meta.url));
const qfl = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

const base = {
  name: 'tiny',
  seed: 3,
  data: { name: 'magic', qubits: 3, samples: 80 },
  model: { kind: 'qstate', layers: 1 },
  federation: { clients: 2, rounds: 2 },
  local: { epochs: 1, batch_size: 8, lr: 0.05 },
  runtime: { workers: 0 },
};

test('qfl run writes a run directory with a report and says where it is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-cli-'));
  writeFileSync(join(dir, 'c.yaml'), stringify(base));
  const r = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'run')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^done: 2 rounds, final accuracy [\d.]+ %\. Report: .*run\/report\.html\n$/);
  assert.match(r.stderr, /tiny: round 2\/2/);
  // The dashboard was up while the run ran (8450 or a later port), and went when it ended.
  assert.match(r.stderr, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/$/m);
  for (const f of ['config.yaml', 'events.jsonl', 'checkpoint.json', 'report.html', 'plots/accuracy.png']) assert.ok(existsSync(join(dir, 'run', f)), f);
});

test('a sweep runs every grid point, writes summary.csv, and skips finished points when re-run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-sweep-'));
  const cfg = join(dir, 's.yaml');
  writeFileSync(cfg, stringify({ ...base, sweep: { grid: { 'strategy.name': ['fedavg', 'fedavgm'], 'strategy.server_momentum': [0.5] }, seeds: [1, 2], parallel: 2 } }));
  const out = join(dir, 'out');
  const r = qfl(['run', cfg, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /sweep done: 4\/4 points/);
  // One dashboard on the sweep directory; the points run without their own.
  assert.equal((r.stderr.match(/^dashboard: http/gm) ?? []).length, 1);
  const csv = readFileSync(join(out, 'summary.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 5);
  assert.ok(existsSync(join(out, 'summary.html')));
  const again = qfl(['run', cfg, '--out', out]);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((again.stderr.match(/already complete, skipped/g) ?? []).length, 4);
});

test('config mistakes are reported with their path and nothing runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-cli-'));
  writeFileSync(join(dir, 'bad.yaml'), stringify({ ...base, strategy: { fraction_fit: 1.5 }, federation: { clients: 0, rounds: 1 } }));
  const r = qfl(['run', join(dir, 'bad.yaml'), '--out', join(dir, 'run')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /strategy\.fraction_fit: must be in \(0, 1\]/);
  assert.match(r.stderr, /federation\.clients: /);
  assert.ok(!existsSync(join(dir, 'run')));
});

test('qfl run --ui-port 0 serves the dashboard on any free port; --no-ui serves none; a bad port is refused before running', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-cli-'));
  writeFileSync(join(dir, 'c.yaml'), stringify(base));
  const any = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'a'), '--ui-port', '0', '--quiet']);
  assert.equal(any.status, 0, any.stderr);
  assert.match(any.stderr, /^dashboard: http:\/\/127\.0\.0\.1:\d+\/\n$/, 'with --quiet only the address is printed');
  const none = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'b'), '--no-ui']);
  assert.equal(none.status, 0, none.stderr);
  assert.doesNotMatch(none.stderr, /dashboard/);
  const bad = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'c'), '--ui-port', 'x']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^qfl: --ui-port: must be a port number 0\.\.65535 \(0: any free port\), got 'x'$/m);
  assert.ok(!existsSync(join(dir, 'c')));
  const host = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'd'), '--ui-host', '203.0.113.7', '--ui-port', '0']);
  assert.equal(host.status, 1);
  assert.match(host.stderr, /^qfl: --ui-host: cannot listen on '203\.0\.113\.7'/m);
});
