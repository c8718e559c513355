import { attackHooks } from '../security/byzantine/config.js';
import { createAggregator } from '../security/robust/registry.js';
import { fail } from '../util/errors.js';
import type { RunConfig } from './run-schema.js';

/**
 * A robust aggregator tolerates f Byzantine clients: the f it is given, or,
 * without one, the largest its assumption allows for the clients sampled per
 * round. A config whose own `attacks` make more malicious clients than that
 * runs a rule outside its guarantee (Krum with f = 1 against 3 attackers,
 * the median against 6 of 10): refused, or, with `allowUnsafe` (a
 * breakdown study, `--allow-unsafe`), run with a warning. The plain mean
 * claims no robustness and is not checked.
 */
export function checkByzantineBudget(config: RunConfig, o: { readonly allowUnsafe?: boolean; readonly warn?: (line: string) => void } = {}): void {
  const spec = config.strategy.aggregator;
  if (!spec || spec.name === 'mean' || config.attacks.length === 0) return;
  const clients = config.federation.clients;
  const attackers = attackHooks(config.attacks, { numClients: clients, seed: config.seed }).malicious.length;
  if (attackers === 0) return;
  const perRound = Math.max(config.strategy.min_fit_clients, Math.floor(config.strategy.fraction_fit * clients + 1e-9));
  const rule = createAggregator(spec, { path: 'strategy.aggregator' });
  const declared = 'f' in spec && spec.f !== undefined;
  let tolerated = rule.f;
  if (!declared) {
    tolerated = -1;
    for (let f = 0; f <= perRound && rule.assumption.why(perRound, f) === undefined; f++) tolerated = f;
  }
  if (attackers <= tolerated) return;
  const what = declared ? `is configured to tolerate f = ${tolerated}` : `tolerates at most ${Math.max(0, tolerated)} of the ${perRound} clients per round (${rule.assumption.text})`;
  const message = `the config's attacks make ${attackers} malicious client(s), but ${rule.label} ${what}; raise f if the rule's assumption allows it, or pass --allow-unsafe to run it outside its guarantee (a breakdown study)`;
  if (!o.allowUnsafe) fail(declared ? 'strategy.aggregator.f' : 'strategy.aggregator', message);
  o.warn?.(`warning: strategy.aggregator: ${message.replace(/; raise f.*$/, '')} (--allow-unsafe)`);
}
