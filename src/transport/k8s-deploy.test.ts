import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import { K8S_SECRET_NAMES } from './k8s-secrets.js';
import { freePort } from './testing.js';

/*
 * deploy/k8s: the manifests are validated against the Kubernetes JSON schemas
 * of the kubernetes-models package (generated from Kubernetes' OpenAPI), and
 * then run on loopback: each container's command, args and env exactly as the
 * manifests give them ($(VAR) expanded as the kubelet does), with every
 * volume materialized from the Secrets `qfl certs --k8s` writes and the
 * ConfigMap. What differs from a cluster, and only that: mount paths and /app
 * map to folders here, the Service name to 127.0.0.1 and port 9092 to a free
 * one, two of the Job's indices run (not all), and run.yaml is a small
 * federation with as many clients as those two nodes host.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'dist', 'cli', 'main.js');
type Doc = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };

function readDocs(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], path);
    return d.toJS() as Doc;
  });
}

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': core.ConfigMap,
  'v1/Secret': core.Secret,
  'v1/Service': core.Service,
  'apps/v1/Deployment': apps.Deployment,
  'batch/v1/Job': batch.Job,
};

function validateDoc(d: Doc): void {
  const Model = MODELS[`${d.apiVersion}/${d.kind}`];
  assert.ok(Model, `no schema for ${d.apiVersion} ${d.kind}`);
  new Model(d as never).validate();
}

const manifests = () => readdirSync(join(root, 'deploy', 'k8s')).filter((f) => f.endsWith('.yaml')).flatMap((f) => readDocs(join(root, 'deploy', 'k8s', f)));

function withDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-k8s-'));
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/** `qfl certs --k8s` as the README runs it: node-k's key may host the clients of partition index k. */
function certsK8s(dir: string, nodes: number, perNode: number): Doc[] {
  const r = spawnSync(process.execPath, [cli, 'certs', '--out', dir, '--hosts', 'qfl-server', '--nodes', String(nodes), '--clients-per-node', String(perNode), '--k8s'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /kubectl apply -f .*k8s-secrets\.yaml/);
  return readDocs(join(dir, 'k8s-secrets.yaml'));
}

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string }; emptyDir?: object }[];
}
const podSpec = (d: Doc): PodSpec => (d['spec'] as { template: { spec: PodSpec } }).template.spec;

describe('deploy/k8s manifests', () => {
  test('every document validates against the Kubernetes schemas, and so do the Secrets of qfl certs --k8s', () =>
    withDir((dir) => {
      const docs = manifests();
      assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort(), ['ConfigMap/qfl-config', 'Deployment/qfl-server', 'Job/qfl-nodes', 'Service/qfl-server']);
      docs.forEach(validateDoc);
      const secrets = certsK8s(dir, 3, 100);
      secrets.forEach(validateDoc);
      assert.deepEqual(secrets.map((s) => s.metadata.name), Object.values(K8S_SECRET_NAMES));
      assert.deepEqual(Object.keys(secrets[3]!['data'] as object), ['node-0.key', 'node-1.key', 'node-2.key']);
      assert.equal(secrets[0]!['type'], 'kubernetes.io/tls');
      // A broken document is refused by the same check (the schemas are not a formality).
      const job = docs.find((d) => d.kind === 'Job')!;
      assert.throws(() => validateDoc({ ...job, spec: { ...(job['spec'] as object), completions: 'twenty' } }), /completions must be integer/);
    }));

  test('the node Job is Indexed, its completion index picks partition and key, and it hosts exactly federation.clients', () => {
    const docs = manifests();
    const job = docs.find((d) => d.kind === 'Job')!;
    const spec = job['spec'] as { completionMode: string; completions: number };
    assert.equal(spec.completionMode, 'Indexed');
    const node = podSpec(job).containers[0]!;
    const args = node.args!;
    assert.equal(args[args.indexOf('--partition-index') + 1], '$(JOB_COMPLETION_INDEX)');
    assert.equal(args[args.indexOf('--key') + 1], '/etc/qfl/node-keys/node-$(JOB_COMPLETION_INDEX).key');
    const perNode = Number(args[args.indexOf('--partitions-per-node') + 1]);
    const config = readDocs(join(root, 'deploy', 'k8s', 'config.yaml'))[0]!['data'] as { 'run.yaml': string };
    const clients = (parseAllDocuments(config['run.yaml'])[0]!.toJS() as { federation: { clients: number } }).federation.clients;
    assert.equal(spec.completions * perNode, clients);
    // Every pod runs as a non-root user with no privilege escalation.
    for (const d of docs.filter((x) => x.kind === 'Job' || x.kind === 'Deployment')) {
      const pod = (d['spec'] as { template: { spec: { securityContext: { runAsNonRoot: boolean; runAsUser: number } } } }).template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      for (const c of podSpec(d).containers) assert.equal((c as unknown as { securityContext: { allowPrivilegeEscalation: boolean } }).securityContext.allowPrivilegeEscalation, false);
    }
  });

  test('the Dockerfile is multi-stage from a Node 20 image and runs as a non-root user', () => {
    const text = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
    const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const f of froms) assert.match(f, /^node:20[-.]/);
    assert.match(text, /^USER 1000:1000$/m);
    assert.match(text, /^ENTRYPOINT \["node", "\/app\/dist\/cli\/main\.js"\]$/m);
  });
});

/** The kubelet's $(VAR) expansion of command and args (unknown names stay as written). */
const expand = (s: string, env: Record<string, string>) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, k: string) => env[k] ?? m);

