import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import test from 'node:test';
import { stringify } from 'yaml';
import type { BrowserContext, Page } from 'playwright-core';
import { readCheckpoint } from '../fl/checkpoint.js';
import { RunConfigSchema } from '../experiments/run-schema.js';
import { runFederation } from '../experiments/runner.js';
import { validate } from '../experiments/validate.js';
import { WEB_DIR } from '../ui/dashboard-server.js';
import { qfl, serverUrl } from './testing.js';
import { ALLOWLIST_FILE, writeNodeKey } from './auth.js';
import { writeDevCertificates } from './certs.js';

/**
 * Browser clients for real: `qfl server` serves the join page; two headless
 * Chromium tabs (Debian's, driven by playwright-core) and one `qfl client`
 * process join and finish a 2-round federation, whose model must be the
 * all-Node simulation's with the same seed. Skipped without /usr/bin/chromium
 * unless QFL_REQUIRE_BROWSER=1 (CI), which makes that a failure.
 */
const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env['QFL_REQUIRE_BROWSER'] === '1';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = existsSync(CHROMIUM) || REQUIRED ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium); set QFL_REQUIRE_BROWSER=1 to make this a failure`;
const tmp = (prefix = 'qfl-browser-') => mkdtempSync(join(tmpdir(), prefix));

const config = {
  name: 'browser-clients',
  seed: 3,
  data: { name: 'mnist', classes: [0, 1], downsample: [4, 4], train_limit: 600, test_limit: 200 },
  model: { kind: 'vqc', qubits: 4, layers: 2, embedding: 'amplitude' },
  federation: { clients: 3, rounds: 2 },
  strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 3, fraction_evaluate: 1, min_evaluate_clients: 3 },
  local: { epochs: 1, batch_size: 16, lr: 0.05, optimizer: 'adam' },
  runtime: { workers: 0, client_timeout_s: 120 },
};

const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '');

test('two browser tabs and one Node client finish a 2-round federation with the all-Node model', { skip, timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `QFL_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}`);
  assert.ok(existsSync(join(WEB_DIR, 'join', 'worker.js')), `the join page is not built in ${WEB_DIR}: run npm run build`);
  const { chromium } = await import('playwright-core');
  const dir = tmp();
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(config));
  const runDir = join(dir, 'run');
  const server = qfl(['server', path, '--insecure', '--port', '0', '--ui-port', '0', '--serve-partitions', '--out', runDir, '--wait-timeout', '90']);
  const url = await serverUrl(server);
  const dashboard = /dashboard: (\S+)/.exec(await server.waitFor(/dashboard: http/))![1]!;
  let browser: BrowserContext | undefined;
  try {
    browser = await chromium.launchPersistentContext(tmp('qfl-chromium-'), { executablePath: CHROMIUM, args: ARGS, viewport: { width: 900, height: 700 } });
    const errors: string[] = [];
    const tabs = await Promise.all(
      [0, 1].map(async (k) => {
        const page = await browser!.newPage();
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${dashboard}join/?clients=${k}&name=tab${k}`);
        await page.click('#go');
        return page;
      }),
    );
    const node = qfl(['client', '--server', url, '--insecure', '--partition', '2', '--name', 'node2']);
    assert.equal(await server.exited, 0, server.lines.join('\n'));
    assert.equal(await node.exited, 0, node.lines.join('\n'));
    for (const page of tabs) {
      const deadline = Date.now() + 15_000;
      while ((await text(page, '#state')) !== 'finished' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await text(page, '#state'), 'finished', await text(page, '#log'));
      assert.match(await text(page, '#counts'), /2 fit, 2 evaluate/);
    }
    assert.deepEqual(errors, []);
    const out = resolve('test-output');
    mkdirSync(out, { recursive: true });
    await tabs[0]!.screenshot({ path: join(out, 'browser-client.png') });
    assert.ok(server.lines.some((l) => /joined \(browser\) with clients 0/.test(l)));
  } finally {
    await browser?.close();
    server.child.kill();
  }
  const simulated = await runFederation({ config: validate(RunConfigSchema, config), runDir: tmp() });
  assert.deepEqual([...readCheckpoint(runDir)!.params], [...simulated.params]);
});

