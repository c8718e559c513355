import type { FleetNodeView } from '../../src/ui/protocol.js';
import { ranges } from '../../src/transport/protocol.js';
import { fill, h } from './dom.js';
import { seconds } from './format.js';

/**
 * The nodes card of a deployed run (`qfl server`): one row per node with its
 * kind, its clients, whether it is connected, and when the server last heard
 * from it (clock time and how long ago, against this page's clock).
 */
export function renderNodes(body: HTMLElement, nodes: readonly FleetNodeView[], nowMs = Date.now()): void {
  if (nodes.length === 0) {
    fill(body, h('tr', {}, h('td', { colspan: '5', class: 'empty' }, 'no node has joined yet')));
    return;
  }
  fill(
    body,
    ...nodes.map((n) => {
      const seen = Date.parse(n.lastSeen);
      const ago = Math.max(0, (nowMs - seen) / 1000);
      return h(
        'tr',
        { 'data-node': n.name, class: n.connected ? undefined : 'gone' },
        h('td', {}, n.name, h('span', { class: 'muted' }, ` ${n.id.slice(n.name.length)}`)),
        h('td', {}, n.kind),
        h('td', {}, ranges(n.clientIds)),
        h('td', { class: 'node-state' }, h('span', { class: `dot ${n.connected ? 's-done' : 's-idle'}` }), n.connected ? ' connected' : ' disconnected'),
        h('td', { class: 'n', title: n.lastSeen }, `${new Date(seen).toLocaleTimeString()} (${seconds(ago)} ago)`),
      );
    }),
  );
}
