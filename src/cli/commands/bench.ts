import { parseArgs } from 'node:util';
import { fail } from '../../util/errors.js';

const SUITES: Record<string, { summary: string; run: () => Promise<void> }> = {
  sim: { summary: 'simulator: gate time vs memory floor, classifier forward and adjoint VJP', run: async () => (await import('../../bench/sim.js')).benchSim() },
  fl: { summary: 'federation: one round with 200 clients on MNIST, time split and peak memory', run: async () => (await import('../../bench/fl.js')).benchFl() },
  secagg: { summary: 'secure aggregation: 200-client round vs plain FedAvg; QKD post-processing throughput', run: async () => (await import('../../bench/secagg.js')).benchSecagg() },
  server: { summary: 'deployment: a qfl server with 10/100/1000 simulated nodes on loopback: rounds/min, bytes/round, CPU, memory', run: async () => (await import('../../bench/server.js')).benchServer() },
  kme: { summary: 'qfl kme: key rate per link model; ETSI 014 call latency on loopback (mutual TLS and plain HTTP)', run: async () => (await import('../../bench/kme.js')).benchKme() },
  classical: { summary: 'classical layers: GEMM throughput, one LeNet-5 training step', run: async () => (await import('../../bench/classical.js')).benchClassical() },
};

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`usage: qfl bench [suite...]\n\nsuites (all when none is named):\n${Object.entries(SUITES).map(([k, s]) => `  ${k.padEnd(8)} ${s.summary}`).join('\n')}`);
    return 0;
  }
  const names = positionals.length > 0 ? positionals : Object.keys(SUITES);
  for (const name of names) if (!SUITES[name]) fail('suite', `unknown benchmark '${name}'; choose from ${Object.keys(SUITES).join(', ')}`);
  for (const name of names) await SUITES[name]!.run();
  return 0;
}
