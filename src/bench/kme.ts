import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KmeClient } from '../transport/kme/client.js';
import { linkModel, parseLinkSpec, resolveLinks, type LinkSpecInput } from '../transport/kme/links.js';
import { startKmeServer } from '../transport/kme/server.js';
import { KmeService } from '../transport/kme/service.js';
import { makeDevCertificates, makeSaeCertificate } from '../transport/certs.js';
import { Rng } from '../util/random.js';
import { fmt, nowMs, printTable } from './timing.js';

/**
 * `qfl kme` benchmark: (1) the secret-key rate of one link for each model
 * the KME serves (bits per second of key a pair of SAEs gets); (2) the
 * latency of the three ETSI 014 calls on loopback, one SAE calling at a time,
 * over mutual TLS and over plain HTTP, with key stores written to disk
 * atomically on every enc_keys and dec_keys (median and 95th percentile of
 * `REPEATS` calls after a warm-up).
 */
const REPEATS = 300;

const LINKS: { name: string; spec: LinkSpecInput }[] = [
  { name: 'decoy BB84, 10 km, 1 GHz', spec: { model: 'bb84-decoy', distance_km: 10 } },
  { name: 'decoy BB84, 50 km, 1 GHz', spec: { model: 'bb84-decoy', distance_km: 50 } },
  { name: 'decoy BB84, 100 km, 1 GHz', spec: { model: 'bb84-decoy', distance_km: 100 } },
  { name: 'decoy BB84, 10 km, eve on 50 %', spec: { model: 'bb84-decoy', distance_km: 10, eve: 0.5 } },
  { name: 'MDI-QKD, 50 km, 1 GHz', spec: { model: 'mdi', distance_km: 50 } },
  { name: 'MDI-QKD, 150 km, 1 GHz', spec: { model: 'mdi', distance_km: 150 } },
  { name: 'relay chain 2 x 25 km, 1e8 pairs/s', spec: { model: 'relay-chain', segments_km: [25, 25] } },
  { name: 'relay chain 4 x 25 km, 1e8 pairs/s', spec: { model: 'relay-chain', segments_km: [25, 25, 25, 25] } },
  { name: 'BB84 sessions, 10 km, 2e5 pulses at 1 MHz', spec: { model: 'bb84-session', distance_km: 10 } },
  { name: 'fixed rate (QuNetQFL 32.8 kbps)', spec: { model: 'rate', bits_per_second: 32_800 } },
];

function quantiles(times: number[]): { median: number; p95: number } {
  const s = [...times].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, p95: s[Math.floor(0.95 * (s.length - 1))]! };
}

async function latencies(tls: boolean): Promise<(string | number)[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'qfl-bench-kme-'));
  const saes = ['n0', 'n1'];
  const service = new KmeService({ kmeId: 'bench', saes, links: resolveLinks(saes, parseLinkSpec({ model: 'rate', bits_per_second: 1e7 }, 'l')), stateDir: dir, prefillSeconds: 1 });
  const dev = tls ? makeDevCertificates({ hosts: [] }) : undefined;
  const server = await startKmeServer(service, { host: '127.0.0.1', port: 0, ...(dev ? { tls: { cert: dev.serverCert, key: dev.serverKey, ca: dev.caCert } } : { insecure: true }) });
  const client = (sae: string) =>
    dev ? new KmeClient({ url: server.url, ca: dev.caCert, ...makeSaeCertificate(dev, sae) }) : new KmeClient({ url: server.url, saeId: sae });
  const master = client('n0');
  const slave = client('n1');
  try {
    const times = { status: [] as number[], enc: [] as number[], dec: [] as number[] };
    for (let k = 0; k < REPEATS + 20; k++) {
      let t = nowMs();
      await master.status('n1');
      const ts = nowMs() - t;
      t = nowMs();
      const { keys } = await master.getKeys('n1', { number: 1, size: 256 });
      const te = nowMs() - t;
      t = nowMs();
      await slave.getKeysWithIds('n0', [keys[0]!.key_ID]);
      const td = nowMs() - t;
      if (k >= 20) {
        times.status.push(ts);
        times.enc.push(te);
        times.dec.push(td);
      }
    }
    const mode = tls ? 'mutual TLS' : 'plain HTTP';
    return (
      [
        ['status', times.status],
        ['enc_keys (1 x 256 bits)', times.enc],
        ['dec_keys (1 key_ID)', times.dec],
      ] as const
    ).map(([call, t]) => {
      const q = quantiles(t);
      return [mode, call, fmt(q.median), fmt(q.p95)];
    });
  } finally {
    master.close();
    slave.close();
    await server.close();
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchKme(): Promise<void> {
  console.log('qfl kme: secret-key rate per link, from the models it serves');
  printTable(
    ['link', 'key bit/s', 'QBER %', 'served'],
    LINKS.map(({ name, spec }) => {
      const m = linkModel(parseLinkSpec(spec, 'link'), new Rng(1));
      return [name, m.bitsPerSecond > 0 ? m.bitsPerSecond.toExponential(3) : '0', (100 * m.qber).toFixed(2), m.refused === undefined ? 'yes' : 'refused'];
    }),
  );
  console.log('');
  console.log(`qfl kme: ETSI 014 call latency on loopback, one caller, ms (median and p95 of ${REPEATS} calls)`);
  printTable(['transport', 'call', 'median ms', 'p95 ms'], [...(await latencies(true)), ...(await latencies(false))]);
}
