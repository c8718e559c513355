import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLAIMS_FILE, type ClaimsFile } from '../report/claims.js';
import { escapeHtml, page } from '../report/html.js';

/**
 * `papers.html`: one page over the four papers the project reproduces. For
 * each paper it lists the reports found in the runs directory (one
 * subdirectory per sweep) with their claims and verdicts, read from each
 * report's claims.json, and the command that makes a missing one.
 */

export const PAPERS = [
  { id: '000', title: 'QFAL: Quantum Federated Adversarial Learning', arxiv: '2502.21171', commands: ['qfl run examples/qfal.yaml'] },
  { id: '001', title: 'Adversarial Robustness in Distributed Quantum Machine Learning (a review)', arxiv: '2508.11848', commands: ['qfl run examples/byzantine.yaml', 'qfl study inversion examples/inversion.yaml'] },
  { id: '002', title: 'Practical quantum federated learning and its experimental demonstration (QuNetQFL)', arxiv: '2501.12709', commands: ['qfl run examples/qunetqfl.yaml', 'qfl run examples/qunetqfl-quantum-data.yaml'] },
  { id: '003', title: 'From FL to QFL for Space-Air-Ground Integrated Networks', arxiv: '2411.01312', commands: ['qfl run examples/sagin.yaml'] },
] as const;

export const PAPERS_FILE = 'papers.html';

/** The claims files under `runsDir` (one level down), by paper id. */
function readClaims(runsDir: string): Map<string, (ClaimsFile & { dir: string })[]> {
  const out = new Map<string, (ClaimsFile & { dir: string })[]>();
  if (!existsSync(runsDir)) return out;
  for (const d of readdirSync(runsDir, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    const path = join(runsDir, d.name, CLAIMS_FILE);
    if (!existsSync(path)) continue;
    try {
      const f = JSON.parse(readFileSync(path, 'utf8')) as ClaimsFile;
      if (typeof f.paper !== 'string' || !Array.isArray(f.claims)) continue;
      out.set(f.paper, [...(out.get(f.paper) ?? []), { ...f, dir: d.name }]);
    } catch {
      // A claims file being rewritten, or not ours: leave it out rather than fail the page.
    }
  }
  return out;
}

/** Writes `<runsDir>/papers.html` from the claims files found there; returns its path. */
export function writePapersPage(runsDir: string): string {
  const found = readClaims(runsDir);
  const sections = PAPERS.map((p) => {
    const reports = found.get(p.id) ?? [];
    const head = `<h2>Paper ${p.id}: ${escapeHtml(p.title)} <small>(arXiv ${p.arxiv})</small></h2>`;
    if (reports.length === 0) {
      return `${head}\n<p>No report with claims yet. Make one with ${p.commands.map((c) => `<code>${c}</code>`).join(' or ')}.</p>`;
    }
    const blocks = reports.map((r) => {
      const rows = r.claims
        .map((c) => `<tr><td>${escapeHtml(c.claim)}</td><td>${escapeHtml(c.paper)}</td><td>${escapeHtml(c.ours)}</td><td><b>${escapeHtml(c.verdict)}</b></td></tr>`)
        .join('\n');
      const link = `${r.dir}/${r.report}`;
      return `<h3><a href="${escapeHtml(link)}">${escapeHtml(r.title)}</a> <small>(${escapeHtml(r.dir)})</small></h3>
<table><thead><tr><th>claim</th><th>paper</th><th>ours (mean ± 95 % CI)</th><th>verdict</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
    });
    const others = p.commands.length > 1 ? `\n<p>Also: ${p.commands.map((c) => `<code>${escapeHtml(c)}</code>`).join(', ')}.</p>` : '';
    return `${head}\n${blocks.join('\n')}${others}`;
  });
  const body = `<header><h1>The four papers, reproduced</h1>
<p class="meta">Runs directory <code>${escapeHtml(runsDir)}</code>; made ${escapeHtml(new Date().toISOString())}. Each verdict follows from a 95 % t-interval over seeds (see each report).</p></header>
${sections.join('\n')}`;
  const path = join(runsDir, PAPERS_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, page('Papers: claims and verdicts', body));
  renameSync(tmp, path);
  return path;
}
