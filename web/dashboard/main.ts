import 'uplot/dist/uPlot.min.css';
import './style.css';
import * as api from './api.js';
import { browseView } from './browse-view.js';
import { byId, fill, h } from './dom.js';
import { runView } from './run-view.js';

/**
 * The dashboard page: one run (`qfl run`, `qfl ui RUN_DIR`, or `?run=ID`
 * when browsing) or the runs below a directory (`qfl ui runs/`).
 */
async function main(): Promise<void> {
  const root = byId('app');
  try {
    const info = await api.info();
    const run = new URLSearchParams(location.search).get('run');
    if (info.mode === 'run') runView(root, '', info);
    else if (run !== null) runView(root, run, info);
    else browseView(root, info);
  } catch (e) {
    fill(root, h('p', { class: 'error' }, `The dashboard's server did not answer: ${e instanceof Error ? e.message : String(e)}`));
  }
}

void main();
