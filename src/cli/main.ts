#!/usr/bin/env node
/**
 * The `qfl` command: a thin shell over the library. Each subcommand lives in
 * `commands/<name>.ts` and exports `run(argv): Promise<number>` (the exit code).
 * Errors are printed to stderr as one line naming the field; exit code 1
 * (2 for usage errors: unknown options, missing values).
 */
import { QflError } from '../util/errors.js';
import { systemErrorLine } from './system-errors.js';

type Command = { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> };

const COMMANDS: Record<string, Command> = {
  simulate: { summary: 'simulate an OpenQASM 2.0 file and print probabilities, expectation values or counts as JSON', load: () => import('./commands/simulate.js') },
  bench: { summary: 'measure speed: `qfl bench sim`', load: () => import('./commands/bench.js') },
  run: { summary: 'run a federation (or a sweep of them) from a config; writes a run directory with a report', load: () => import('./commands/run.js') },
  ui: { summary: 'the web dashboard of a run directory (followed live if still running) or of a directory of runs to compare: qfl ui RUN_DIR', load: () => import('./commands/ui.js') },
  report: { summary: 'regenerate the report of a run or sweep directory', load: () => import('./commands/report.js') },
  train: { summary: 'train one model centrally from a config (data, model, epochs) and report test accuracy', load: () => import('./commands/train.js') },
  study: { summary: 'studies beside federated runs: qfl study inversion CONFIG.yaml (gradient inversion, barren plateaus)', load: () => import('./commands/study.js') },
  qkd: { summary: 'QKD: key rate vs distance (decoy BB84, MDI-QKD) and a simulated BB84 session', load: () => import('./commands/qkd.js') },
  privacy: { summary: 'DP accounting: qfl privacy epsilon|noise (the runs\' RDP accountant, TF Privacy\'s flags)', load: () => import('./commands/privacy.js') },
  server: { summary: 'serve a federation config to nodes on other machines (gRPC over TLS, node keys)', load: () => import('./commands/server.js') },
  client: { summary: 'run one node of a served federation: qfl client --server URL --partition K', load: () => import('./commands/client.js') },
  kme: { summary: 'a QKD key-management entity (ETSI GS QKD 014 REST API) for a simulated QKD network: qfl kme --sae n0,n1 --tls-dir DIR', load: () => import('./commands/kme.js') },
  certs: { summary: 'make a development CA, server certificate and node keys for qfl server/client', load: () => import('./commands/certs.js') },
  demo: { summary: 'train a small quantum classifier to show the simulator at work', load: () => import('./commands/demo.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: qfl <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'qfl <command> --help' for a command's options.`;
}

let command = '';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  command = name ?? '';
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`qfl: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await cmd.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = 1;
    if (err instanceof QflError) console.error(`qfl: ${err.message}`);
    else if (err instanceof Error && String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) {
      // Usage mistakes (unknown option, missing value) from node:util parseArgs.
      console.error(`qfl ${command}: ${err.message}; see 'qfl ${command} --help'`);
      process.exitCode = 2;
    } else {
      const line = systemErrorLine(err, command);
      console.error(line ?? (err instanceof Error ? (err.stack ?? err.message) : String(err)));
    }
  },
);
