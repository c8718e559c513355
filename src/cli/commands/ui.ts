import { parseArgs } from 'node:util';
import { startDashboard, type Dashboard, type DashboardOptions, type ListenOptions } from '../../ui/dashboard-server.js';
import { fail, QflError } from '../../util/errors.js';

const HELP = `usage: qfl ui PATH [options]

Serves the web dashboard of a run directory, read-only: its config, rounds,
accuracy and loss curves, clients, traffic, keys, privacy budget and
network. A run still being written (by 'qfl run' elsewhere) is followed as
it goes. PATH may also be a directory of runs (a sweep, or runs/): a table
of its runs whose curves can be ticked to compare side by side.
Stays up until Ctrl-C.

options:
  --host H     address to listen on (default 127.0.0.1: this machine only;
               0.0.0.0 opens it to the network)
  --port P     port (default 8450, else the next free one of the next few,
               else any free one; 0: any free port)
  -h, --help   show this help`;

/** A port from the command line: an integer in 0..65535. */
export function parsePort(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535 || value.trim() === '') fail(flag, `must be a port number 0..65535 (0: any free port), got '${value}'`);
  return n;
}

/** Starts a dashboard, naming the command's own flags in errors about the address. */
export async function openDashboard(o: DashboardOptions & ListenOptions, flags: { host: string; port: string }): Promise<Dashboard> {
  try {
    return await startDashboard(o);
  } catch (e) {
    if (e instanceof QflError && (e.field === 'host' || e.field === 'port')) fail(e.field === 'host' ? flags.host : flags.port, e.detail);
    throw e;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) fail('PATH', 'give exactly one run directory or directory of runs: qfl ui runs/NAME');
  const port = parsePort('--port', values.port);
  const ui = await openDashboard(
    { runDir: positionals[0]!, ...(values.host !== undefined ? { host: values.host } : {}), ...(port !== undefined ? { port } : {}) },
    { host: '--host', port: '--port' },
  );
  const what = ui.mode === 'run' ? `run ${positionals[0]}` : `runs under ${positionals[0]}`;
  console.log(`dashboard: ${ui.url} (${what}, read-only; Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await ui.close();
  return 0;
}
