#!/usr/bin/env node
/**
 * Bundles the dashboard's page (web/dashboard: TypeScript + uPlot) with
 * esbuild into one folder the dashboard server serves (src/ui/dashboard-server.ts):
 * index.html, app.js (one IIFE, uPlot included) and app.css (uPlot's CSS and
 * ours), and the browser client's join page (web/client) under join/.
 * Nothing is fetched at run time.
 *
 *   node scripts/build-web.mjs [OUT_DIR] [--no-check]
 *
 * OUT_DIR defaults to dist/ui/web (next to the compiled dashboard-server.js).
 * The page is type-checked first (tsc -p web/tsconfig.json, about 2 s);
 * --no-check skips that.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const check = !args.includes('--no-check');
const out = resolve(args.find((a) => !a.startsWith('--')) ?? join(root, 'dist/ui/web'));
const src = join(root, 'web/dashboard');

if (check) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const project of ['web/tsconfig.json', 'web/client/tsconfig.json']) {
    const r = spawnSync(process.execPath, [tsc, '-p', join(root, project)], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}

mkdirSync(out, { recursive: true });
for (const f of ['index.html', 'app.js', 'app.css', 'app.js.map', 'app.css.map']) rmSync(join(out, f), { force: true });
await build({
  entryPoints: [join(src, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(join(src, 'index.html'), join(out, 'index.html'));

// The browser client (web/client): the join page and its Web Worker, which
// runs the same node loop and client runtime as `qfl client`. Modules of src/
// that import node:* on paths a browser never takes (reading MNIST from disk)
// get a stub that throws if called.
const nodeStubs = {
  name: 'node-stubs',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (a) => ({
      contents: `module.exports = new Proxy({}, { get: (_, k) => (k === '__esModule' ? false : () => { throw new Error(${JSON.stringify(a.path)} + ' is not available in a browser'); }) });`,
      loader: 'js',
    }));
  },
};
const client = join(root, 'web/client');
const joinOut = join(out, 'join');
rmSync(joinOut, { recursive: true, force: true });
mkdirSync(joinOut, { recursive: true });
const common = { bundle: true, platform: 'browser', target: ['es2022'], minify: true, legalComments: 'eof', logLevel: 'warning' };
await build({ ...common, entryPoints: [join(client, 'main.ts')], outfile: join(joinOut, 'client.js'), format: 'iife' });
await build({ ...common, entryPoints: [join(client, 'worker.ts')], outfile: join(joinOut, 'worker.js'), format: 'esm', plugins: [nodeStubs] });
for (const f of ['index.html', 'client.css']) copyFileSync(join(client, f), join(joinOut, f));
const size = (f) => `${f} ${(statSync(join(out, f)).size / 1024).toFixed(1)} kB`;
const shown = relative(process.cwd(), out);
console.log(`dashboard page: ${shown.startsWith('..') ? out : shown || '.'}/ (${['index.html', 'app.js', 'app.css', 'join/client.js', 'join/worker.js'].map(size).join(', ')})`);