interface Pod {
  argv: string[];
  env: Record<string, string>;
}

/** Materializes a pod's volumes under `dir` and returns its container's argv and env as they run here. */
function podHere(spec: PodSpec, dir: string, objects: Doc[], fields: Record<string, string>, port: number, runYaml: string): Pod {
  const c = spec.containers[0]!;
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) env[e.name] = fields[e.valueFrom.fieldRef.fieldPath] ?? assert.fail(`no value for ${e.valueFrom.fieldRef.fieldPath}`);
  }
  const paths: [string, string][] = [['/app', root.replace(/\/$/, '')]];
  for (const m of c.volumeMounts ?? []) {
    const v = spec.volumes!.find((x) => x.name === m.name)!;
    const here = join(dir, m.mountPath);
    mkdirSync(here, { recursive: true });
    if (v.secret || v.configMap) {
      const name = v.secret?.secretName ?? v.configMap!.name;
      const obj = objects.find((o) => o.metadata.name === name && o.kind === (v.secret ? 'Secret' : 'ConfigMap'));
      assert.ok(obj, `volume ${v.name} names ${name}, which neither qfl certs --k8s nor deploy/k8s defines`);
      for (const [key, value] of Object.entries(obj['data'] as Record<string, string>)) {
        writeFileSync(join(here, key), v.secret ? Buffer.from(value, 'base64') : key === 'run.yaml' ? runYaml : value);
      }
    }
    paths.push([m.mountPath, here]);
  }
  // Longest mount path first, so /var/lib/qfl/run maps under /var/lib/qfl.
  paths.sort((a, b) => b[0].length - a[0].length);
  // One pass over all mount paths (a path that starts with a mapped folder is never mapped twice).
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?<![\\w/.-])(${paths.map(([from]) => esc(from)).join('|')})(?=/|[^\\w.-]|$)`, 'g');
  const target = new Map(paths);
  const local = (s: string) =>
    s
      .replaceAll('qfl-server:9092', `127.0.0.1:${port}`)
      .replace(/--port 9092\b/g, `--port ${port}`)
      .replace(pattern, (m) => target.get(m)!);
  const argv = [...(c.command ?? ['node', '/app/dist/cli/main.js']), ...(c.args ?? [])].map((a) => local(expand(a, env)));
  return { argv, env };
}

function start(p: Pod): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  let out = '';
  const child = spawn(p.argv[0]!, p.argv.slice(1), {
    env: { ...process.env, ...p.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return { child, output: () => out, exit };
}

describe('deploy/k8s on loopback', () => {
  test('the server Deployment and two indices of the node Job, as the manifests run them, finish a federation; a restarted server idles', { timeout: 600_000 }, () =>
    withDir(async (dir) => {
      const docs = manifests();
      const job = docs.find((d) => d.kind === 'Job')!;
      const deployment = docs.find((d) => d.kind === 'Deployment')!;
      const nodeArgs = podSpec(job).containers[0]!.args!;
      const perNode = Number(nodeArgs[nodeArgs.indexOf('--partitions-per-node') + 1]);
      const nodes = 2;
      const secrets = certsK8s(join(dir, 'certs'), nodes, perNode);
      const objects = [...docs, ...secrets];
      const runYaml = stringify({
        name: 'k8s-loopback', seed: 2,
        data: { name: 'magic', qubits: 3, samples: 12 * nodes * perNode },
        model: { kind: 'qstate', layers: 1 },
        federation: { clients: nodes * perNode, rounds: 2 },
        strategy: { fraction_fit: 0.05, min_fit_clients: 5 },
        local: { epochs: 1, batch_size: 8, lr: 0.05 },
        runtime: { client_timeout_s: 300, retries: 1 },
      });
      const port = await freePort();
      const serverPod = podHere(podSpec(deployment), join(dir, 'server'), objects, {}, port, runYaml);
      const server = start(serverPod);
      const nodePods = Array.from({ length: nodes }, (_, i) =>
        start(podHere(podSpec(job), join(dir, `node-${i}`), objects, { "metadata.annotations['batch.kubernetes.io/job-completion-index']": String(i) }, port, runYaml)),
      );
      const codes = await Promise.all([server.exit, ...nodePods.map((n) => n.exit)]);
      assert.deepEqual(codes, [0, ...nodePods.map(() => 0)], `server:\n${server.output()}\nnode 0:\n${nodePods[0]!.output()}`);
      assert.match(server.output(), /done: 2 rounds/);
      nodePods.forEach((n, i) => assert.match(n.output(), new RegExp(`node-${i}: done: \\d+ fit`)));
      const runDir = join(dir, 'server', 'var', 'lib', 'qfl', 'run');
      const events = readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; clients?: number });
      assert.equal(events[0]!.clients, nodes * perNode);
      assert.equal(events.filter((e) => e.type === 'round').length, 2);
      assert.equal(events.at(-1)!.type, 'end');

      // The container restarts (Deployment): the finished run is kept, and the server idles instead of starting over.
      const again = start(serverPod);
      await new Promise<void>((done) => {
        const t = setInterval(() => {
          if (/has finished/.test(again.output())) {
            clearInterval(t);
            done();
          }
        }, 50);
      });
      again.child.kill('SIGTERM');
      await again.exit;
      assert.equal(readFileSync(join(runDir, 'events.jsonl'), 'utf8').trim().split('\n').length, events.length);
    }));
});
