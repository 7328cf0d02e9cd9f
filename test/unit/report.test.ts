/**
 * Report rendering: the verdict, matrix table, Mermaid graph, per-area links, "not checked"
 * and remediation sections come from the analysis and the manifest (rendered with the real
 * Handlebars templates from templates/).
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestData } from '../../src/artifacts/manifest.js';
import type { AnalysisResult, EvidenceSet, Finding } from '../../src/analyze/types.js';
import { renderReport } from '../../src/report/render.js';
import { buildReportView, pickVerdict, topFindings } from '../../src/report/view-model.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'ndt-report-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

const finding = (over: Partial<Finding>): Finding => ({
  id: 'x', catalog: 0, severity: 'high', title: 't', summary: 's', nodes: [], evidence: [], fix: [], rootCause: false, confidence: 'medium', explains: [], ...over,
});

const cause = finding({
  id: 'ip-forward-disabled', catalog: 3, severity: 'critical', title: 'ip_forward is off on node-3', nodes: ['node-3'], rootCause: true, confidence: 'high',
  explains: ['cross-node-failures'], fix: ['sysctl -w net.ipv4.ip_forward=1'], evidence: [{ file: 'sysctl-node-3.txt', line: 1, excerpt: 'net.ipv4.ip_forward = 0' }],
});
const symptom = finding({ id: 'cross-node-failures', title: 'pods on node-3 cannot reach other nodes', nodes: ['node-3'] });

const manifest = (): ManifestData => ({
  netdiag: { version: '0', node: 'v20' }, argv: [], plan: { name: 'network-diagnosis', file: 'p.yaml', sha256: 'x' }, check: true, options: {},
  status: 'completed', startedAt: '2026-12-03T00:00:00Z', runDir: dir,
  steps: [
    { index: 0, id: 'sysctls', name: 'Node sysctls', kind: 'ssh', remediation: false, targets: [{ target: 'node-3', status: 'ok', files: [{ path: 'sysctl-node-3.txt', bytes: 1, sha256: 'a' }] }] },
    { index: 1, id: 'restart_kube_proxy', name: 'Restart kube-proxy', kind: 'k8s', remediation: true, targets: [{ target: 'localhost', status: 'would-run', command: 'kubectl rollout restart daemonset/kube-proxy -n kube-system', files: [] }] },
  ],
});

const evidence: EvidenceSet = {
  outputs: new Map(), nodes: ['node-1', 'node-3'], missing: [],
  connectivity: {
    file: 'connectivity-matrix.json',
    matrix: {
      pods: [{ name: 'p1', node: 'node-1', ip: '198.19.1.2' }, { name: 'p3', node: 'node-3', ip: '198.19.3.2' }],
      results: [
        { test: 'pod-pod', from: 'p1', fromNode: 'node-1', to: 'p3', toNode: 'node-3', ok: false, error: '100% packet loss' },
        { test: 'pod-pod', from: 'p3', fromNode: 'node-3', to: 'p1', toNode: 'node-1', ok: false },
        { test: 'dns-external', from: 'p1', fromNode: 'node-1', to: 'example.test', ok: true },
      ],
    },
  },
};

const analysis: AnalysisResult = {
  findings: [cause, symptom],
  notChecked: [{ rule: 'vxlan-flow-table', reason: 'not checked: no SSH access to node-2' }],
  facts: { kubeProxy: { crashLooping: false, nodes: [] }, coredns: { crashLooping: false, ready: 1, total: 1 }, nodes: { 'node-3': { name: 'node-3', ipForward: false } } },
};

describe('report', () => {
  it('puts the root cause first and folds the symptoms it explains', () => {
    const top = topFindings(analysis.findings);
    expect(top.map((f) => f.id)).toEqual(['ip-forward-disabled']);
    expect(pickVerdict(top)?.id).toBe('ip-forward-disabled');
    expect(pickVerdict(topFindings([symptom]))?.id).toBe('cross-node-failures');
    expect(pickVerdict([])).toBeUndefined();
  });

  it('renders verdict, matrix, mermaid, areas, not-checked and remediation', async () => {
    const view = buildReportView(manifest(), analysis, evidence);
    const files = await renderReport(dir, view, analysis);
    expect(files.map((f) => path.basename(f))).toEqual(['DIAGNOSIS-REPORT.md', 'diagnosis-summary.txt', 'findings.json']);
    const md = await readFile(path.join(dir, 'DIAGNOSIS-REPORT.md'), 'utf8');
    const verdict = md.slice(md.indexOf('## Verdict'), md.indexOf('## Connectivity matrix'));
    expect(verdict).toContain('**ip_forward is off on node-3**');
    expect(verdict).toContain('Affected: **node-3**');
    expect(verdict).toContain('- sysctl -w net.ipv4.ip_forward=1');
    expect(verdict).toContain('[`sysctl-node-3.txt:1`](sysctl-node-3.txt)');
    expect(md).toContain('| p1 (node-1) | — | ❌ |');
    expect(md).toMatch(/node_1 -\.->\|"❌ fails"\| node_3/);
    expect(md).toContain('Explains: pods on node-3 cannot reach other nodes');
    expect(md).toContain('[Node sysctls — node-3](sysctl-node-3.txt)');
    expect(md).toContain('not checked: no SSH access to node-2');
    expect(md).toContain('would-run — `kubectl rollout restart daemonset/kube-proxy -n kube-system`');
    // Markdown, not HTML: commands keep their characters.
    expect(md).not.toContain('&amp;');
    const summary = await readFile(path.join(dir, 'diagnosis-summary.txt'), 'utf8');
    expect(summary).toContain('ROOT CAUSE: ip_forward is off on node-3');
    expect(JSON.parse(await readFile(path.join(dir, 'findings.json'), 'utf8')).findings).toHaveLength(2);
  });

  it('says so when nothing is wrong, and user templates override the built-in ones', async () => {
    const clean: AnalysisResult = { ...analysis, findings: [], notChecked: [] };
    await renderReport(dir, buildReportView(manifest(), clean, { ...evidence, connectivity: undefined }), clean);
    expect(await readFile(path.join(dir, 'DIAGNOSIS-REPORT.md'), 'utf8')).toContain('No fault found');
    const custom = path.join(dir, 'tpl');
    await mkdir(custom);
    await writeFile(path.join(custom, 'diagnosis-summary.txt.hbs'), 'custom {{planName}} {{#if healthy}}healthy{{/if}}\n');
    await renderReport(dir, buildReportView(manifest(), clean, evidence), clean, { templatesDir: custom });
    expect(await readFile(path.join(dir, 'diagnosis-summary.txt'), 'utf8')).toBe('custom network-diagnosis healthy\n');
  });

  it('calls a symptom-only verdict a symptom, without a fix line, and says each missing piece once', async () => {
    const noCause: AnalysisResult = {
      ...analysis,
      findings: [symptom],
      notChecked: [
        { rule: 'ip-forward', reason: 'not checked: no node targets in this run (sysctls not collected)' },
        { rule: 'sysctls', reason: 'not checked: no node targets in this run (sysctls not collected)' },
        { rule: 'overlay-port-blocked', reason: 'not checked: no node targets in this run (iptables_filter not collected)' },
      ],
    };
    await renderReport(dir, buildReportView(manifest(), noCause, evidence), noCause);
    const summary = await readFile(path.join(dir, 'diagnosis-summary.txt'), 'utf8');
    expect(summary).toContain('SYMPTOM (no cause identified): pods on node-3 cannot reach other nodes');
    expect(summary).not.toContain('ROOT CAUSE');
    expect(summary).not.toContain('fix:');
    expect(summary.match(/sysctls not collected/g)).toHaveLength(1);
    const md = await readFile(path.join(dir, 'DIAGNOSIS-REPORT.md'), 'utf8');
    expect(md).not.toContain('**Fix**');
    expect(md).toContain('No root cause could be named from the evidence collected');
    expect(md).toContain('- not checked: no node targets in this run (sysctls not collected) (`ip-forward`, `sysctls`)');
  });
});
