/**
 * CoreDNS: #18 forwarding loop (`plugin/loop: Loop … detected`, node resolv.conf pointing at a
 * local stub), #19 upstream unreachable (`plugin/errors … i/o timeout`), and CoreDNS pods not
 * running/ready (a symptom of #18, or a cause of its own when nothing explains it).
 */
import { cite, type AnalysisContext } from '../context.js';
import { parsePods } from '../parse/k8s.js';
import { matchLog, parseResolvConf } from '../parse/logs.js';
import { matrixPatterns } from '../matrix.js';
import type { EvidenceRef, Finding, NotChecked } from '../types.js';
import { finding, listNames, type Rule, type RuleOutput } from './rule.js';

/** CoreDNS pod readiness digest (also used for facts). */
export function corednsStatus(ctx: AnalysisContext): { ready: number; total: number; crashLooping: boolean } | undefined {
  const pods = ctx.cluster('coredns_pods', parsePods)?.value.items;
  if (!pods) return undefined;
  const ready = pods.filter((p) => p.phase === 'Running' && p.containers.length > 0 && p.containers.every((c) => c.ready)).length;
  const crashLooping = pods.some((p) => p.containers.some((c) => c.waitingReason === 'CrashLoopBackOff'));
  return { ready, total: pods.length, crashLooping };
}

/** Nodes whose resolv.conf points at a loopback stub resolver (what CoreDNS then forwards to). */
function loopbackResolvers(ctx: AnalysisContext): EvidenceRef[] {
  const refs: EvidenceRef[] = [];
  for (const node of ctx.evidence.nodes) {
    const r = ctx.parsed('resolv_conf', node, parseResolvConf);
    for (const ns of r?.value.nameservers ?? []) if (/^127\./.test(ns.address) || ns.address === '::1') refs.push(cite(r!.out, ns.line, `${node}: nameserver ${ns.address}`));
  }
  return refs;
}

