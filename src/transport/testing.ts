import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * Test helpers: `qfl` processes on loopback whose output can be awaited line
 * by line, and free ports. Used by the transport tests and `qfl bench server`.
 */
export const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface Proc {
  readonly child: ChildProcess;
  /** Every stderr and stdout line so far. */
  readonly lines: string[];
  /** Resolves with the first line (past or future) matching `re`; rejects after `timeoutMs` or when the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

export function qfl(args: readonly string[], cwd?: string): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onData = (buf: { rest: string }) => (d: Buffer) => {
    buf.rest += d.toString();
    const parts = buf.rest.split('\n');
    buf.rest = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      for (const w of [...waiters]) {
        if (w.re.test(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    }
  };
  child.stdout!.on('data', onData({ rest: '' }));
  child.stderr!.on('data', onData({ rest: '' }));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor(re, timeoutMs = 30_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${lines.join('\n')}`)), timeoutMs);
        const w = {
          re,
          resolve: (l: string) => {
            clearTimeout(t);
            resolve(l);
          },
        };
        waiters.push(w);
        void exited.then((code) => {
          if (!waiters.includes(w)) return;
          clearTimeout(t);
          reject(new Error(`process exited (${code}) before a line matching ${re}; output:\n${lines.join('\n')}`));
        });
      });
    },
  };
}

/** A port that was free a moment ago (for servers that must come back on the same port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The URL a `qfl server` printed. */
export async function serverUrl(p: Proc): Promise<string> {
  const line = await p.waitFor(/listening on (https?:\/\/\S+)/);
  return /listening on (https?:\/\/\S+)/.exec(line)![1]!;
}
