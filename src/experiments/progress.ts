/**
 * Progress of a run on the terminal: one line rewritten in place on a TTY
 * (round, clients done, ETA, last accuracy), plain log lines otherwise (CI,
 * files, pipes).
 */
export interface ProgressState {
  readonly name: string;
  readonly round: number;
  readonly rounds: number;
  readonly clientsDone: number;
  readonly clientsTotal: number;
  /** Seconds per round so far, for the ETA. */
  readonly secondsPerRound?: number;
  readonly lastAccuracy?: number;
}

export interface Progress {
  update(s: ProgressState): void;
  /** A line that stays (a finished round, a warning). */
  log(line: string): void;
  done(): void;
}

const fmtEta = (s: number): string =>
  s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;

export function describe(s: ProgressState): string {
  const parts = [`${s.name}: round ${s.round}/${s.rounds}`, `clients ${s.clientsDone}/${s.clientsTotal}`];
  if (s.secondsPerRound !== undefined) {
    const left = (s.rounds - s.round + (s.clientsDone < s.clientsTotal ? 1 : 0)) * s.secondsPerRound;
    parts.push(`ETA ${fmtEta(Math.max(0, left))}`);
  }
  if (s.lastAccuracy !== undefined) parts.push(`acc ${(100 * s.lastAccuracy).toFixed(2)} %`);
  return parts.join('  ');
}

/** A progress display for `stream`: live on a TTY, plain lines elsewhere, silent when `quiet`. */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  if (quiet) return { update: () => {}, log: () => {}, done: () => {} };
  if (!stream.isTTY) {
    return { update: () => {}, log: (line) => stream.write(line + '\n'), done: () => {} };
  }
  let live = '';
  const clear = () => {
    if (live) stream.write('\r\x1b[2K');
    live = '';
  };
  return {
    update: (s) => {
      clear();
      live = describe(s).slice(0, (stream.columns || 100) - 1);
      stream.write(live);
    },
    log: (line) => {
      const keep = live;
      clear();
      stream.write(line + '\n');
      if (keep) {
        live = keep;
        stream.write(live);
      }
    },
    done: clear,
  };
}
