import type { CutBackend, CutRunner, RunnerSpec } from '../experiments/cut-deploy.js';
import { ranges } from './protocol.js';
import { CutDispatcher, type CutFlag } from './cut-dispatch.js';
import type { SegmentEncoding } from './cut-codec.js';
import type { Fleet } from './fleet.js';

/**
 * A cut deployment's backend over the Fleet: waits for nodes that simulate
 * enough qubits together, and gives each phase of the experiment its own
 * CutDispatcher (shots, detectors) over the same nodes.
 */
export interface FleetCutBackendOptions {
  readonly fleet: Fleet;
  readonly waitTimeoutS: number;
  readonly taskTimeoutS: number;
  readonly encoding?: SegmentEncoding;
  readonly log: (line: string) => void;
  /** Every experiment event and detector flag (the run's events.jsonl). */
  readonly event: (e: object) => void;
  readonly signal?: AbortSignal;
}

export function fleetCutBackend(o: FleetCutBackendOptions): CutBackend {
  return {
    async nodes(qubits) {
      const total = () => o.fleet.list().reduce((a, n) => a + n.qubits, 0);
      o.log(`waiting up to ${o.waitTimeoutS} s for nodes simulating ${qubits} qubits together (\`qfl client --server URL --qubits N\`)`);
      await o.fleet.waitForNodes(() => total() >= qubits, o.waitTimeoutS, () => {
        const nodes = o.fleet.list();
        return `the cut model needs ${qubits} qubits, the connected nodes simulate ${total()} (${nodes.map((n) => `${n.name}: ${n.qubits} qubits${n.clientIds.length ? `, clients ${ranges(n.clientIds)}` : ''}`).join('; ') || 'none'}); start more with \`qfl client --server URL --qubits N\` or raise --wait-timeout`;
      }, o.signal);
      return o.fleet.list().filter((n) => n.qubits > 0).map((n) => ({ name: n.name, qubits: n.qubits }));
    },
    runner(spec: RunnerSpec): CutRunner {
      return new CutDispatcher({
        fleet: o.fleet,
        cut: spec.model.cut,
        shots: spec.shots,
        seed: spec.seed,
        timeoutMs: o.taskTimeoutS * 1000,
        ...(o.encoding ? { encoding: o.encoding } : {}),
        ...(spec.detectors ? { detectors: spec.detectors } : {}),
        onEvent: (e: CutFlag) => o.event(e),
        log: o.log,
      });
    },
    log: o.log,
    event: o.event,
  };
}
