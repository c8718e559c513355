import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

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

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-run-set-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('qfl run --set overrides keys and the run records them in config.yaml', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'c.yaml'), stringify(base));
    const r = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'run'), '--no-ui', '--quiet', '--set', 'federation.rounds=3', '--set', 'strategy.name=fedadam', '--set', 'strategy.server_lr=0.1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^done: 3 rounds/);
    const stored = parse(readFileSync(join(dir, 'run', 'config.yaml'), 'utf8')) as { federation: { rounds: number }; strategy: { name: string; server_lr: number } };
    assert.equal(stored.federation.rounds, 3);
    assert.equal(stored.strategy.name, 'fedadam');
    assert.equal(stored.strategy.server_lr, 0.1);
  });
});

test('a bad --set is refused with the key and nothing runs', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'c.yaml'), stringify(base));
    const r = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'run'), '--no-ui', '--set', 'strategy.fraction_fit=2']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /with --set strategy\.fraction_fit=2: invalid:\n {2}strategy\.fraction_fit: must be in \(0, 1\]/);
    assert.ok(!existsSync(join(dir, 'run')));
  });
});

test('qfl run --dry-run prints the resolved config and a measured estimate, and writes nothing', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'c.yaml'), stringify(base));
    const r = qfl(['run', join(dir, 'c.yaml'), '--out', join(dir, 'run'), '--dry-run', '--set', 'federation.rounds=4']);
    assert.equal(r.status, 0, r.stderr);
    // The YAML part parses back to the resolved config (defaults filled in, override applied).
    const cfg = parse(r.stdout) as { federation: { rounds: number }; strategy: { name: string } };
    assert.equal(cfg.federation.rounds, 4);
    assert.equal(cfg.strategy.name, 'fedavg');
    assert.match(r.stdout, /^# estimate \(measured on this machine: one real local round of client \d, \d+ samples, [\d.]+ s\)$/m);
    assert.match(r.stdout, /^# {3}model: \d+ parameters; 2 clients, 2 per round, 1 in parallel$/m);
    assert.match(r.stdout, /^# {3}memory: [\d.]+ MiB resident/m);
    assert.match(r.stdout, /^# {3}time per round: ~[\d.]+ s \(training [\d.]+ s, central evaluation [\d.]+ s\)$/m);
    assert.match(r.stdout, /^# {3}4 rounds: ~\d+ s$/m);
    assert.ok(!existsSync(join(dir, 'run')));
  });
});
