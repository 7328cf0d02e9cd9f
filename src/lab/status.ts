/**
 * `netdiag lab status`: what a lab is made of and whether its processes still run, as text
 * for people and as JSON for scripts.
 */
import type { LabPod, LabState } from './model.js';
import { isAlive } from './processes.js';
import { FAULTS } from './faults.js';

/** The JSON shape of `lab status --json` (one entry per lab). */
export interface LabStatus {
  name: string;
  stateFile: string;
  dir: string;
  cni: string;
  vxlanMode: string;
  nodesOnly: boolean;
  api: { url: string; pid?: number; running: boolean };
  files: LabState['files'];
  nodes: { name: string; address: string; podCIDR: string; netns: string; sshd: 'running' | 'stopped' }[];
  pods: { namespace: string; name: string; node: string; ip: string; status: string; restarts: number }[];
  services: { namespace: string; name: string; clusterIP: string; ports: string }[];
  faults: { name: string; node?: string }[];
  processes: { total: number; running: number };
  warnings: string[];
  timings?: Record<string, number>;
}

/** What kubectl's STATUS column shows for a pod. */
export function podStatusText(p: LabPod): string {
  const waiting = p.containers.find((c) => c.waitingReason)?.waitingReason;
  return waiting ?? p.phase;
}

function alive(pid: number | undefined, state: LabState): boolean {
  const proc = state.processes.find((p) => p.pid === pid);
  return proc ? isAlive(proc) : false;
}

/** Collects a lab's status. */
export function labStatus(state: LabState, stateFile: string): LabStatus {
  const apiAlive = state.api.pid ? (() => { try { process.kill(state.api.pid!, 0); return true; } catch { return false; } })() : false;
  return {
    name: state.name,
    stateFile,
    dir: state.dir,
    cni: state.cni,
    vxlanMode: state.vxlanMode,
    nodesOnly: state.nodesOnly,
    api: { url: state.api.url, pid: state.api.pid, running: apiAlive },
    files: state.files,
    nodes: state.nodes.map((n) => ({ name: n.name, address: n.address, podCIDR: n.podCIDR, netns: n.netns, sshd: alive(n.sshdPid, state) ? 'running' : 'stopped' })),
    pods: state.pods.map((p) => ({ namespace: p.namespace, name: p.name, node: p.node, ip: p.ip, status: podStatusText(p), restarts: p.containers.reduce((a, c) => a + c.restartCount, 0) })),
    services: state.services.map((s) => ({ namespace: s.namespace, name: s.name, clusterIP: s.clusterIP, ports: s.ports.map((p) => `${p.port}/${p.protocol}`).join(',') })),
    faults: state.faults,
    processes: { total: state.processes.length, running: state.processes.filter(isAlive).length },
    warnings: state.warnings ?? [],
    timings: state.timings,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd()).join('\n');
}

/** Human-readable status of one lab. */
export function formatLabStatus(s: LabStatus): string {
  const out: string[] = [];
  out.push(`lab ${s.name}: ${s.nodes.length} node(s), cni ${s.cni}${s.cni === 'calico' ? ` (vxlanMode ${s.vxlanMode})` : ''}${s.nodesOnly ? ', nodes only' : ''}`);
  out.push(`  API server:  ${s.api.url || '(not started)'}${s.api.pid ? ` pid ${s.api.pid} ${s.api.running ? 'running' : 'NOT RUNNING'}` : ''}`);
  out.push(`  kubeconfig:  ${s.files.kubeconfig}`);
  out.push(`  inventory:   ${s.files.inventory}`);
  out.push(`  known_hosts: ${s.files.knownHosts}`);
  out.push(`  ssh key:     ${s.files.sshKey}`);
  out.push(`  processes:   ${s.processes.running}/${s.processes.total} running`);
  out.push(`  faults:      ${s.faults.length ? s.faults.map((f) => (f.node ? `${f.name}@${f.node}` : f.name)).join(', ') : 'none'}`);
  for (const w of s.warnings) out.push(`  warning:     ${w}`);
  out.push('');
  out.push(table([['NODE', 'ADDRESS', 'POD CIDR', 'SSHD'], ...s.nodes.map((n) => [n.name, n.address, n.podCIDR || '-', n.sshd])]));
  if (s.pods.length) {
    out.push('');
    out.push(table([['NAMESPACE', 'POD', 'NODE', 'IP', 'STATUS', 'RESTARTS'], ...s.pods.map((p) => [p.namespace, p.name, p.node, p.ip || '<none>', p.status, String(p.restarts)])]));
  }
  if (s.services.length) {
    out.push('');
    out.push(table([['NAMESPACE', 'SERVICE', 'CLUSTER-IP', 'PORTS'], ...s.services.map((v) => [v.namespace, v.name, v.clusterIP, v.ports])]));
  }
  return out.join('\n') + '\n';
}

/** `netdiag lab faults`: every fault with its scope and symptom. */
export function formatFaultList(): string {
  const lines = FAULTS.map((f) => {
    const scope = f.scope === 'node' ? '[@node, default: last node]' : f.narrowable ? '[cluster, or @node]' : '[cluster]';
    const cni = f.cni ? ` (--cni ${f.cni})` : '';
    return `${f.name}${cni} ${scope}\n    ${f.symptom}`;
  });
  return lines.join('\n') + '\n';
}
