import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readConfig } from '../../experiments/config.js';
import { createProgress } from '../../experiments/progress.js';
import { readRunEvents, summarizeRun, summaryCsv, summaryRow, writeRunReport, writeSweepReport, type SweepPoint } from '../../experiments/report/index.js';
import { RunConfigSchema, type RunConfig } from '../../experiments/run-schema.js';
import { configYaml, runFederation } from '../../experiments/runner.js';
import { expandSweep, type SweepPointConfig } from '../../experiments/sweep.js';
import { dryRunText, estimateRun } from '../../experiments/dry-run.js';
import { openTracking, teeMonitor, withTensorBoard } from '../../experiments/tracking/index.js';
import { checkResources, type ResourceLimits } from '../../experiments/limits.js';
import { checkByzantineBudget } from '../../experiments/byzantine-budget.js';
import { LIMIT_HELP, LIMIT_OPTIONS, limitArgs, limitsOf } from '../limit-flags.js';
import { writePaperReport } from '../../experiments/papers/index.js';
import type { Dashboard } from '../../ui/dashboard-server.js';
import { fail } from '../../util/errors.js';
import { openDashboard, parsePort } from './ui.js';

const HELP = `usage: qfl run CONFIG.yaml [options]

Runs the federation a config describes and writes a run directory:
config.yaml (resolved), events.jsonl, checkpoint.json, report.html, plots/.
A config with a 'sweep:' block runs every grid point (in parallel) under one
directory with summary.csv and summary.html; points already complete are
skipped when the sweep is run again.

While it runs, a web dashboard shows the run live (curves, clients, traffic,
keys, privacy, network); its address is printed at the start, and it closes
when the run ends (look again later with 'qfl ui RUN_DIR'). A sweep's
dashboard lists its points as they run.

options:
  --out DIR          run (or sweep) directory; default runs/NAME-TIMESTAMP
                     for a run, runs/NAME for a sweep
  --resume RUN_DIR   continue a run from its last complete round
  --set KEY=VALUE    override any config key (repeatable): --set federation.rounds=20
                     --set strategy.name=fedadam --set pipeline[0].max_norm=0.5; values
                     are YAML, checked like the file, recorded in the run's config.yaml
  --dry-run          print the resolved config and a measured estimate of memory and
                     time per round (one real local round of one client); writes nothing
  --tensorboard DIR  write TensorBoard event files to DIR/RUN_NAME/ (tracking.tensorboard):
                     one scalar per metric per round; view with tensorboard --logdir DIR
  --rollback         with --resume: continue from the previous checkpoint (one
                     round back) when the latest one is corrupt
${LIMIT_HELP}
  --allow-unsafe     run a robust aggregator against more attackers (config
                     attacks) than its f tolerates, with a warning, instead of refusing
  --rounds N         override federation.rounds
  --workers N        override runtime.workers (0: clients in this thread)
  --quiet            no progress output (the dashboard's address is still printed)
  --no-ui            no dashboard
  --ui-host H        dashboard address (default 127.0.0.1: this machine only)
  --ui-port P        dashboard port (default 8450 or the next free one; 0: any)
  -h, --help         show this help`;

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      resume: { type: 'string' },
      set: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      tensorboard: { type: 'string' },
      rollback: { type: 'boolean' },
      ...LIMIT_OPTIONS,
      'allow-unsafe': { type: 'boolean' },
      rounds: { type: 'string' },
      workers: { type: 'string' },
      quiet: { type: 'boolean' },
      'no-ui': { type: 'boolean' },
      'ui-host': { type: 'string' },
      'ui-port': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) fail('CONFIG', 'give exactly one config file: qfl run CONFIG.yaml');
  let config = readConfig(positionals[0]!, RunConfigSchema, values.set ?? []);
  config = applyOverrides(config, values.rounds, values.workers);
  if (values.tensorboard !== undefined) config = withTensorBoard(config, values.tensorboard);
  if (values['dry-run']) {
    if (config.sweep) fail('--dry-run', `a sweep runs ${expandSweep(config).length} points; dry-run one point's config (without sweep:)`);
    process.stdout.write(dryRunText(config, estimateRun(config)));
    return 0;
  }
  const limits = limitsOf(values);
  const uiPort = parsePort('--ui-port', values['ui-port']);
  const ui: UiOptions | undefined = values['no-ui']
    ? undefined
    : { ...(values['ui-host'] !== undefined ? { host: values['ui-host'] } : {}), ...(uiPort !== undefined ? { port: uiPort } : {}) };

  if (config.sweep) {
    if (values.resume) fail('--resume', 'a sweep resumes by itself: run the same command again');
    const unsafe = values['allow-unsafe'] ?? false;
    return runSweep(config, values.out ?? join('runs', config.name), values.quiet ?? false, ui, limits, [...limitArgs(values), ...(unsafe ? ['--allow-unsafe'] : [])], unsafe);
  }
  const runDir = values.resume ?? values.out ?? join('runs', `${config.name}-${stamp()}`);
  if (values.resume && values.out) fail('--out', 'cannot be combined with --resume (the run directory is RUN_DIR)');
  if (values.rollback && !values.resume) fail('--rollback', 'only goes with --resume RUN_DIR');
  const progress = createProgress(process.stderr, values.quiet ?? false);
  progress.log(`run directory: ${runDir}`);
  const dashboard = ui && (await startUi({ runDir, live: true, ...ui }));
  const onSigint = () => {
    progress.done();
    process.stderr.write(`\ninterrupted: the last complete round is saved; continue with\n  qfl run ${positionals[0]} --resume ${runDir}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  let result;
  let trackingError: unknown;
  const tracker = await openTracking(config, runDir, (l) => progress.log(l)).catch(async (e: unknown) => {
    await dashboard?.close();
    throw e;
  });
  try {
    const monitor = teeMonitor(dashboard?.monitor, tracker);
    result = await runFederation({ config, runDir, resume: values.resume !== undefined, rollback: values.rollback ?? false, limits, allowUnsafe: values['allow-unsafe'] ?? false, progress, monitor });
  } finally {
    // The page is told the run is over, and the server stops so the process can exit.
    await dashboard?.close();
    await tracker?.close().catch((e: unknown) => (trackingError = e));
  }
  process.off('SIGINT', onSigint);
  const report = await writeRunReport(runDir);
  const acc = result.final ? `, final accuracy ${(100 * result.final.accuracy).toFixed(2)} %` : '';
  console.log(`done: ${result.rounds} rounds${acc}. Report: ${report}`);
  if (trackingError !== undefined) {
    console.error(`qfl: tracking: ${trackingError instanceof Error ? trackingError.message : String(trackingError)}`);
    return 1;
  }
  return 0;
}


type UiOptions = { readonly host?: string; readonly port?: number };

/** Starts the dashboard and prints its address (also with --quiet: it is not progress). */
async function startUi(o: UiOptions & { runDir: string; live?: boolean }): Promise<Dashboard> {
  const ui = await openDashboard(o, { host: '--ui-host', port: '--ui-port' });
  process.stderr.write(`dashboard: ${ui.url}\n`);
  return ui;
}

function applyOverrides(config: RunConfig, rounds?: string, workers?: string): RunConfig {
  let c = config;
  if (rounds !== undefined) {
    const n = Number(rounds);
    if (!Number.isInteger(n) || n < 1) fail('--rounds', `must be a positive integer, got ${rounds}`);
    c = { ...c, federation: { ...c.federation, rounds: n } };
  }
  if (workers !== undefined) {
    const n = workers === 'auto' ? 'auto' : Number(workers);
    if (n !== 'auto' && (!Number.isInteger(n) || n < 0)) fail('--workers', `must be 'auto' or an integer >= 0, got ${workers}`);
    c = { ...c, runtime: { ...c.runtime, workers: n } };
  }
  return c;
}

const isComplete = (dir: string) => existsSync(join(dir, 'events.jsonl')) && summarizeRun(readRunEvents(dir)).status === 'finished';

/**
 * Runs every sweep point as its own `qfl run` process (points in parallel,
 * each with in-process clients), skipping points that already finished and
 * resuming points that stopped half way.
 */
async function runSweep(config: RunConfig, sweepDir: string, quiet: boolean, ui: UiOptions | undefined, limits: ResourceLimits, passLimits: readonly string[], allowUnsafe: boolean): Promise<number> {
  const points = expandSweep(config, limits);
  // Every point is checked here, before any process starts.
  for (const p of points) {
    checkResources({ ...p.config, runtime: { ...p.config.runtime, workers: 0 } }, limits);
    checkByzantineBudget(p.config, { allowUnsafe, warn: (l) => quiet || process.stderr.write(`  ${p.label}: ${l}\n`) });
  }
  mkdirSync(sweepDir, { recursive: true });
  // One dashboard on the sweep's directory lists its points as they run; the points run without their own.
  const dashboard = ui && (await startUi({ runDir: sweepDir, ...ui }));
  try {
    return await sweepPoints(config, sweepDir, points, quiet, passLimits);
  } finally {
    await dashboard?.close();
  }
}

async function sweepPoints(config: RunConfig, sweepDir: string, points: SweepPointConfig[], quiet: boolean, passLimits: readonly string[]): Promise<number> {
  // The sweep's own resolved config, so that `qfl report` can redo its paper report.
  writeFileSync(join(sweepDir, 'sweep.yaml'), configYaml(config));
  const parallel = config.sweep?.parallel ?? availableParallelism();
  const log = (s: string) => quiet || process.stderr.write(s + '\n');
  log(`sweep ${config.name}: ${points.length} points, ${parallel} at a time, in ${sweepDir}`);
  const cli = fileURLToPath(new URL('../main.js', import.meta.url));
  const children = new Set<ReturnType<typeof spawn>>();
  process.once('SIGINT', () => {
    for (const c of children) c.kill('SIGINT');
    process.stderr.write('\ninterrupted: completed points are kept; run the same command to continue\n');
    process.exit(130);
  });
  let next = 0;
  let failed = 0;
  const runPoint = async (p: SweepPointConfig): Promise<void> => {
    const dir = join(sweepDir, p.label);
    if (isComplete(dir)) {
      log(`  ${p.label}: already complete, skipped`);
      return;
    }
    mkdirSync(dir, { recursive: true });
    const cfgPath = join(dir, 'point.yaml');
    writeFileSync(cfgPath, configYaml({ ...p.config, runtime: { ...p.config.runtime, workers: 0 } }));
    const resume = existsSync(join(dir, 'checkpoint.json'));
    const args = [cli, 'run', cfgPath, '--quiet', '--no-ui', ...passLimits, ...(resume ? ['--resume', dir] : ['--out', dir])];
    const code = await new Promise<number>((done) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      children.add(child);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (c) => {
        children.delete(child);
        if (c !== 0) log(`  ${p.label}: failed (exit ${c}): ${err.trim().split('\n').slice(-3).join(' | ')}`);
        done(c ?? 1);
      });
    });
    if (code !== 0) failed++;
    else log(`  ${p.label}: done (${pointAccuracy(dir)})`);
  };
  const worker = async () => {
    while (next < points.length) await runPoint(points[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, points.length) }, worker));

  const sweepPoints: SweepPoint[] = points.map((p) => ({ label: p.label, dir: p.label, overrides: p.overrides }));
  const rows = sweepPoints.map((p) => summaryRow(p, summarizeRun(existsSync(join(sweepDir, p.dir, 'events.jsonl')) ? readRunEvents(join(sweepDir, p.dir)) : undefined)));
  writeFileSync(join(sweepDir, 'summary.csv'), summaryCsv(rows));
  const report = await writeSweepReport(sweepDir, sweepPoints);
  const extra = await writePaperReport(config, sweepDir, sweepPoints);
  console.log(
    `sweep done: ${points.length - failed}/${points.length} points. Summary: ${resolve(sweepDir, 'summary.csv')}; report: ${report}` +
      (extra ? `; ${config.report} report: ${extra}` : ''),
  );
  return failed > 0 ? 1 : 0;
}

function pointAccuracy(dir: string): string {
  const s = summarizeRun(readRunEvents(dir));
  return s.finalAccuracy !== undefined ? `accuracy ${(100 * s.finalAccuracy).toFixed(2)} %` : 'no accuracy';
}
