import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../../experiments/config.js';
import { createProgress } from '../../experiments/progress.js';
import { writeRunReport } from '../../experiments/report/index.js';
import { RunConfigSchema } from '../../experiments/run-schema.js';
import { appConfigOf, checkResumable, configYaml, runFederation } from '../../experiments/runner.js';
import { appendEvent } from '../../experiments/run-files.js';
import { readCheckpoint } from '../../fl/checkpoint.js';
import { DEFAULT_NORM_MULTIPLE } from '../../transport/plausibility.js';
import { checkResources } from '../../experiments/limits.js';
import { checkByzantineBudget } from '../../experiments/byzantine-budget.js';
import { LIMIT_HELP, LIMIT_OPTIONS, limitsOf } from '../limit-flags.js';
import { createClientApp } from '../../experiments/client-app.js';
import { fail } from '../../util/errors.js';
import { AllowList } from '../../transport/auth.js';
import { deploymentDp, deploymentPipeline } from '../../transport/deployment-noise.js';
import { FleetServer } from '../../transport/server.js';
import { numberFlag } from '../flags.js';
import { FleetService } from '../../transport/gen/qfl/fleet/v1/fleet_pb.js';
import { NodeRoster } from '../../ui/node-roster.js';
import { openDashboard, parsePort } from './ui.js';
import { openTracking, teeMonitor, withTensorBoard, type Tracker } from '../../experiments/tracking/index.js';
import { isCutConfig, runCutServer } from './cut-server.js';

const HELP = `usage: qfl server CONFIG.yaml [options]

A config with a cut_model: section (examples/cut-deploy.yaml) serves a
circuit cut over nodes started with \`qfl client --qubits N\` instead: the
server partitions it for the nodes' qubits, trains it by parameter shift
through the cut and runs the config's attack: sweep.

Runs the server side of a federation config (strategy, rounds, evaluation,
pipeline, defenses) and waits for nodes started with \`qfl client\` to host
its clients. Writes the same run directory as \`qfl run\` (events, checkpoint
after every round, report); continue a killed server with --resume: nodes
reconnect by themselves.

TLS and node authentication are on unless --insecure: make a development CA,
server certificate and node keys with \`qfl certs\`.

options:
  --tls-cert FILE        server certificate (PEM)
  --tls-key FILE         its private key (PEM)
  --allowlist FILE       node keys allowed to join (lines 'NAME BASE64KEY')
  --insecure             plaintext HTTP/2 and no node keys: local runs only
  --host HOST            address to listen on; default 0.0.0.0 (127.0.0.1 with --insecure)
  --port PORT            default 9092 (0: any free port, printed)
  --out DIR              run directory; default runs/NAME-TIMESTAMP
  --set KEY=VALUE        override a config key (repeatable; YAML values), as qfl run --set
  --tensorboard DIR      TensorBoard event files in DIR/RUN_NAME/ (tracking.tensorboard)
  --resume RUN_DIR       continue a run from its last complete round
  --wait-timeout S       seconds to wait for nodes to host every client before
                         a round starts; the run stops with a message after (default 300)
  --heartbeat S          interval nodes are asked to call in at (default 5)
  --silence-timeout S    a node silent this long is dropped from rounds (default 30)
  --node-grace S         a round whose clients' nodes are away (not connected,
                         dropped mid-task) waits up to S seconds for them to come
                         back, checking with backoff, before the task fails
                         (default: the config's runtime.node_grace_s, 10)
  --update-norm-multiple K
                         refuse (or clip) an update whose L2 norm is above K x the
                         round's median update norm (default 10; 0: no bound)
  --max-update-norm X    an absolute cap on that bound
  --on-large-update A    refuse (default) or clip an update above the bound
  --node-data            nodes train on data of their own (browser CSV files):
                         num_examples need not equal the server's partition
                         sizes, only lie in 1..(training set size)
  --rollback             with --resume: continue from the previous checkpoint
                         when the latest one is corrupt
${LIMIT_HELP}
  --allow-unsafe         run a robust aggregator against more attackers than its f
                         tolerates, with a warning, instead of refusing
  --max-message-mb MB    largest message in either direction (default: 64, or
                         4 models' worth if larger)
  --serve-partitions     send each node its clients' partitions of the config's
                         data (demos, browser tabs without data of their own)
  --no-ui                no dashboard
  --ui-host H            dashboard address (default 127.0.0.1: this machine only)
  --ui-port P            dashboard port (default 8450 or the next free one; 0: any)
  --ui-allowed-hosts L   comma-separated host names the dashboard answers to besides
                         this machine's addresses (it refuses other Host headers)

Every node result is checked before use: metrics finite and in range (accuracy
in [0, 1], loss in [0, 1e6]), num_examples equal to the client's partition
size, the update under the round's norm bound; each refusal is a 'refusal'
line in events.jsonl naming the node and the reason.

The dashboard also serves the Fleet service over HTTP/1.1
(Connect and gRPC-Web) and a page, DASHBOARD/join/, where a browser tab joins
the run as a client (with --serve-partitions it trains on the server's
partition for the client ids it picks, otherwise on a CSV file it is given,
with --node-data). With TLS on, the dashboard is HTTPS with the server's
certificate, so the Fleet service is never reachable without TLS. A tab can
be given a node key (NAME.key from qfl certs node NAME); it
needs the page in a secure context: https, or http from 127.0.0.1 / localhost.
  --quiet                no progress output
  -h, --help             show this help`;

