/**
 * Catalog #9 (podCIDR unassigned / overlapping / outside the flannel Network, duplicate pod
 * IPs) and #10 (cni0's address is not the node's podCIDR `.1`, or the kubelet reports
 * "cni0 already has an IP address different from …").
 */
import { cite, type AnalysisContext } from '../context.js';
import { parseFlannelConfig, parseIPPools } from '../parse/cni-config.js';
import { parseIpAddrs } from '../parse/ip-json.js';
import { parseIpText } from '../parse/ip-text.js';
import { cidrContains, cidrOverlaps, cidrWithin, parseCidr } from '../parse/ipv4.js';
import { parseEvents, parsePods } from '../parse/k8s.js';
import type { EvidenceRef, Finding, NotChecked } from '../types.js';
import { restartCniAgent } from './fixes.js';
import { finding, listNames, type Rule, type RuleOutput } from './rule.js';

export const podCidrRule: Rule = {
  id: 'pod-cidr',
  catalog: [9],
  run(ctx): RuleOutput {
    const nodesOut = ctx.output('nodes');
    const nodes = ctx.k8sNodes();
    if (!nodes.length || !nodesOut) return { findings: [], notChecked: [ctx.missingCluster('pod-cidr', 'nodes')] };
    const notChecked: NotChecked[] = [];
    const problems: { node: string; text: string; ref: EvidenceRef }[] = [];
    const flannel = ctx.cluster('flannel_config', parseFlannelConfig);
    const pools = ctx.cluster('calico_ippools', parseIPPools);
    const network = ctx.cni() === 'calico' ? pools?.value.items[0]?.cidr : flannel?.value.conf?.network;
    if (!network) notChecked.push(ctx.missingCluster('pod-cidr (within cluster network)', ctx.cni() === 'calico' ? 'calico_ippools' : 'flannel_config'));
    const net = network ? parseCidr(network) : undefined;
    const ref = (n: { line?: number }, text: string) => cite(nodesOut, n.line, text);
    for (const n of nodes) {
      const c = n.podCIDR ? parseCidr(n.podCIDR) : undefined;
      if (!n.podCIDR) {
        if (ctx.cni() !== 'calico') problems.push({ node: n.name, text: `${n.name} has no spec.podCIDR`, ref: ref(n, `${n.name}: spec.podCIDR unset`) });
        continue;
      }
      if (c && net && !cidrWithin(c, net)) problems.push({ node: n.name, text: `${n.name}'s podCIDR ${n.podCIDR} is outside the pod network ${network}`, ref: ref(n, `${n.name}: podCIDR ${n.podCIDR}`) });
      for (const m of nodes) {
        const d = m.podCIDR ? parseCidr(m.podCIDR) : undefined;
        if (m.name > n.name && c && d && cidrOverlaps(c, d)) {
          problems.push({ node: n.name, text: `${n.name} (${n.podCIDR}) and ${m.name} (${m.podCIDR}) have overlapping podCIDRs`, ref: ref(n, `${n.name}: podCIDR ${n.podCIDR}; ${m.name}: podCIDR ${m.podCIDR}`) });
          problems.push({ node: m.name, text: '', ref: ref(m, `${m.name}: podCIDR ${m.podCIDR}`) });
        }
      }
    }
    // Duplicate pod IPs among non-host-network pods we know about.
    const seen = new Map<string, string>();
    for (const step of ['coredns_pods', 'cni_pods', 'kube_proxy_pods']) {
      const p = ctx.cluster(step, parsePods);
      for (const pod of p?.value.items ?? []) {
        if (!pod.podIP || pod.podIP === pod.hostIP) continue;
        const other = seen.get(pod.podIP);
        if (other && other !== pod.name) problems.push({ node: pod.nodeName ?? '', text: `pods ${other} and ${pod.name} share IP ${pod.podIP}`, ref: cite(p!.out, pod.line, `${pod.name}: podIP ${pod.podIP}`) });
        seen.set(pod.podIP, pod.name);
      }
    }
    for (const pod of ctx.evidence.connectivity?.matrix.pods ?? []) {
      const other = seen.get(pod.ip);
      if (other && other !== pod.name) problems.push({ node: pod.node, text: `pods ${other} and ${pod.name} share IP ${pod.ip}`, ref: { file: ctx.evidence.connectivity!.file, excerpt: `${pod.name} ${pod.ip}` } });
      seen.set(pod.ip, pod.name);
    }
    if (!problems.length) return { findings: [], notChecked };
    const names = [...new Set(problems.map((p) => p.node).filter(Boolean))].sort();
    return {
      findings: [
        finding({
          id: 'pod-cidr-invalid',
          catalog: 9,
          severity: 'critical',
          title: `Pod address allocation is broken on ${listNames(names)}`,
          summary: problems.map((p) => p.text).filter(Boolean).join('; ') + '. flannel crash-loops or programs conflicting routes; pods get duplicate or unroutable IPs.',
          nodes: names,
          evidence: problems.map((p) => p.ref).slice(0, 6),
          fix: ['fix kube-controller-manager --allocate-node-cidrs/--cluster-cidr so it matches the CNI network, then re-create the affected Node objects (kubectl delete node + kubelet restart) or patch spec.podCIDR on a node that has none'],
          rootCause: true,
        }),
      ],
      notChecked,
    };
  },
};

