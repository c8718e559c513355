/**
 * The join page: a person picks client ids (or brings a CSV file) and joins
 * the federation served by this page's server; a Web Worker does the
 * protocol and the training, this thread only shows progress.
 */
import { parsePartition } from '../../src/transport/protocol.js';
import type { FromWorker, ToWorker } from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function start(): void {
  const form = $<HTMLFormElement>('join');
  const source = $<HTMLSelectElement>('source');
  const name = $<HTMLInputElement>('name');
  name.value = `tab-${Math.random().toString(36).slice(2, 8)}`;
  source.onchange = () => ($('file-row').hidden = source.value !== 'file');
  // The allow-list knows a key by its name: a key file NAME.key names the node NAME.
  const keyInput = $<HTMLInputElement>('key');
  keyInput.onchange = () => {
    const m = /^(.+)\.(key|pem)$/.exec(keyInput.files?.[0]?.name ?? '');
    if (m) name.value = m[1]!;
  };
  const params = new URLSearchParams(location.search);
  if (params.get('clients')) $<HTMLInputElement>('clients').value = params.get('clients')!;
  if (params.get('name')) name.value = params.get('name')!;
  form.onsubmit = async (e) => {
    e.preventDefault();
    const log = $('log');
    const say = (line: string) => {
      log.textContent += `${new Date().toLocaleTimeString()} ${line}\n`;
      log.scrollTop = log.scrollHeight;
    };
    let clientIds: number[];
    let csv: string | undefined;
    let keyPem: string | undefined;
    try {
      keyPem = await keyInput.files?.[0]?.text();
      clientIds = parsePartition($<HTMLInputElement>('clients').value);
      if (source.value === 'file') {
        const file = $<HTMLInputElement>('file').files?.[0];
        if (!file) throw new Error('choose a CSV file');
        if (clientIds.length !== 1) throw new Error('a file holds one client\'s data: give one client id');
        csv = await file.text();
      }
    } catch (err) {
      alert((err as Error).message);
      return;
    }
    $<HTMLButtonElement>('go').disabled = true;
    $('status').hidden = false;
    const began = Date.now();
    setInterval(() => ($('tick').textContent = String(Math.round((Date.now() - began) / 1000))), 250);
    const worker = new Worker('/join/worker.js', { type: 'module' });
    let rounds = 0;
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      const state = $('state');
      if (m.type === 'run') {
        rounds = m.rounds;
        $('run-name').textContent = m.name;
        $('run-info').textContent = `${m.clients} clients, ${m.rounds} rounds, ${m.parameters} parameters`;
        state.textContent = 'waiting for the first round';
      } else if (m.type === 'log') say(m.line);
      else if (m.type === 'tasks') {
        $('round').textContent = `${m.round}/${rounds}`;
        state.textContent = m.done ? 'waiting for the next round' : m.kind === 'fit' ? `training clients ${m.clientIds.join(', ')}` : `evaluating clients ${m.clientIds.join(', ')}`;
        $<HTMLProgressElement>('bar').value = rounds > 0 ? (m.round - (m.done && m.kind === 'evaluate' ? 0 : 1)) / rounds : 0;
      } else if (m.type === 'done') {
        state.textContent = 'finished';
        state.className = 'done';
        $('counts').textContent = `${m.fit} fit, ${m.evaluate} evaluate`;
        $<HTMLProgressElement>('bar').value = 1;
      } else if (m.type === 'error') {
        state.textContent = `error: ${m.message}`;
        state.className = 'error';
        say(`error: ${m.message}`);
      }
      if (m.type === 'tasks' && m.done) {
        const counts = $('counts');
        const [f, ev2] = (counts.textContent ?? '0 fit, 0 evaluate').match(/\d+/g)!.map(Number);
        counts.textContent = m.kind === 'fit' ? `${f! + m.clientIds.length} fit, ${ev2} evaluate` : `${f} fit, ${ev2! + m.clientIds.length} evaluate`;
      }
    };
    const msg: ToWorker = { type: 'join', baseUrl: location.origin, name: name.value, clientIds, ...(csv !== undefined ? { csv } : {}), ...(keyPem !== undefined ? { keyPem } : {}) };
    worker.postMessage(msg);
  };
}

start();