const stamp = () => new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      allowlist: { type: 'string' },
      insecure: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      out: { type: 'string' },
      set: { type: 'string', multiple: true },
      tensorboard: { type: 'string' },
      resume: { type: 'string' },
      'wait-timeout': { type: 'string' },
      heartbeat: { type: 'string' },
      'silence-timeout': { type: 'string' },
      'node-grace': { type: 'string' },
      'update-norm-multiple': { type: 'string' },
      'max-update-norm': { type: 'string' },
      'on-large-update': { type: 'string' },
      'node-data': { type: 'boolean' },
      rollback: { type: 'boolean' },
      ...LIMIT_OPTIONS,
      'allow-unsafe': { type: 'boolean' },
      'ui-allowed-hosts': { type: 'string' },
      'max-message-mb': { type: 'string' },
      'serve-partitions': { type: 'boolean' },
      'no-ui': { type: 'boolean' },
      'ui-host': { type: 'string' },
      'ui-port': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) fail('CONFIG', 'give exactly one config file: qfl server CONFIG.yaml');
  // A cut model (circuit cutting across nodes, examples/cut-deploy.yaml) rather than a federation.
  if (isCutConfig(positionals[0]!)) return runCutServer(positionals[0]!, values);
  const insecure = values.insecure ?? false;
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined)) fail('--tls-cert', 'give both --tls-cert and --tls-key, or neither');
  if (!insecure && (cert === undefined || values.allowlist === undefined)) {
    fail('qfl server', 'TLS and node authentication are on by default: pass --tls-cert, --tls-key and --allowlist (make them with `qfl certs --out certs --nodes N`), or --insecure for a local run');
  }
  let config = readConfig(positionals[0]!, RunConfigSchema, values.set ?? []);
  if (values.tensorboard !== undefined) config = withTensorBoard(config, values.tensorboard);
  // Central DP noise from this server's OS CSPRNG: its nodes know the run seed (recorded in config.yaml).
  if (config.dp) config = { ...config, dp: deploymentDp(config.dp, `${positionals[0]}: dp`) };
  if (config.sweep) fail(positionals[0]!, 'has a sweep: block; qfl server runs one federation (use qfl run for sweeps)');
  if (config.secure_aggregation) {
    fail(`${positionals[0]}: secure_aggregation`, 'is simulated in-process only for now (`qfl run`); qfl server cannot run it across machines yet');
  }
  // Refused here too, not only by the nodes: the config would otherwise promise privacy the run cannot give.
  const pipeline = deploymentPipeline(config.pipeline, `${positionals[0]}: pipeline`);
  if (config.network) fail(`${positionals[0]}: network`, 'is a simulated space-air-ground network (`qfl run`); a deployed run uses the real network');
  if (values.resume && values.out) fail('--out', 'cannot be combined with --resume (the run directory is RUN_DIR)');

  const waitTimeout = numberFlag('--wait-timeout', values['wait-timeout'], 300, { min: 0 });
  const heartbeat = numberFlag('--heartbeat', values.heartbeat, 5, { min: 0.05 });
  const silence = numberFlag('--silence-timeout', values['silence-timeout'], 30, { min: 0.1 });
  if (silence <= heartbeat) fail('--silence-timeout', `must be longer than --heartbeat (${heartbeat} s), got ${silence}`);
  const port = numberFlag('--port', values.port, 9092, { min: 0, max: 65535, integer: true });
  const host = values.host ?? (insecure ? '127.0.0.1' : '0.0.0.0');
  const nodeGrace = numberFlag('--node-grace', values['node-grace'], config.runtime.node_grace_s, { min: 0 });
  const normMultiple = numberFlag('--update-norm-multiple', values['update-norm-multiple'], DEFAULT_NORM_MULTIPLE, { min: 0 });
  const maxNorm = values['max-update-norm'] === undefined ? undefined : numberFlag('--max-update-norm', values['max-update-norm'], 0, { min: 0 });
  const onLarge = values['on-large-update'] ?? 'refuse';
  if (onLarge !== 'refuse' && onLarge !== 'clip') fail('--on-large-update', `must be refuse or clip, got '${onLarge}'`);
  if (values.rollback && !values.resume) fail('--rollback', 'only goes with --resume RUN_DIR');

  const limits = limitsOf(values);
  checkResources(config, limits);
  checkByzantineBudget(config, { allowUnsafe: values['allow-unsafe'] ?? false, warn: (l) => process.stderr.write(`${l}\n`) });
  const runDir = values.resume ?? values.out ?? join('runs', `${config.name}-${stamp()}`);
  if (values.resume) {
    // Before listening: a wrong config or a corrupt checkpoint is found now, not after the nodes came.
    checkResumable(runDir, config);
    readCheckpoint(runDir, { rollback: values.rollback ?? false });
  }
  const progress = createProgress(process.stderr, values.quiet ?? false);
  const app = createClientApp(appConfigOf(config)); // fails early on a bad data or model section
  const paramCount = app.model().paramCount;
  const eventsPath = join(runDir, 'events.jsonl');
  const maxMb = numberFlag('--max-message-mb', values['max-message-mb'], Math.max(64, Math.ceil((4 * paramCount * 8) / 2 ** 20)), { min: 1 });
  let fleetChanged = () => {};
  const server = new FleetServer({
    host,
    port,
    ...(cert && key ? { tls: { cert, key } } : {}),
    ...(values.allowlist ? { allowList: AllowList.load(values.allowlist) } : {}),
    heartbeatIntervalS: heartbeat,
    silenceTimeoutS: silence,
    nodeGraceS: nodeGrace,
    plausibility: values['node-data']
      ? { nodeData: { maxExamples: app.partitionSizes().reduce((a, b) => a + b, 0) } }
      : { expectedExamples: (id, kind) => (kind === 'fit' ? app.trainData(id).n : app.testData(id).n) },
    ...(normMultiple > 0 || maxNorm !== undefined ? { norms: { normMultiple: normMultiple > 0 ? normMultiple : Infinity, ...(maxNorm !== undefined ? { maxNorm } : {}), action: onLarge } } : {}),
    onRefusal: (r) => {
      mkdirSync(runDir, { recursive: true });
      appendEvent(eventsPath, { type: 'refusal', time: new Date().toISOString(), ...r });
    },
    maxMessageBytes: Math.floor(maxMb * 2 ** 20),
    log: (line) => {
      progress.log(line);
      fleetChanged(); // the fleet logs every join and drop: the dashboard hears of them at once
    },
    ...(values['serve-partitions'] ? { partitions: (id: number) => ({ ...app.partition(id), range: app.range }) } : {}),
    run: {
      runId: createHash('sha256').update(configYaml(config)).update(basename(runDir)).digest('hex').slice(0, 16),
      name: config.name,
      appConfigJson: JSON.stringify(appConfigOf(config)),
      pipelineJson: JSON.stringify(pipeline),
      numClients: app.numClients,
      rounds: config.federation.rounds,
      numParameters: paramCount,
    },
  });
  const url = await server.listen();
  const uiPort = parsePort('--ui-port', values['ui-port']);
  const ui = values['no-ui']
    ? undefined
    : await openDashboard(
        {
          runDir,
          live: true,
          ...(values['ui-host'] !== undefined ? { host: values['ui-host'] } : {}),
          ...(uiPort !== undefined ? { port: uiPort } : {}),
          ...(values['ui-allowed-hosts'] ? { allowedHosts: values['ui-allowed-hosts'].split(',').map((h) => h.trim()).filter((h) => h !== '') } : {}),
          // Browser clients reach the Fleet service through the dashboard's HTTP/1.1 port. With TLS on,
          // that port is HTTPS with the server's own certificate, so no plain path bypasses TLS
          // (node keys are checked by the Fleet service itself, on either port).
          ...(cert && key ? { tls: { cert: readFileSync(cert), key: readFileSync(key) } } : {}),
          mounts: [{ prefix: `/${FleetService.typeName}/`, handle: server.handler }],
        },
        { host: '--ui-host', port: '--ui-port' },
      );
  if (ui) process.stderr.write(`dashboard: ${ui.url}  (browser clients join at ${ui.url}join/)\n`);
  progress.log(`qfl server: run ${config.name}, ${app.numClients} clients, ${config.federation.rounds} rounds; listening on ${url}${insecure && !cert ? ' (insecure: no TLS)' : ''}`);
  progress.log(`run directory: ${runDir}`);
  // The dashboard's node list: who is connected, when each was last heard from, its clients;
  // sent on each fleet change (a burst in one tick coalesced) and each second for the last-seen times.
  const roster = new NodeRoster();
  const showNodes = () => ui?.nodes(roster.update(server.fleet.list()));
  let queued = false;
  if (ui) {
    fleetChanged = () => {
      if (queued) return;
      queued = true;
      setImmediate(() => {
        queued = false;
        showNodes();
      });
    };
  }
  const nodesTimer = ui ? setInterval(showNodes, 1000) : undefined;
  nodesTimer?.unref();
  const stop = new AbortController();
  const onSigint = () => {
    progress.done();
    process.stderr.write(`\ninterrupted: the last complete round is saved; continue with\n  qfl server ${positionals[0]} --resume ${runDir} ...\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSigint);
  let tracker: Tracker | undefined;
  try {
    const clientIds = Array.from({ length: app.numClients }, (_, i) => i);
    progress.log(`waiting up to ${waitTimeout} s for nodes to host clients 0..${app.numClients - 1}`);
    await server.fleet.waitForClients(clientIds, waitTimeout, stop.signal);
    tracker = await openTracking(config, runDir, (l) => progress.log(l));
    const result = await runFederation({ config, runDir, resume: values.resume !== undefined, rollback: values.rollback ?? false, limits, allowUnsafe: values['allow-unsafe'] ?? false, progress, executor: server.executor(), monitor: teeMonitor(ui, tracker) });
    await tracker?.close();
    tracker = undefined;
    await server.finish();
    showNodes();
    const report = await writeRunReport(runDir);
    const acc = result.final ? `, final accuracy ${(100 * result.final.accuracy).toFixed(2)} %` : '';
    console.log(`done: ${result.rounds} rounds${acc}. Report: ${report}`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await tracker?.close().catch(() => {});
    clearInterval(nodesTimer);
    await ui?.close();
    await server.close();
  }
}
