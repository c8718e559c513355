import { hostname, networkInterfaces } from 'node:os';

/**
 * The Host header names a dashboard answers to, whatever address it is bound
 * to: a page on another site whose name resolves to this machine (DNS
 * rebinding) sends its own name as Host and is refused. Bound to loopback:
 * the loopback names. Bound to one address: that address too. Bound to all
 * addresses (0.0.0.0, ::): every address of this machine's interfaces and
 * its host name. `extra` adds names users reach it by (`--ui-allowed-hosts`).
 */
export function allowedHostNames(bind: string, extra: readonly string[] = []): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  const add = (h: string) => names.add(h.includes(':') && !h.startsWith('[') ? `[${h.toLowerCase()}]` : h.toLowerCase());
  for (const h of extra) add(h);
  if (bind === '0.0.0.0' || bind === '::' || bind === '') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) add(a.address.replace(/%.*$/, ''));
    add(hostname());
  } else add(bind);
  return names;
}

/** The host name of a Host header, lower-case, without its port ('[::1]:80' -> '[::1]'). */
export function hostOf(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d*$/, '');
}
