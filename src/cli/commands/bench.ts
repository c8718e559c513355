import { parseArgs } from 'node:util';
import { fail } from '../../util/errors.js';

interface BenchFlags {
  readonly clients?: number;
  readonly json?: boolean;
}

const SUITES: Record<string, { summary: string; run: (flags: BenchFlags) => Promise<unknown> }> = {
  sim: { summary: 'simulator: gate time vs memory floor, classifier forward and adjoint VJP', run: async () => (await import('../../bench/sim.js')).benchSim() },
  fl: { summary: 'federation: one round with 200 clients on MNIST, time split and peak memory', run: async () => (await import('../../bench/fl.js')).benchFl() },
  secagg: {
    summary: 'secure aggregation: an N-client SecAgg+ round vs plain FedAvg (--clients N, default 200; --json: one line); QKD post-processing throughput',
    run: async (f) => (await import('../../bench/secagg.js')).benchSecagg({ ...(f.clients !== undefined ? { clients: f.clients } : {}), ...(f.json ? { json: true } : {}) }),
  },
  server: { summary: 'deployment: a qfl server with 10/100/1000 simulated nodes on loopback: rounds/min, bytes/round, CPU, memory', run: async () => (await import('../../bench/server.js')).benchServer() },
  kme: { summary: 'qfl kme: key rate per link model; ETSI 014 call latency on loopback (mutual TLS and plain HTTP)', run: async () => (await import('../../bench/kme.js')).benchKme() },
  classical: { summary: 'classical layers: GEMM throughput, one LeNet-5 training step', run: async () => (await import('../../bench/classical.js')).benchClassical() },
};

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' }, clients: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(
      `usage: qfl bench [suite...] [--clients N] [--json]\n\nsuites (all when none is named):\n${Object.entries(SUITES).map(([k, s]) => `  ${k.padEnd(8)} ${s.summary}`).join('\n')}\n\n` +
        '  --clients N   clients of the secagg round (default 200)\n  --json        secagg: print one JSON line {"clients", "masked_ms", "plain_ms", "ratio", "bytes_per_client"}',
    );
    return 0;
  }
  const names = positionals.length > 0 ? positionals : Object.keys(SUITES);
  for (const name of names) if (!SUITES[name]) fail('suite', `unknown benchmark '${name}'; choose from ${Object.keys(SUITES).join(', ')}`);
  if ((values.clients !== undefined || values.json) && !(names.length === 1 && names[0] === 'secagg')) fail('--clients/--json', 'apply to the secagg suite only: qfl bench secagg --clients N --json');
  let clients: number | undefined;
  if (values.clients !== undefined) {
    clients = Number(values.clients);
    if (!(Number.isInteger(clients) && clients >= 3 && clients <= 10_000)) fail('--clients', `must be an integer in [3, 10000], got '${values.clients}'`);
  }
  const flags: BenchFlags = { ...(clients !== undefined ? { clients } : {}), ...(values.json ? { json: true } : {}) };
  for (const name of names) await SUITES[name]!.run(flags);
  return 0;
}