test('a browser tab with an allow-listed node key joins a server that requires TLS and node keys; a tab without one is refused', { skip, timeout: 120_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `QFL_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}`);
  const { chromium } = await import('playwright-core');
  const dir = tmp();
  const certs = join(dir, 'certs');
  writeDevCertificates(certs, { hosts: [] });
  writeNodeKey(certs, 'tab-key', new Set([0]));
  writeNodeKey(certs, 'node1', new Set([1]));
  const small = { ...config, name: 'browser-keys', federation: { clients: 2, rounds: 1 }, strategy: { ...config.strategy, min_fit_clients: 2, min_evaluate_clients: 2 } };
  const path = join(dir, 'config.yaml');
  writeFileSync(path, stringify(small));
  const runDir = join(dir, 'run');
  const tls = ['--tls-cert', join(certs, 'server.pem'), '--tls-key', join(certs, 'server-key.pem'), '--allowlist', join(certs, ALLOWLIST_FILE)];
  const server = qfl(['server', path, ...tls, '--host', '127.0.0.1', '--port', '0', '--ui-port', '0', '--serve-partitions', '--out', runDir, '--wait-timeout', '90']);
  const url = await serverUrl(server);
  // With TLS on, the dashboard (and the Fleet service mounted on it) is HTTPS with the server's dev
  // certificate: a secure context, so the worker has crypto.subtle. The browser is told to accept
  // that certificate (a user would trust ca.pem instead).
  const dashboard = /dashboard: (\S+)/.exec(await server.waitFor(/dashboard: https/))![1]!;
  let browser: BrowserContext | undefined;
  try {
    browser = await chromium.launchPersistentContext(tmp('qfl-chromium-'), { executablePath: CHROMIUM, args: ARGS, viewport: { width: 900, height: 700 }, ignoreHTTPSErrors: true });
    const errors: string[] = [];
    const open = async (query: string) => {
      const page = await browser!.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${dashboard}join/?${query}`);
      return page;
    };
    const waitState = async (page: Page, re: RegExp) => {
      const deadline = Date.now() + 90_000;
      while (!re.test(await text(page, '#state')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return text(page, '#state');
    };
    const keyless = await open('clients=0&name=tab-nokey');
    await keyless.click('#go');
    assert.match(await waitState(keyless, /^error/), /register refused: node tab-nokey: its key \(none\) is not on the server's allow-list/);

    const keyed = await open('clients=0');
    await keyed.setInputFiles('#key', join(certs, 'tab-key.key'));
    assert.equal(await keyed.inputValue('#name'), 'tab-key', 'the key file names the node');
    await keyed.click('#go');
    // The server waits for client 1's node: meanwhile the dashboard lists the tab as a connected browser node.
    const board = await browser.newPage();
    board.on('pageerror', (e) => errors.push(e.message));
    await board.goto(dashboard);
    const row = board.locator('#nodes tr[data-node="tab-key"]');
    await row.locator('text=connected').waitFor({ timeout: 60_000 });
    assert.match(await row.innerText(), /tab-key[\s\S]*browser[\s\S]*\b0\b[\s\S]*connected/);
    const out = resolve('test-output');
    mkdirSync(out, { recursive: true });
    await board.locator('#card-nodes').screenshot({ path: join(out, 'dashboard-nodes.png') });
    const node = qfl(['client', '--server', url, '--ca', join(certs, 'ca.pem'), '--key', join(certs, 'node1.key'), '--partition', '1', '--name', 'node1']);
    assert.equal(await server.exited, 0, server.lines.join('\n'));
    assert.equal(await node.exited, 0, node.lines.join('\n'));
    assert.equal(await waitState(keyed, /^(finished|error)/), 'finished', await text(keyed, '#log'));
    assert.deepEqual(errors, []);
    assert.ok(server.lines.some((l) => /node tab-key#\d+ joined \(browser\) with clients 0/.test(l)), server.lines.join('\n'));
  } finally {
    await browser?.close();
    server.child.kill();
  }
  const simulated = await runFederation({ config: validate(RunConfigSchema, small), runDir: tmp() });
  assert.deepEqual([...readCheckpoint(runDir)!.params], [...simulated.params]);
  rmSync(dir, { recursive: true, force: true });
});
