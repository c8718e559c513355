import type { RoundEvent } from '../../src/experiments/events.js';
import type { DashboardInfo, NetworkView, RunSnapshot, RunState, StreamMessage } from '../../src/ui/protocol.js';
import { roundCells, RunModel } from '../../src/ui/run-model.js';
import { accuracyCurves, bytesCurves, etaSeconds, keyCurves, linkCurves, lossCurves, networkTimes, privacyCurves, totals, type Curve, type CurveRole, type Curves } from '../../src/ui/series.js';
import * as api from './api.js';
import { LineChart, type Line } from './charts.js';
import { renderGrid, STATUS_TEXT } from './clients.js';
import { fill, h } from './dom.js';
import { bits, bytes, num, pct, seconds } from './format.js';
import { renderAvailability, renderMap, renderTimes } from './network.js';
import { renderNodes } from './nodes.js';

/**
 * One run: header (name, state, round k/N, ETA), summary numbers, accuracy
 * and loss curves, the per-client grid, the nodes of a deployed run, the rounds table, traffic and key
 * use, the privacy budget, the network views and the config. Follows the
 * run's event stream and redraws at most every REDRAW_MS.
 */

const REDRAW_MS = 80;
const NETWORK_EVERY_MS = 1500;

const ROLE_STYLE: Record<CurveRole, { color: string; dash?: number[]; width?: number }> = {
  test: { color: '#2563eb', width: 2.5 },
  client: { color: '#16a34a' },
  train: { color: '#64748b', dash: [5, 4] },
  robust: { color: '#ea580c', dash: [2, 3] },
  backdoor: { color: '#dc2626', dash: [1, 3] },
  up: { color: '#2563eb' },
  down: { color: '#9333ea' },
  key: { color: '#0891b2' },
  wait: { color: '#ca8a04', dash: [4, 3] },
  epsilon: { color: '#db2777', width: 2.5 },
  links: { color: '#0d9488' },
};
const ROBUST_COLORS = ['#ea580c', '#ca8a04', '#b45309', '#e11d48', '#a16207', '#f97316', '#be123c', '#d97706'];

function lines(c: Curves, right: (curve: Curve) => boolean = () => false): Line[] {
  let robust = 0;
  return c.curves.map((curve) => {
    const st = ROLE_STYLE[curve.role];
    const color = curve.role === 'robust' ? ROBUST_COLORS[robust++ % ROBUST_COLORS.length]! : st.color;
    return { label: curve.label, values: curve.values, color, ...(st.dash ? { dash: st.dash } : {}), ...(st.width ? { width: st.width } : {}), ...(right(curve) ? { right: true } : {}) };
  });
}

const STATE_TEXT: Record<RunState, string> = { waiting: 'waiting', running: 'running', finished: 'finished', stopped: 'stopped' };