/** cni0 addresses of a node: `addrs` JSON, else the `flannel_interfaces` text. */
function cni0Addresses(ctx: AnalysisContext, target: string): { addrs: string[]; ref?: EvidenceRef } | undefined {
  const j = ctx.parsed('addrs', target, parseIpAddrs);
  if (j) {
    const cni = j.value.items.find((i) => i.ifname === 'cni0');
    const v4 = cni?.addresses.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) ?? [];
    return { addrs: v4, ref: cni ? cite(j.out, 1, `cni0 inet ${v4.join(', ')}`) : undefined };
  }
  const t = ctx.parsed('flannel_interfaces', target, parseIpText);
  if (!t) return undefined;
  const cni = t.value.find((i) => i.ifname === 'cni0');
  return { addrs: cni?.inet.map((i) => i.address) ?? [], ref: cni?.inet[0] ? cite(t.out, cni.inet[0].line, `inet ${cni.inet[0].address} (cni0)`) : undefined };
}

export const cni0AddressRule: Rule = {
  id: 'cni0-address',
  catalog: [10],
  run(ctx): RuleOutput {
    if (ctx.cni() === 'calico') return { findings: [], notChecked: [] };
    const findings: Finding[] = [];
    const notChecked: NotChecked[] = [];
    const events = ctx.cluster('kube_system_events', parseEvents);
    const eventHits = events?.value.items.filter((e) => /cni0.*already has an IP address different from/i.test(e.message)) ?? [];
    for (const target of ctx.evidence.nodes) {
      const node = ctx.nodeName(target);
      const k8s = ctx.k8sNodeOf(target);
      const cni = cni0Addresses(ctx, target);
      const hits = eventHits.filter((e) => e.host === node || e.message.includes(node));
      const evidence: EvidenceRef[] = hits.slice(0, 2).map((e) => cite(events!.out, e.line, `${e.reason}: ${e.message}`));
      let wrong: string[] = [];
      if (!cni) notChecked.push({ rule: 'cni0-address', reason: `not checked on ${target}: ${ctx.why('addrs', target)}` });
      else if (!k8s?.podCIDR) notChecked.push({ rule: 'cni0-address', reason: `not checked on ${target}: podCIDR unknown (${ctx.why('nodes')})` });
      else {
        const c = parseCidr(k8s.podCIDR)!;
        wrong = cni.addrs.filter((a) => !cidrContains(c, a.split('/')[0]));
        if (wrong.length && cni.ref) evidence.unshift(cni.ref);
      }
      if (!wrong.length && !hits.length) continue;
      findings.push(
        finding({
          id: 'cni0-address-mismatch',
          catalog: 10,
          severity: 'critical',
          title: `cni0 on ${node} has ${wrong.length ? wrong.join(', ') : 'an address'} outside the node's podCIDR${k8s?.podCIDR ? ` ${k8s.podCIDR}` : ''}`,
          summary: `The cni0 bridge on ${node} does not hold its podCIDR's .1: pods on ${node} cannot reach each other or their gateway ("Destination Host Unreachable") and new pods stick in ContainerCreating (FailedCreatePodSandBox).`,
          nodes: [node],
          evidence,
          fix: [
            `kubectl drain ${node} --ignore-daemonsets --delete-emptydir-data`,
            `on ${node}: ip link set cni0 down && ip link delete cni0`,
            `on ${node}: systemctl restart containerd kubelet   # the CNI re-creates cni0 with ${k8s?.podCIDR ? k8s.podCIDR.replace(/\.0\/\d+$/, '.1') : "the podCIDR's .1"}`,
            restartCniAgent(ctx, node),
            `kubectl uncordon ${node}`,
          ],
          rootCause: true,
          confidence: wrong.length ? 'high' : 'medium',
        }),
      );
    }
    return { findings, notChecked };
  },
};
