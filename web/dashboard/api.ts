import type { DashboardInfo, NetworkView, RunList, RunSnapshot, StreamMessage } from '../../src/ui/protocol.js';

/** The dashboard server's endpoints (src/ui/protocol.ts). */

async function get<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const q = (run: string) => `run=${encodeURIComponent(run)}`;

export const info = () => get<DashboardInfo>('/api/info');
export const runs = () => get<RunList>('/api/runs');
export const run = (id: string) => get<RunSnapshot>(`/api/run?${q(id)}`);
export const network = (id: string) => get<NetworkView>(`/api/network?${q(id)}`);

/**
 * Follows a run: `onMessage` gets the snapshot, then each change. The
 * browser reconnects by itself after an error (a fresh snapshot follows);
 * after `closing` (the run's process is done) it stops.
 */
export function follow(id: string, onMessage: (m: StreamMessage) => void, onConnection: (up: boolean) => void): () => void {
  const es = new EventSource(`/api/events?${q(id)}`);
  es.onopen = () => onConnection(true);
  es.onerror = () => onConnection(false);
  es.onmessage = (ev: MessageEvent<string>) => {
    const m = JSON.parse(ev.data) as StreamMessage;
    if (m.kind === 'closing') es.close();
    onMessage(m);
  };
  return () => es.close();
}
