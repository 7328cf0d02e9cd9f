/**
 * Facts for `when:` expressions and the report (e.g. `facts.kubeProxy.crashLooping`, which
 * gates the kube-proxy restart remediation) and per-node digests for the per-area sections.
 */
import type { AnalysisContext } from './context.js';
import { matrixPatterns } from './matrix.js';
import { parseIpAddrs, parseIpLinks } from './parse/ip-json.js';
import { parseIptablesSave } from './parse/iptables.js';
import { parseSysctl, sysctlNumber } from './parse/sysctl.js';
import { corednsStatus } from './rules/coredns.js';
import { overlay } from './rules/fixes.js';
import { crashLoopingKubeProxies } from './rules/kube-proxy.js';
import { uplinkOf } from './rules/mtu.js';
import type { AnalysisFacts, NodeFacts } from './types.js';

function nodeFacts(ctx: AnalysisContext, target: string): NodeFacts {
  const name = ctx.nodeName(target);
  const k8s = ctx.k8sNodeOf(target);
  const f: NodeFacts = { name, ...(k8s?.podCIDR ? { podCIDR: k8s.podCIDR } : {}), ...(k8s?.internalIP ? { internalIP: k8s.internalIP } : {}) };
  const sys = ctx.parsed('sysctls', target, parseSysctl)?.value;
  if (sys) {
    const fwd = sysctlNumber(sys, 'net.ipv4.ip_forward');
    if (fwd !== undefined) f.ipForward = fwd === 1;
    const br = sysctlNumber(sys, 'net.bridge.bridge-nf-call-iptables');
    f.bridgeNfCallIptables = br === 1;
    const count = sysctlNumber(sys, 'net.netfilter.nf_conntrack_count');
    const max = sysctlNumber(sys, 'net.netfilter.nf_conntrack_max');
    if (count !== undefined && max !== undefined) f.conntrack = { count, max };
  }
  const links = ctx.parsed('links', target, parseIpLinks)?.value.items;
  if (links) {
    const dev = overlay(ctx).device;
    const t = links.find((l) => l.ifname === dev) ?? links.find((l) => l.kind === 'vxlan');
    if (t) f.tunnel = { name: t.ifname, mtu: t.mtu, local: t.vxlan?.local, port: t.vxlan?.port, vni: t.vxlan?.vni, mac: t.address };
    const up = uplinkOf(ctx, target, links, t);
    if (up?.mtu !== undefined) f.uplinkMtu = up.mtu;
  }
  const addrs = ctx.parsed('addrs', target, parseIpAddrs)?.value.items;
  const cni0 = addrs?.find((a) => a.ifname === 'cni0');
  if (cni0) f.cni0Addresses = cni0.addresses.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  const nat = ctx.parsed('iptables_nat', target, parseIptablesSave)?.value;
  if (nat) f.kubeServicesRules = nat.tables.get('nat')?.rules.filter((r) => r.chain === 'KUBE-SERVICES').length ?? 0;
  return f;
}

export function collectFacts(ctx: AnalysisContext): AnalysisFacts {
  const crashing = crashLoopingKubeProxies(ctx);
  const dns = corednsStatus(ctx);
  const m = ctx.evidence.connectivity ? matrixPatterns(ctx.evidence.connectivity.matrix) : undefined;
  const nodes: Record<string, NodeFacts> = {};
  for (const t of ctx.evidence.nodes) {
    const f = nodeFacts(ctx, t);
    nodes[f.name] = f;
  }
  return {
    ...(ctx.cni() ? { cni: ctx.cni() } : {}),
    kubeProxy: { crashLooping: crashing.length > 0, nodes: crashing.map((p) => p.nodeName ?? p.name) },
    coredns: { crashLooping: dns?.crashLooping ?? false, ready: dns?.ready ?? 0, total: dns?.total ?? 0 },
    ...(m
      ? { matrix: { total: m.total, failed: m.failed, sameNodeFailed: m.sameNode.results.length, crossNodeFailed: m.crossNode.results.length } }
      : {}),
    nodes,
  };
}
