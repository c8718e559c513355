import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CERT_FILES } from '../../transport/certs.js';
import { LINK_MODELS, parseLinkSpec, parseSaeList, readTopology, resolveLinks, type LinkSpec } from '../../transport/kme/links.js';
import { startKmeServer } from '../../transport/kme/server.js';
import { DEFAULT_LIMITS, KmeService } from '../../transport/kme/service.js';
import { isSaeId } from '../../transport/kme/etsi014.js';
import { fail } from '../../util/errors.js';
import { numberFlag } from '../flags.js';
import { parsePort } from './ui.js';

const HELP = `usage: qfl kme --sae ID1,ID2,... (--tls-dir DIR | --insecure) [options]

A key-management entity (KME) for a simulated QKD network, speaking ETSI GS
QKD 014 V1.1.1: GET /api/v1/keys/{slave_SAE_ID}/status, POST (or GET)
/api/v1/keys/{slave_SAE_ID}/enc_keys and /api/v1/keys/{master_SAE_ID}/dec_keys.
Every pair of SAEs shares a QKD link whose key appears at the rate of its
model; each key is delivered once to the master and once to the slave, then
erased. Key stores are kept in --state-dir: a restart loses no key a slave
is owed and never hands a key out twice.

options:
  --sae LIST             the SAEs (secure application entities), comma-separated
  --tls-dir DIR          HTTPS with mutual TLS: DIR/${CERT_FILES.serverCert} and ${CERT_FILES.serverKey} are the KME's,
                         DIR/${CERT_FILES.caCert} signs the SAEs' client certificates (their CN is the SAE ID);
                         make them with 'qfl certs --out DIR --saes LIST'
  --insecure             plain HTTP; callers name themselves in an X-SAE-ID header (loopback tests)
  --host HOST            default 0.0.0.0 (127.0.0.1 with --insecure)
  --port PORT            default 8443 (0: any free port, printed)
  --state-dir DIR        key stores (default kme-state)
  --kme-id ID            this KME's ID in Status answers (default qfl-kme)

  every link (unless --topology names it):
  --model M              ${LINK_MODELS.join(', ')} (default bb84-decoy)
  --distance-km D        fiber length (bb84-decoy, mdi, bb84-session; default 10)
  --segments-km L        relay-chain: fiber segments, comma-separated (e.g. 25,25)
  --rep-rate-hz R        pulses per second (default 1e9; bb84-session 1e6)
  --pulses N             bb84-session: photons per session (default 200000)
  --bits-per-second B    rate: a fixed secret-key rate
  --eve F                an intercept-resend eavesdropper on a fraction F of the pulses
  --topology FILE        YAML/JSON: {default: LINK, links: [{between: [ID1, ID2], model: ..., ...}]}

  --key-size BITS        default key size (default ${DEFAULT_LIMITS.keySize})
  --min-key-size BITS    (default ${DEFAULT_LIMITS.minKeySize})   --max-key-size BITS (default ${DEFAULT_LIMITS.maxKeySize})
  --max-key-per-request N  (default ${DEFAULT_LIMITS.maxKeyPerRequest})
  --max-key-count N      keys of key_size a link stores at most (default ${DEFAULT_LIMITS.maxKeyCount})
  --prefill S            seconds of key generation done before a new store opens (default 0)
  --seed S               seed of the bb84-session links' physics (default: from the OS)
  --quiet                no line per request
  -h, --help             show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sae: { type: 'string' },
      'tls-dir': { type: 'string' },
      insecure: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
      'state-dir': { type: 'string' },
      'kme-id': { type: 'string' },
      model: { type: 'string' },
      'distance-km': { type: 'string' },
      'segments-km': { type: 'string' },
      'rep-rate-hz': { type: 'string' },
      pulses: { type: 'string' },
      'bits-per-second': { type: 'string' },
      eve: { type: 'string' },
      topology: { type: 'string' },
      'key-size': { type: 'string' },
      'min-key-size': { type: 'string' },
      'max-key-size': { type: 'string' },
      'max-key-per-request': { type: 'string' },
      'max-key-count': { type: 'string' },
      prefill: { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.sae === undefined) fail('--sae', 'is required: the SAE IDs, e.g. --sae n0,n1,n2,n3');
  const saes = parseSaeList(values.sae);
  const insecure = values.insecure ?? false;
  if (insecure === (values['tls-dir'] !== undefined)) fail('--tls-dir', 'give exactly one of --tls-dir DIR (mutual TLS) and --insecure');
  const tls = values['tls-dir'] !== undefined ? readTls(values['tls-dir']) : undefined;
  const kmeId = values['kme-id'] ?? 'qfl-kme';
  if (!isSaeId(kmeId)) fail('--kme-id', `'${kmeId}' is not an ID (letters, digits, '_', '.', '-')`);

  const fallback = defaultLink(values);
  const links = resolveLinks(saes, fallback, values.topology !== undefined ? readTopology(values.topology) : undefined);
  const whole = (flag: string, raw: string | undefined, dflt: number) => numberFlag(flag, raw, dflt, { min: 1, integer: true });
  const limits = {
    keySize: whole('--key-size', values['key-size'], DEFAULT_LIMITS.keySize),
    minKeySize: whole('--min-key-size', values['min-key-size'], DEFAULT_LIMITS.minKeySize),
    maxKeySize: whole('--max-key-size', values['max-key-size'], DEFAULT_LIMITS.maxKeySize),
    maxKeyPerRequest: whole('--max-key-per-request', values['max-key-per-request'], DEFAULT_LIMITS.maxKeyPerRequest),
    maxKeyCount: whole('--max-key-count', values['max-key-count'], DEFAULT_LIMITS.maxKeyCount),
  };
  const prefillSeconds = numberFlag('--prefill', values.prefill, 0, { min: 0, max: 1e9 });
  const seed = values.seed !== undefined ? numberFlag('--seed', values.seed, 0, { integer: true, min: 0, max: 2 ** 32 - 1 }) : undefined;
  const stateDir = values['state-dir'] ?? 'kme-state';

  const service = new KmeService({ kmeId, saes, links, stateDir, limits, prefillSeconds, ...(seed !== undefined ? { seed } : {}) });
  const log = values.quiet ? () => {} : (line: string) => console.log(line);
  let server;
  try {
    for (const l of service.links()) {
      const rate = l.refused !== undefined ? `no key: ${l.refused}` : `${formatBps(l.bitsPerSecond)}, QBER ${(100 * l.qber).toFixed(2)} %`;
      console.log(`kme: link ${l.pair}: ${l.model}, ${rate}; ${l.storedBits} bits stored, ${l.pendingKeys} keys owed to slaves`);
    }
    const host = values.host ?? (insecure ? '127.0.0.1' : '0.0.0.0');
    const port = parsePort('--port', values.port) ?? 8443;
    server = await startKmeServer(service, { host, port, ...(tls !== undefined ? { tls } : { insecure: true }), log });
  } catch (e) {
    service.close();
    throw e;
  }
  console.log(`kme: listening on ${server.url} (${saes.length} SAEs, ${links.size} links; ${tls ? 'mutual TLS' : 'INSECURE: X-SAE-ID headers'}; key store ${stateDir})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  service.close();
  console.log('kme: stopped; key stores saved');
  return 0;
}

