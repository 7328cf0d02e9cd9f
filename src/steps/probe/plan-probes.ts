/** Every probe of the matrix for a topology: each ordered pod pair, pod→service, pod→node, DNS. */
import type { ConnectivityTest } from '../../analyze/types.js';
import type { ProbeTopology } from './discover.js';
import { dnsScript, pingScript, tcpScript, type PlannedProbe } from './tests.js';

export const ALL_TESTS: ConnectivityTest[] = ['pod-pod', 'pod-pod-small', 'pod-pod-large', 'pod-clusterip', 'pod-node', 'dns-internal', 'dns-fqdn', 'dns-external'];

/** Small DF probe payload: well under any overlay MTU, so it isolates MTU from reachability. */
const SMALL_DF = 100;

export function planProbes(topo: ProbeTopology, opts: { tests: ConnectivityTest[]; externalName?: string; mtuOf: (pod: string) => number | undefined }): PlannedProbe[] {
  const want = new Set(opts.tests);
  const out: PlannedProbe[] = [];
  for (const from of topo.pods) {
    const base = { from: from.name, fromNode: from.node };
    for (const to of topo.pods) {
      if (to === from) continue;
      const pair = { ...base, to: to.name, toNode: to.node, sameNode: to.node === from.node };
      if (want.has('pod-pod')) out.push({ ...pair, test: 'pod-pod', script: pingScript(to.ip) });
      if (want.has('pod-pod-small')) out.push({ ...pair, test: 'pod-pod-small', script: pingScript(to.ip, SMALL_DF) });
      const mtu = opts.mtuOf(from.name);
      if (want.has('pod-pod-large') && mtu) out.push({ ...pair, test: 'pod-pod-large', script: pingScript(to.ip, mtu - 28) });
    }
    if (want.has('pod-clusterip')) {
      for (const s of topo.services) out.push({ ...base, test: 'pod-clusterip', to: `${s.namespace}/${s.name} ${s.ip}:${s.port}`, script: tcpScript(s.ip, s.port) });
    }
    if (want.has('pod-node')) {
      for (const n of topo.nodes) out.push({ ...base, test: 'pod-node', to: n.name, toNode: n.name, sameNode: n.name === from.node, script: pingScript(n.ip) });
    }
    if (want.has('dns-internal')) out.push({ ...base, test: 'dns-internal', to: 'kubernetes.default', script: dnsScript('kubernetes.default') });
    if (want.has('dns-fqdn')) out.push({ ...base, test: 'dns-fqdn', to: 'kubernetes.default.svc.cluster.local', script: dnsScript('kubernetes.default.svc.cluster.local', topo.dnsIP) });
    if (want.has('dns-external') && opts.externalName) out.push({ ...base, test: 'dns-external', to: opts.externalName, script: dnsScript(opts.externalName) });
  }
  return out;
}