export const corednsRule: Rule = {
  id: 'coredns',
  catalog: [18, 19],
  run(ctx): RuleOutput {
    const findings: Finding[] = [];
    const notChecked: NotChecked[] = [];
    const logs = ctx.cluster('coredns_logs', (t) => matchLog(t, ['coredns-loop', 'coredns-upstream-timeout']));
    if (!logs) notChecked.push(ctx.missingCluster('coredns (logs)', 'coredns_logs'));
    const loop = logs?.value.filter((m) => m.signature === 'coredns-loop') ?? [];
    const timeouts = logs?.value.filter((m) => m.signature === 'coredns-upstream-timeout') ?? [];
    const stubs = loopbackResolvers(ctx);
    if (loop.length) {
      findings.push(
        finding({
          id: 'coredns-forward-loop',
          catalog: 18,
          severity: 'critical',
          title: 'CoreDNS detected a forwarding loop and exits',
          summary: `CoreDNS forwards to /etc/resolv.conf, which on the node points back at a local resolver${stubs.length ? ` (${stubs.map((s) => s.excerpt).join('; ')})` : ''}; the loop plugin kills CoreDNS, so every DNS lookup in the cluster fails.`,
          nodes: [],
          evidence: [...loop.slice(0, 2).map((m) => cite(logs!.out, m.line, m.text)), ...stubs.slice(0, 3)],
          fix: [
            'point kubelet at the real upstream list: resolvConf: /run/systemd/resolve/resolv.conf in /var/lib/kubelet/config.yaml, then restart kubelet and the CoreDNS pods',
            'or forward to explicit upstreams in the Corefile: kubectl -n kube-system edit cm coredns  →  forward . <upstream-ip>',
            'kubectl -n kube-system rollout restart deployment/coredns',
          ],
          rootCause: true,
        }),
      );
    }
    if (timeouts.length) {
      const upstreams = [...new Set(timeouts.map((m) => /->\s*([\d.]+):53/.exec(m.text)?.[1]).filter(Boolean))] as string[];
      findings.push(
        finding({
          id: 'coredns-upstream-unreachable',
          catalog: 19,
          severity: 'high',
          title: `CoreDNS cannot reach its upstream resolver${upstreams.length ? ` ${listNames(upstreams)}` : ''}`,
          summary: `CoreDNS logs upstream timeouts (${timeouts.length} line${timeouts.length > 1 ? 's' : ''}): cluster names resolve, external names time out.`,
          nodes: [],
          evidence: timeouts.slice(0, 3).map((m) => cite(logs!.out, m.line, m.text)),
          fix: [
            `from a node: dig @${upstreams[0] ?? '<upstream>'} example.com   # does the upstream answer at all?`,
            'allow UDP/TCP 53 from the nodes (and pod egress via MASQUERADE) to the upstream, or change the forward target in the coredns ConfigMap',
          ],
          rootCause: true,
        }),
      );
    }
    // No log line (yet), but the matrix shows the #19 pattern on every node: name it, less sure.
    const m = ctx.evidence.connectivity ? matrixPatterns(ctx.evidence.connectivity.matrix) : undefined;
    if (!timeouts.length && !loop.length && m && m.dns.internalOk > 0 && m.dns.externalOk === 0 && m.dns.externalFailedFrom.length > 0) {
      const failed = m.dns.results.filter((r) => r.test === 'dns-external');
      findings.push(
        finding({
          id: 'coredns-upstream-unreachable',
          catalog: 19,
          severity: 'high',
          title: 'External names fail from every node while cluster names resolve: CoreDNS\'s upstream is unreachable',
          summary: `Every external lookup failed (${failed.length}) and every cluster lookup that ran answered. ${logs ? 'The CoreDNS log holds no upstream error (collected before the lookups timed out?)' : 'CoreDNS logs were not collected'}: check the forward target of the Corefile and whether the nodes reach it.`,
          nodes: [],
          evidence: failed.slice(0, 3).map((r) => ({ file: ctx.evidence.connectivity!.file, excerpt: `${r.test} from ${r.from} (${r.fromNode}) → ${r.to}: ${r.error ?? 'failed'}` })),
          fix: ['from a node: dig @<upstream in /etc/resolv.conf> example.com', 'allow UDP/TCP 53 from the nodes to the upstream, or change the forward target in the coredns ConfigMap'],
          rootCause: true,
          confidence: 'medium',
        }),
      );
    }
    const status = corednsStatus(ctx);
    if (!status) notChecked.push(ctx.missingCluster('coredns (pods)', 'coredns_pods'));
    else if (status.total === 0 || status.ready === 0) {
      const pods = ctx.cluster('coredns_pods', parsePods)!;
      findings.push(
        finding({
          id: 'coredns-unavailable',
          catalog: 18,
          severity: 'critical',
          title: status.total === 0 ? 'No CoreDNS pods exist' : `No CoreDNS pod is ready (0/${status.total}${status.crashLooping ? ', CrashLoopBackOff' : ''})`,
          summary: 'kube-dns has no ready endpoint: every DNS lookup from pods fails.',
          nodes: [...new Set(pods.value.items.map((p) => p.nodeName ?? ''))].filter(Boolean),
          evidence: pods.value.items.slice(0, 3).map((p) => {
            const c = p.containers.find((x) => x.waitingReason) ?? p.containers[0];
            return cite(pods.out, p.line, `${p.name}: ${p.phase}${c ? `, ${c.name} ${c.waitingReason ?? (c.ready ? 'ready' : 'not ready')}, restarts ${c.restartCount}` : ''}`);
          }),
          fix: ['kubectl -n kube-system logs -l k8s-app=kube-dns --previous', 'kubectl -n kube-system describe pods -l k8s-app=kube-dns'],
          // The loop is the cause when it was seen; otherwise this is the best we know.
          rootCause: loop.length === 0,
          confidence: loop.length === 0 ? 'medium' : 'high',
        }),
      );
    }
    return { findings, notChecked };
  },
};
