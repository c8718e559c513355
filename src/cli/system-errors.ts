/** What the system said, as one line naming the path or port: disk full, read-only, no permission, port taken. */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EADDRINUSE: 'the port is in use (another process listens there; give another with --port, or 0 for any)',
  EADDRNOTAVAIL: 'that address is not one of this machine',
  EMFILE: 'too many open files',
};

export function systemErrorLine(err: unknown, command: string): string | undefined {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const why = typeof e?.code === 'string' ? SYSTEM_ERRORS[e.code] : undefined;
  if (why === undefined) return undefined;
  const where = e.path ?? (e.port !== undefined ? `${e.address ?? ''}:${e.port}` : (e.syscall ?? 'qfl'));
  return `qfl ${command}: ${where}: ${why} (${e.code})`;
}
