/**
 * Catalog #15 (kube-proxy CrashLoopBackOff) and #16 (a Service not programmed on a node, or
 * without endpoints). #15 is the one automatic remediation: `rollout restart ds/kube-proxy`.
 */
import { cite, type AnalysisContext } from '../context.js';
import { parseIptablesSave } from '../parse/iptables.js';
import { parseEndpointSlices, parsePods, parseServices, type K8sPod } from '../parse/k8s.js';
import { matchLog } from '../parse/logs.js';
import type { EvidenceRef, Finding, NotChecked } from '../types.js';
import { finding, listNames, type Rule, type RuleOutput } from './rule.js';

/** kube-proxy pods stuck restarting (CrashLoopBackOff / Error waiting states). */
export function crashLoopingKubeProxies(ctx: AnalysisContext): K8sPod[] {
  const pods = ctx.cluster('kube_proxy_pods', parsePods)?.value.items ?? [];
  return pods.filter((p) => p.containers.some((c) => c.waitingReason === 'CrashLoopBackOff' || (c.waitingReason === 'Error' && c.restartCount > 0)));
}

export const kubeProxyCrashRule: Rule = {
  id: 'kube-proxy-crashloop',
  catalog: [15],
  run(ctx): RuleOutput {
    const pods = ctx.cluster('kube_proxy_pods', parsePods);
    if (!pods) return { findings: [], notChecked: [ctx.missingCluster('kube-proxy-crashloop', 'kube_proxy_pods')] };
    const bad = crashLoopingKubeProxies(ctx);
    if (!bad.length) return { findings: [], notChecked: [] };
    const logs = ctx.cluster('kube_proxy_logs', (t) => matchLog(t, ['kube-proxy-conntrack-permission', 'kube-proxy-br-netfilter', 'kube-proxy-fatal']));
    const evidence: EvidenceRef[] = bad.map((p) => {
      const c = p.containers.find((x) => x.waitingReason)!;
      return cite(pods.out, p.line, `${p.name} on ${p.nodeName}: ${c.waitingReason}, restartCount ${c.restartCount}${c.lastTerminatedReason ? `, last terminated ${c.lastTerminatedReason} (exit ${c.lastExitCode})` : ''}`);
    });
    for (const m of logs?.value.slice(0, 3) ?? []) evidence.push(cite(logs!.out, m.line, m.text));
    const conntrack = logs?.value.some((m) => m.signature === 'kube-proxy-conntrack-permission');
    const nodes = bad.map((p) => p.nodeName ?? p.name);
    return {
      findings: [
        finding({
          id: 'kube-proxy-crashloop',
          catalog: 15,
          severity: 'critical',
          title: `kube-proxy is in CrashLoopBackOff on ${listNames(nodes)}`,
          summary: `kube-proxy keeps crashing on ${listNames(nodes)}, so its Service rules there are missing or stale: every ClusterIP (including kube-dns) fails from pods on ${nodes.length > 1 ? 'those nodes' : 'that node'} while pod IPs work.${conntrack ? ' Its log shows it cannot set nf_conntrack_max (permission denied).' : ''}`,
          nodes,
          evidence,
          fix: [
            ...(conntrack ? ["set conntrack.maxPerCore: 0 in the kube-proxy ConfigMap (kubectl -n kube-system edit cm kube-proxy) so it stops writing nf_conntrack_max"] : []),
            'kubectl -n kube-system rollout restart daemonset/kube-proxy',
            'kubectl -n kube-system rollout status daemonset/kube-proxy && kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=50',
          ],
          rootCause: true,
          remediable: true,
        }),
      ],
      notChecked: [],
    };
  },
};

