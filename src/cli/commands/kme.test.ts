import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { run } from './kme.js';

/** `qfl kme` refuses bad flags before it opens anything, naming the flag. */
test('qfl kme: bad flags are refused with the flag named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-kme-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state = ['--state-dir', join(dir, 'state')];
  await assert.rejects(run(['--insecure']), /--sae: is required/);
  await assert.rejects(run(['--sae', 'n0,n1', ...state]), /--tls-dir: give exactly one of --tls-dir DIR \(mutual TLS\) and --insecure/);
  await assert.rejects(run(['--sae', 'n0,n1', '--insecure', '--tls-dir', dir]), /give exactly one/);
  await assert.rejects(run(['--sae', 'n0,n1', '--tls-dir', join(dir, 'none')]), /--tls-dir: cannot read .*server\.pem.*qfl certs --out/);
  await assert.rejects(run(['--sae', 'n0', '--insecure']), /--sae: needs at least two/);
  await assert.rejects(run(['--sae', 'n0,n1', '--insecure', '--model', 'warp']), /--model\.model/);
  await assert.rejects(run(['--sae', 'n0,n1', '--insecure', '--model', 'mdi', '--distance-km', 'far']), /--distance-km: must be a number, got 'far'/);
  await assert.rejects(run(['--sae', 'n0,n1', '--insecure', '--eve', '2']), /--model\.eve/);
  await assert.rejects(run(['--sae', 'n0,n1', '--insecure', '--key-size', '12', ...state]), /keySize: must be a multiple of 8/);
  const topo = join(dir, 't.yaml');
  writeFileSync(topo, 'links:\n  - { between: [n0, n7], model: rate, bits_per_second: 1 }\n');
  await assert.rejects(run(['--sae', 'n0,n1', '--insecure', '--topology', topo]), /topology\.links\[0\]\.between: 'n7' is not one of the SAEs/);
  await assert.rejects(run(['--sae', 'n0,n1', '--insecure', '--topology', join(dir, 'missing.yaml')]), /--topology: cannot read/);
});
