import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readConfig } from '../../experiments/config.js';
import { createProgress } from '../../experiments/progress.js';
import { CutDeploySchema, cutDeployData, runCutDeploy, type StudyRate } from '../../experiments/cut-deploy.js';
import { writeCutDeployReport } from '../../experiments/cut-deploy-report.js';
import { runSubCircuit } from '../../quantum/cutting/subcircuit.js';
import { perturbationHook } from '../../security/attacks/cut-node.js';
import { replicaFlagRate } from '../../security/attacks/cut-perturbation.js';
import { AllowList } from '../../transport/auth.js';
import { fleetCutBackend } from '../../transport/cut-server.js';
import { FleetServer } from '../../transport/server.js';
import { fail } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { numberFlag } from '../flags.js';

/** A config with a top-level `cut_model:` is a cut deployment (examples/cut-deploy.yaml), not a federation. */
export function isCutConfig(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    const raw = parse(readFileSync(path, 'utf8')) as unknown;
    return typeof raw === 'object' && raw !== null && 'cut_model' in raw;
  } catch {
    return false;
  }
}

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

/**
 * `qfl server CUT-CONFIG.yaml`: serves a cut model to nodes started with
 * `qfl client --qubits N`, trains it through the cut, then runs the
 * attack sweep; writes RUN_DIR/{config.yaml, events.jsonl, result.json, report.html}.
 */
export async function runCutServer(configPath: string, values: Readonly<Record<string, string | boolean | string[] | undefined>>): Promise<number> {
  const spec = readConfig(configPath, CutDeploySchema);
  const str = (k: string) => values[k] as string | undefined;
  if (values.resume) fail('--resume', 'a cut deployment does not resume yet; start it again');
  const insecure = values.insecure === true;
  const cert = str('tls-cert');
  const key = str('tls-key');
  if ((cert === undefined) !== (key === undefined)) fail('--tls-cert', 'give both --tls-cert and --tls-key, or neither');
  if (!insecure && (cert === undefined || str('allowlist') === undefined)) {
    fail('qfl server', 'TLS and node authentication are on by default: pass --tls-cert, --tls-key and --allowlist (make them with `qfl certs --out certs --nodes N`), or --insecure for a local run');
  }
  const heartbeat = numberFlag('--heartbeat', str('heartbeat'), 5, { min: 0.05 });
  const silence = numberFlag('--silence-timeout', str('silence-timeout'), 30, { min: 0.1 });
  if (silence <= heartbeat) fail('--silence-timeout', `must be longer than --heartbeat (${heartbeat} s), got ${silence}`);
  const waitTimeout = numberFlag('--wait-timeout', str('wait-timeout'), spec.nodes.wait_timeout_s, { min: 0 });
  const runDir = str('out') ?? join('runs', `${spec.name}-${stamp()}`);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'config.yaml'), stringify(spec));
  const eventsPath = join(runDir, 'events.jsonl');
  writeFileSync(eventsPath, '');
  const progress = createProgress(process.stderr, values.quiet === true);
  const server = new FleetServer({
    host: str('host') ?? (insecure ? '127.0.0.1' : '0.0.0.0'),
    port: numberFlag('--port', str('port'), 9092, { min: 0, max: 65535, integer: true }),
    ...(cert && key ? { tls: { cert, key } } : {}),
    ...(str('allowlist') ? { allowList: AllowList.load(str('allowlist')!) } : {}),
    heartbeatIntervalS: heartbeat,
    silenceTimeoutS: silence,
    maxMessageBytes: Math.floor(numberFlag('--max-message-mb', str('max-message-mb'), 64, { min: 1 }) * 2 ** 20),
    log: (line) => progress.log(line),
    run: {
      runId: createHash('sha256').update(stringify(spec)).update(basename(runDir)).digest('hex').slice(0, 16),
      name: spec.name,
      appConfigJson: JSON.stringify(spec),
      pipelineJson: '[]',
      numClients: 0,
      // Training steps (one round each); the attack phases follow.
      rounds: Math.ceil(spec.data.train_limit / spec.train.batch_size) * spec.train.epochs,
      numParameters: 0,
    },
  });
  const url = await server.listen();
  progress.log(`qfl server: cut model ${spec.name} (${spec.cut_model.qubits} qubits); listening on ${url}${insecure && !cert ? ' (insecure: no TLS)' : ''}`);
  progress.log(`run directory: ${runDir}`);
  const stop = new AbortController();
  const onSigint = () => {
    progress.done();
    process.stderr.write('\ninterrupted\n');
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  try {
    const backend = fleetCutBackend({
      fleet: server.fleet,
      waitTimeoutS: waitTimeout,
      taskTimeoutS: spec.nodes.task_timeout_s,
      log: (l) => progress.log(l),
      event: (e) => appendFileSync(eventsPath, JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n'),
      signal: stop.signal,
    });
    const study: StudyRate | undefined = spec.attack
      ? (model, weights, x, n, eps) => {
          const a = spec.attack!;
          const ft = model.tasks.find((t) => t.node === a.node)!;
          const rng = new Rng(spec.seed + 7);
          const f = x.length / n;
          let sum = 0;
          for (let s = 0; s < n; s++) {
            const row = x.subarray(s * f, (s + 1) * f);
            const honest = runSubCircuit(ft.task, weights, 1, row, 1);
            const tampered = runSubCircuit(ft.task, weights, 1, row, 1, { insert: perturbationHook({ pauli: a.pauli, eps, mode: a.mode }) });
            sum += replicaFlagRate(tampered, honest, a.shots, 400, spec.detectors.false_alarm, rng);
          }
          return sum / n;
        }
      : undefined;
    const result = await runCutDeploy(spec, backend, cutDeployData(spec), study);
    await server.finish();
    const report = await writeCutDeployReport(runDir, spec, result);
    console.log(`done: cut accuracy ${(100 * result.cutAccuracy).toFixed(2)} %, uncut ${(100 * result.uncutAccuracy).toFixed(2)} %. Report: ${report}`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await server.close();
  }
}