export const serviceProgrammingRule: Rule = {
  id: 'service-programming',
  catalog: [16],
  run(ctx): RuleOutput {
    const svcs = ctx.cluster('services', parseServices);
    if (!svcs) return { findings: [], notChecked: [ctx.missingCluster('service-programming', 'services')] };
    const notChecked: NotChecked[] = [];
    const slices = ctx.cluster('endpointslices', parseEndpointSlices);
    if (!slices) notChecked.push(ctx.missingCluster('service-programming (endpoints)', 'endpointslices'));
    const services = svcs.value.items.filter((s) => s.clusterIP && s.clusterIP !== 'None' && s.type !== 'ExternalName');
    const readyEndpoints = (ns: string, name: string) =>
      slices?.value.items.filter((e) => e.namespace === ns && e.service === name).flatMap((e) => e.endpoints.filter((x) => x.ready)).length;
    const findings: Finding[] = [];
    // Services with a selector and no ready endpoint: a REJECT is all kube-proxy can program.
    for (const s of services) {
      if (!slices || Object.keys(s.selector).length === 0 || readyEndpoints(s.namespace, s.name)! > 0) continue;
      findings.push(
        finding({
          id: 'service-no-endpoints',
          catalog: 16,
          severity: 'medium',
          title: `Service ${s.namespace}/${s.name} has no ready endpoints`,
          summary: `${s.namespace}/${s.name} (${s.clusterIP}) selects no ready pod: connections are rejected ("has no endpoints").`,
          nodes: [],
          evidence: [cite(svcs.out, s.line, `${s.namespace}/${s.name} clusterIP ${s.clusterIP} selector ${JSON.stringify(s.selector)}`)],
          fix: [`kubectl -n ${s.namespace} get pods -l ${Object.entries(s.selector).map(([k, v]) => `${k}=${v}`).join(',')} -o wide   # are they Running and Ready?`, 'fix the selector or the pods\' readiness'],
          rootCause: true,
        }),
      );
    }
    const crashing = new Set(crashLoopingKubeProxies(ctx).map((p) => p.nodeName));
    const { present, notChecked: nc } = ctx.perNode('service-programming', 'iptables_nat', parseIptablesSave);
    notChecked.push(...nc);
    for (const { target, out, value } of present) {
      const node = ctx.nodeName(target);
      const nat = value.tables.get('nat')?.rules.filter((r) => r.chain === 'KUBE-SERVICES') ?? [];
      const filter = ctx.parsed('iptables_filter', target, parseIptablesSave)?.value.tables.get('filter')?.rules.filter((r) => r.chain === 'KUBE-SERVICES') ?? [];
      const programmed = (ip: string) => [...nat, ...filter].some((r) => r.destination === `${ip}/32` || r.destination === ip);
      const missing = services.filter((s) => !programmed(s.clusterIP!) && (!slices || readyEndpoints(s.namespace, s.name)! > 0));
      if (!missing.length) continue;
      const chainLine = value.tables.get('nat')?.chains.get('KUBE-SERVICES')?.line;
      findings.push(
        finding({
          id: 'service-not-programmed',
          catalog: 16,
          severity: 'high',
          title: `${missing.length} Service${missing.length > 1 ? 's are' : ' is'} not programmed in iptables on ${node}`,
          summary: `KUBE-SERVICES on ${node} has no rule for ${missing.slice(0, 5).map((s) => `${s.namespace}/${s.name} (${s.clusterIP})`).join(', ')}${missing.length > 5 ? ' …' : ''}: ClusterIP traffic from ${node} is not DNATed to any endpoint.${crashing.has(node) ? ' kube-proxy is crash-looping there.' : ''}`,
          nodes: [node],
          evidence: [cite(out, chainLine, chainLine ? `KUBE-SERVICES has ${nat.length} rule(s), none for ${missing[0].clusterIP}` : 'no KUBE-SERVICES chain in the nat table')],
          fix: ['kubectl -n kube-system rollout restart daemonset/kube-proxy', `then on ${node}: iptables-save -t nat | grep ${missing[0].clusterIP}`],
          // A crash-looping kube-proxy on this node is the cause; this is then what it leaves behind.
          rootCause: !crashing.has(node),
          remediable: true,
        }),
      );
    }
    return { findings, notChecked };
  },
};
