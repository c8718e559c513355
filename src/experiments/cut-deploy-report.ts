import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CutDeploy, CutDeployResult } from './cut-deploy.js';
import { renderPlots } from './report/index.js';
import { escapeHtml, page, pct, plotsSection } from './report/html.js';

/**
 * The report of a cut deployment (report.html, result.json): clean vs
 * attacked accuracy, the detectors' flag rates against the perturbation
 * strength (beside the in-process study's prediction), and the overhead.
 */
export async function writeCutDeployReport(runDir: string, spec: CutDeploy, r: CutDeployResult): Promise<string> {
  writeFileSync(join(runDir, 'result.json'), JSON.stringify(r, null, 2) + '\n');
  const o = r.overhead;
  const a = r.attack;
  const charts = a
    ? [
        {
          name: 'cut-attack-accuracy',
          spec: {
            title: { text: `Accuracy while node ${a.node} perturbs its sub-circuits`, subtitle: `exp(-i eps ${spec.attack!.pauli}) on the states entering its side of each cut (${spec.attack!.mode})` },
            width: 420,
            height: 220,
            data: { values: a.rows.map((x) => ({ eps: x.eps, accuracy: x.accuracy })) },
            mark: { type: 'line', point: true },
            encoding: { x: { field: 'eps', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative', axis: { format: '%' } } },
          },
        },
        {
          name: 'cut-attack-detection',
          spec: {
            title: { text: `Detectors flagging node ${a.node}`, subtitle: `${spec.attack!.shots} shots per sub-experiment, ${spec.attack!.trials} trials per eps, ${spec.detectors.false_alarm} false alarms` },
            width: 420,
            height: 220,
            data: {
              values: a.rows.flatMap((x) => [
                { eps: x.eps, rate: x.replicaRate, detector: 'replica (deployed)' },
                { eps: x.eps, rate: x.identityRate, detector: 'identities (deployed)' },
                ...(x.studyReplicaRate !== undefined ? [{ eps: x.eps, rate: x.studyReplicaRate, detector: 'replica (study)' }] : []),
              ]),
            },
            mark: { type: 'line', point: true },
            encoding: { x: { field: 'eps', type: 'quantitative' }, y: { field: 'rate', type: 'quantitative', axis: { format: '%' } }, color: { field: 'detector', type: 'nominal', title: null } },
          },
        },
      ]
    : [];
  const plots = await renderPlots(runDir, charts as never);
  const rows = a
    ? a.rows
        .map((x) => `<tr><td>${x.eps}</td><td>${pct(x.accuracy)}</td><td>${pct(x.replicaRate)}</td><td>${x.studyReplicaRate === undefined ? '–' : pct(x.studyReplicaRate)}</td><td>${pct(x.identityRate)}</td></tr>`)
        .join('\n')
    : '';
  const nodes = [...new Set(r.labels)].map((l) => `${escapeHtml(l)}: wires ${r.labels.flatMap((x, i) => (x === l ? [i] : [])).join(', ')}`).join('; ');
  const body = `<header><h1>${escapeHtml(spec.name)}: a cut model across nodes</h1>
<p class="meta">Run <code>${escapeHtml(runDir)}</code>. ${spec.cut_model.qubits}-qubit classifier (${spec.cut_model.layers} layers), MNIST ${spec.data.classes.join(' vs ')} at one pixel per qubit, over ${nodes}. Paper 001 (arXiv 2508.11848), second half.</p></header>
<h2>Training through the cut</h2>
<table>
<tr><th>test accuracy, cut model trained over the nodes</th><td>${pct(r.cutAccuracy)}</td></tr>
<tr><th>test accuracy, the same model trained uncut (local simulator)</th><td>${pct(r.uncutAccuracy)}</td></tr>
<tr><th>cuts</th><td>${o.nGateCuts} gate, ${o.nWireCuts} wire; gamma per cut ${o.perCut.join(', ')}</td></tr>
<tr><th>sampling overhead (gamma^2)</th><td>${o.samplingOverhead}x the shots of the uncut circuit for the same precision</td></tr>
<tr><th>sub-experiments per sample</th><td>${o.nExperiments} (${o.nTerms} quasi-probability terms)</td></tr>
<tr><th>training</th><td>${r.steps} steps in ${r.trainSeconds.toFixed(1)} s; ${r.training.tasks} tasks, ${r.training.replicas} replicas, ${r.training.evaluations} sub-experiment evaluations${spec.train.shots > 0 ? `, ${r.training.shots} shots` : ' (exact expectation values)'}</td></tr>
</table>
${a ? `<h2>Node ${escapeHtml(a.node)} turns malicious</h2>
<table><tr><th>eps</th><th>accuracy</th><th>replica detector (deployed)</th><th>replica detector (study)</th><th>identity detector (deployed)</th></tr>
${rows}</table>
<p>${a.excludedAccuracy !== undefined ? `With exclusion on, at eps ${a.rows[a.rows.length - 1]!.eps}: excluded ${escapeHtml(a.excluded.join(', ') || 'nobody')}, accuracy ${pct(a.excludedAccuracy)}.` : ''} A uniform perturbation keeps the quasi-probability identities (V I V^dag = I), so only the replica sees it; the identities see selective perturbations.</p>` : ''}
${plotsSection(plots)}`;
  const path = join(runDir, 'report.html');
  writeFileSync(path, page(`${spec.name}: cut model`, body));
  return path;
}