function readTls(dir: string): { cert: string; key: string; ca: string } {
  const read = (f: string) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch (e) {
      return fail('--tls-dir', `cannot read ${join(dir, f)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); make it with 'qfl certs --out ${dir} --saes ...'`);
    }
  };
  return { cert: read(CERT_FILES.serverCert), key: read(CERT_FILES.serverKey), ca: read(CERT_FILES.caCert) };
}

/** The link spec of the --model flags. */
function defaultLink(v: Record<string, string | boolean | undefined>): LinkSpec {
  const str = (k: string) => v[k] as string | undefined;
  const num = (k: string) => (str(k) === undefined ? undefined : Number(str(k)));
  const model = str('model') ?? 'bb84-decoy';
  const spec: Record<string, unknown> = { model };
  const set = (key: string, flag: string) => {
    const x = num(flag);
    if (x !== undefined) {
      if (str(flag)!.trim() === '' || !Number.isFinite(x)) fail(`--${flag}`, `must be a number, got '${str(flag)}'`);
      spec[key] = x;
    }
  };
  if (model === 'bb84-decoy' || model === 'mdi' || model === 'bb84-session') spec.distance_km = 10;
  set('distance_km', 'distance-km');
  set('rep_rate_hz', 'rep-rate-hz');
  set('pulses', 'pulses');
  set('bits_per_second', 'bits-per-second');
  set('eve', 'eve');
  if (str('segments-km') !== undefined) {
    spec.segments_km = str('segments-km')!.split(',').map((s) => {
      const x = s.trim() === '' ? NaN : Number(s);
      if (!Number.isFinite(x)) fail('--segments-km', `must be numbers separated by commas, got '${str('segments-km')}'`);
      return x;
    });
  }
  return parseLinkSpec(spec, '--model');
}

function formatBps(bps: number): string {
  if (bps >= 1e6) return `${(bps / 1e6).toPrecision(4)} Mbit/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toPrecision(4)} kbit/s`;
  return `${bps.toPrecision(4)} bit/s`;
}