export function runView(root: HTMLElement, id: string, info: DashboardInfo): void {
  let snap: RunSnapshot | undefined;
  let model = new RunModel();
  let selected: number | undefined;
  let connected = true;
  let closed = false;
  let net: NetworkView | undefined;
  let netAt = 0;
  let netBusy = false;

  const back = info.mode === 'browse' ? h('a', { class: 'back', href: '/' }, '← all runs') : null;
  const name = h('h1', { id: 'run-name' }, id || info.name);
  const stateBadge = h('span', { id: 'state', class: 'badge' });
  const modeBadge = h('span', { id: 'mode', class: 'badge muted' });
  const connBadge = h('span', { id: 'connection', class: 'badge warn', hidden: '' }, 'reconnecting…');
  const roundText = h('span', { id: 'round-text' }, 'round –');
  const barFill = h('div', { class: 'fill' });
  const eta = h('span', { id: 'eta', class: 'muted' });
  const header = h(
    'header',
    { class: 'top' },
    h('div', { class: 'title' }, h('span', { class: 'logo' }, 'qfl'), back, name, stateBadge, modeBadge, connBadge),
    h('div', { class: 'progress' }, roundText, h('div', { class: 'bar' }, barFill), eta),
  );
  const summary = h('section', { id: 'summary', class: 'strip' });
  const card = (cardId: string, title: string, ...body: (HTMLElement | null)[]) => h('section', { class: 'card', id: cardId }, h('h2', {}, title), ...body);

  const accCard = card('card-accuracy', 'Accuracy');
  const lossCard = card('card-loss', 'Loss');
  const gridTitle = h('h2', {}, 'Clients');
  const grid = h('div', { id: 'client-grid', class: 'grid-cells' });
  const gridLegend = h('div', { class: 'legend-row' });
  const latestBtn = h('button', { type: 'button', class: 'link-btn', hidden: '' }, 'show latest round');
  latestBtn.onclick = () => {
    selected = undefined;
    schedule();
  };
  const clientBody = h('tbody');
  const clientTable = h(
    'div',
    { class: 'table-wrap short' },
    h('table', { id: 'client-table' }, h('thead', {}, h('tr', {}, ...['client', 'status', 'examples', 'train loss', 'train acc', 'time', 'note'].map((t) => h('th', {}, t)))), clientBody),
  );
  const clientsCard = h('section', { class: 'card', id: 'card-clients' }, h('div', { class: 'card-head' }, gridTitle, latestBtn), grid, gridLegend, clientTable);
  const roundsBody = h('tbody');
  const roundsCard = card(
    'card-rounds',
    'Rounds',
    h(
      'div',
      { class: 'table-wrap' },
      h('table', { id: 'rounds', class: 'rounds' }, h('thead', {}, h('tr', {}, ...['round', 'clients', 'train loss', 'test acc', 'client acc', 'up', 'down', 'time'].map((t) => h('th', {}, t)))), roundsBody),
    ),
  );
  const nodesBody = h('tbody');
  const nodesCard = card(
    'card-nodes',
    'Nodes',
    h('div', { class: 'table-wrap short' }, h('table', { id: 'nodes' }, h('thead', {}, h('tr', {}, ...['node', 'kind', 'clients', 'state', 'last seen'].map((t) => h('th', {}, t)))), nodesBody)),
  );
  nodesCard.hidden = true;
  const bytesCard = card('card-bytes', 'Traffic per round');
  const keysCard = card('card-keys', 'QKD key use per round (secure aggregation)');
  const privacyCard = card('card-privacy', 'Privacy budget');
  const mapEl = h('div', { id: 'network-map' });
  const availEl = h('div', { id: 'network-availability' });
  const timesEl = h('div', { id: 'network-times' });
  const linksHolder = h('div');
  const networkCard = h(
    'section',
    { class: 'card wide', id: 'card-network', hidden: '' },
    h('h2', {}, 'Space-air-ground network'),
    mapEl,
    h('div', { class: 'two' }, h('div', {}, h('h3', {}, 'Simulated time per round'), timesEl), h('div', {}, h('h3', {}, 'Links'), linksHolder)),
    h('h3', {}, 'Direct link availability (each client to the server and to each satellite)'),
    availEl,
  );
  const configPre = h('pre', { id: 'config' }, 'no config.yaml yet');
  const configCard = h('section', { class: 'card wide', id: 'card-config' }, h('details', {}, h('summary', {}, 'Config (config.yaml)'), configPre));
  keysCard.hidden = true;
  privacyCard.hidden = true;

  fill(root, header, summary, h('main', { class: 'grid' }, accCard, lossCard, clientsCard, nodesCard, roundsCard, bytesCard, keysCard, privacyCard, networkCard, configCard));

  const accChart = new LineChart(accCard, { title: 'per round; dashed: train and robust (attack, radius)', percent: true, yLabel: 'accuracy', height: 250 });
  const lossChart = new LineChart(lossCard, { title: 'per round', yLabel: 'loss', height: 250 });
  const bytesChart = new LineChart(bytesCard, { title: 'bytes sent per round', yLabel: 'bytes', yFormat: bytes, zero: true });
  const keysChart = new LineChart(keysCard, { title: 'key bits consumed by the masks; dashed: seconds waited for key', yLabel: 'key bits', yFormat: bits, zero: true, y2Label: 'seconds', y2Format: (v) => `${+v.toPrecision(3)}` });
  const privacyChart = new LineChart(privacyCard, { title: 'ε (δ as configured)', yLabel: 'ε' });
  const linksChart = new LineChart(linksHolder, { title: 'at each round start', yLabel: 'count', height: 200, zero: true });
  accChart.el.id = 'chart-accuracy';
  lossChart.el.id = 'chart-loss';

  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      render();
    }, REDRAW_MS);
  };

  function state(): RunState {
    return snap?.state ?? 'waiting';
  }

  function renderHeader(rounds: readonly RoundEvent[]): void {
    const start = model.start;
    const planned = start?.rounds ?? 0;
    const last = rounds[rounds.length - 1];
    const done = last?.round ?? 0;
    const live = model.live;
    name.textContent = model.start?.name ?? snap?.name ?? id;
    document.title = `${name.textContent} · qfl dashboard`;
    const st = state();
    stateBadge.textContent = closed && st === 'running' ? 'stopped' : STATE_TEXT[st];
    stateBadge.className = `badge st-${closed && st === 'running' ? 'stopped' : st}`;
    modeBadge.textContent = snap?.mode === 'live' ? (closed ? 'live (closed)' : 'live') : 'read-only';
    connBadge.hidden = connected || closed;
    roundText.textContent = live && !model.end ? `round ${live.round}/${planned || '?'} in progress · ${done} done` : `round ${done}/${planned || '?'}`;
    barFill.style.width = `${planned > 0 ? Math.min(100, (100 * done) / planned) : 0}%`;
    const t = totals(rounds);
    const since = model.resumes.length ? (model.resumes[model.resumes.length - 1]!.resumedAfterRound ?? 0) : 0;
    const left = etaSeconds(rounds, planned, since);
    eta.textContent =
      st === 'finished' ? `took ${seconds(model.end?.seconds ?? t.seconds)}` : st === 'running' && left !== undefined ? `ETA ${seconds(left)} · elapsed ${seconds(t.seconds)}` : `elapsed ${seconds(t.seconds)}`;
  }

  function renderSummary(rounds: readonly RoundEvent[]): void {
    const t = totals(rounds);
    const start = model.start;
    const item = (label: string, value: string, itemId?: string) => h('div', { class: 'stat', ...(itemId ? { id: itemId } : {}) }, h('span', { class: 'v' }, value), h('span', { class: 'l' }, label));
    fill(
      summary,
      item('accuracy (last round)', pct(model.end?.final?.accuracy ?? t.lastAccuracy), 'stat-accuracy'),
      item(`best accuracy${t.bestRound !== undefined ? ` (round ${t.bestRound})` : ''}`, pct(t.bestAccuracy)),
      item('clients', start ? String(start.clients) : '–'),
      item('parameters', start ? String(start.parameters) : '–'),
      item('bytes up / down', `${bytes(t.bytesUp)} / ${bytes(t.bytesDown)}`),
      t.keyBits !== undefined ? item('key bits used', bits(t.keyBits)) : null,
      t.epsilon !== undefined ? item('ε spent', num(t.epsilon, 3)) : null,
      t.simulatedS !== undefined ? item('simulated time', seconds(t.simulatedS)) : null,
      snap && snap.skipped > 0 ? item('unreadable lines', String(snap.skipped)) : null,
    );
  }

  function renderGridCard(rounds: readonly RoundEvent[]): void {
    const pick = selected !== undefined ? rounds.find((r) => r.round === selected) : undefined;
    if (selected !== undefined && !pick) selected = undefined;
    const current = pick ? { round: pick.round, live: false, cells: roundCells(pick, model.clients()) } : model.currentCells();
    latestBtn.hidden = selected === undefined;
    if (!current) {
      gridTitle.textContent = 'Clients';
      fill(grid, h('p', { class: 'empty' }, 'no round yet'));
      fill(gridLegend);
      return;
    }
    gridTitle.textContent = `Clients · round ${current.round}${current.live ? ' (in progress)' : ''}${pick ? ' (selected)' : ''}`;
    renderGrid(grid, gridLegend, current.cells, model.start);
    const event = current.live ? undefined : rounds.find((r) => r.round === current.round);
    const metrics = new Map((event?.clients ?? []).map((c) => [c.id, c]));
    fill(
      clientBody,
      ...current.cells
        .filter((c) => c.status !== 'idle')
        .map((c) => {
          const m = metrics.get(c.id);
          return h(
            'tr',
            {},
            h('td', {}, String(c.id)),
            h('td', {}, h('span', { class: `dot s-${c.status}` }), ` ${STATUS_TEXT[c.status]}`),
            h('td', { class: 'n' }, m ? String(m.numExamples) : '–'),
            h('td', { class: 'n' }, num(m?.trainLoss, 4)),
            h('td', { class: 'n' }, pct(m?.trainAccuracy)),
            h('td', { class: 'n' }, seconds(m?.seconds)),
            h('td', { class: 'note' }, c.reason ?? ''),
          );
        }),
    );
  }

  function renderRounds(rounds: readonly RoundEvent[]): void {
    const rows = rounds.slice(-300).reverse();
    fill(
      roundsBody,
      ...rows.map((e) => {
        const failures = e.fit.failures.length;
        const tr = h(
          'tr',
          { 'data-round': String(e.round), class: e.round === selected ? 'sel' : undefined, title: 'show this round’s clients' },
          h('td', {}, String(e.round)),
          h('td', {}, `${e.fit.completed}/${e.fit.sampled}${failures ? ` (${failures} failed)` : ''}${e.flagged?.length ? ` · ${e.flagged.length} flagged` : ''}`),
          h('td', { class: 'n' }, num(e.fit.trainLoss, 4)),
          h('td', { class: 'n' }, pct(e.central?.accuracy)),
          h('td', { class: 'n' }, pct(e.evaluate?.accuracy)),
          h('td', { class: 'n' }, bytes(e.bytes.up)),
          h('td', { class: 'n' }, bytes(e.bytes.down)),
          h('td', { class: 'n' }, seconds(e.seconds.total)),
        );
        tr.onclick = () => {
          selected = e.round;
          schedule();
        };
        return tr;
      }),
    );
  }

  function renderNetwork(rounds: readonly RoundEvent[]): void {
    networkCard.hidden = !snap?.network;
    if (!snap?.network) return;
    renderTimes(timesEl, networkTimes(rounds));
    linksChart.update(...xy(linkCurves(rounds)));
    if (Date.now() - netAt > NETWORK_EVERY_MS && !netBusy) {
      netBusy = true;
      netAt = Date.now();
      api
        .network(id)
        .then((v) => {
          net = v;
          drawNetwork();
        })
        .catch((e: unknown) => fill(mapEl, h('p', { class: 'empty' }, `no map: ${e instanceof Error ? e.message : String(e)}`)))
        .finally(() => {
          netBusy = false;
        });
    } else drawNetwork();
  }

  function drawNetwork(): void {
    if (!net) return;
    renderMap(mapEl, net, model.currentCells()?.cells ?? []);
    renderAvailability(availEl, net);
  }

  const xy = (c: Curves, right?: (curve: Curve) => boolean): [readonly number[], Line[]] => [c.x, lines(c, right)];

  function render(): void {
    const rounds = model.rounds;
    renderHeader(rounds);
    renderSummary(rounds);
    accChart.update(...xy(accuracyCurves(rounds)));
    lossChart.update(...xy(lossCurves(rounds)));
    bytesChart.update(...xy(bytesCurves(rounds)));
    const keys = keyCurves(rounds);
    keysCard.hidden = keys.curves.length === 0;
    if (!keysCard.hidden) keysChart.update(...xy(keys, (c) => c.role === 'wait'));
    const privacy = privacyCurves(rounds);
    privacyCard.hidden = privacy.curves.length === 0;
    if (!privacyCard.hidden) privacyChart.update(...xy(privacy));
    renderGridCard(rounds);
    nodesCard.hidden = snap?.nodes === undefined;
    if (snap?.nodes) renderNodes(nodesBody, snap.nodes);
    renderRounds(rounds);
    renderNetwork(rounds);
    configPre.textContent = snap?.config ?? 'no config.yaml yet';
  }

  const onMessage = (m: StreamMessage) => {
    switch (m.kind) {
      case 'snapshot':
        snap = m.run;
        model = RunModel.from(m.run);
        break;
      case 'event':
        model.apply(m.event);
        break;
      case 'client':
        model.client(m.round, m.clientId, m.status, m.reason);
        break;
      case 'state':
        if (snap) snap = { ...snap, state: m.state };
        break;
      case 'config':
        if (snap) snap = { ...snap, config: m.text, network: m.network };
        break;
      case 'nodes':
        if (snap) snap = { ...snap, nodes: m.nodes };
        break;
      case 'closing':
        closed = true;
        break;
    }
    schedule();
  };
  window.addEventListener('resize', schedule);
  api.follow(id, onMessage, (up) => {
    connected = up;
    schedule();
  });
}
