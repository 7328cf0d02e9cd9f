/**
 * Catalog #1: the overlay's UDP port is blocked. Proof, strongest first: a DROP/REJECT for the
 * VXLAN port in a chain INPUT reaches (or INPUT policy DROP with no ACCEPT for it) on a node;
 * the capture showing tunnel packets that leave A and never arrive at B.
 */
import { cite, type AnalysisContext } from '../context.js';
import { parseIptablesSave, reachableChains, ruleMatchesPort, type IptablesRule } from '../parse/iptables.js';
import type { EvidenceRef, Finding, NotChecked } from '../types.js';
import { overlay } from './fixes.js';
import { finding, listNames, listPairs, type Rule, type RuleOutput } from './rule.js';

const BLOCKING = new Set(['DROP', 'REJECT']);

/** The UDP ports to look for: the CNI's, or both common VXLAN ports when the CNI is unknown. */
function ports(ctx: AnalysisContext): number[] {
  return ctx.cni() ? [overlay(ctx).port] : [8472, 4789];
}

function blocksPort(r: IptablesRule, port: number): boolean {
  const udp = r.protocol === undefined || r.protocol === 'udp' || r.protocol === '17';
  return !!r.target && BLOCKING.has(r.target) && udp && ruleMatchesPort(r, port);
}

function acceptsPort(r: IptablesRule, port: number): boolean {
  if (r.target !== 'ACCEPT') return false;
  const udp = r.protocol === undefined || r.protocol === 'udp';
  return udp && (r.dports.length === 0 ? !r.inInterface && !r.source && r.tokens.length <= 2 : ruleMatchesPort(r, port));
}

/** Evidence that a node's INPUT path blocks the overlay port, or nothing. */
function firewallBlocks(ctx: AnalysisContext, node: string, port: number): { refs: EvidenceRef[]; fix: string[]; byPolicy: boolean } | undefined {
  const p = ctx.parsed('iptables_filter', node, parseIptablesSave);
  if (!p) return undefined;
  const chains = new Set(reachableChains(p.value, 'filter', 'INPUT'));
  const rules = p.value.tables.get('filter')?.rules.filter((r) => chains.has(r.chain)) ?? [];
  // First matching rule wins in iptables; an ACCEPT for the port earlier in INPUT lets it through.
  const firstHit = rules.find((r) => blocksPort(r, port) || acceptsPort(r, port));
  if (firstHit && blocksPort(firstHit, port)) {
    return {
      refs: [cite(p.out, firstHit.line, firstHit.raw)],
      fix: [`on ${ctx.nodeName(node)}: iptables -t filter ${firstHit.raw.replace(/^(\[\d+:\d+\]\s*)?-A /, '-D ')}`],
      byPolicy: false,
    };
  }
  const policy = p.value.tables.get('filter')?.chains.get('INPUT');
  if (!firstHit && policy?.policy === 'DROP') {
    return {
      refs: [cite(p.out, policy.line, `:INPUT DROP (no ACCEPT for udp/${port})`)],
      fix: [`on ${ctx.nodeName(node)}: iptables -I INPUT -p udp --dport ${port} -j ACCEPT   # restrict -s to the node subnet`],
      byPolicy: true,
    };
  }
  return undefined;
}

export const overlayBlockedRule: Rule = {
  id: 'overlay-port-blocked',
  catalog: [1],
  run(ctx): RuleOutput {
    const findings: Finding[] = [];
    const { present, notChecked } = ctx.perNode('overlay-port-blocked', 'iptables_filter', parseIptablesSave);
    const ov = overlay(ctx);
    const lost = ctx.evidence.flows?.table.rows.filter((f) => f.verdict === 'lost') ?? [];
    const generic = [
      `open UDP ${ports(ctx).join('/')} between all nodes: firewalld: firewall-cmd --permanent --add-port=${ports(ctx)[0]}/udp && firewall-cmd --reload; ufw: ufw allow ${ports(ctx)[0]}/udp`,
      'cloud: allow the port in the nodes\' security group / network ACL (both directions)',
    ];
    const blockedNodes = new Set<string>();
    for (const { target } of present) {
      for (const port of ports(ctx)) {
        const hit = firewallBlocks(ctx, target, port);
        if (!hit) continue;
        const node = ctx.nodeName(target);
        blockedNodes.add(node);
        const pairs = lost.filter((f) => f.to === node).map((f) => [f.from, f.to] as [string, string]);
        findings.push(
          finding({
            id: 'overlay-port-blocked',
            catalog: 1,
            severity: 'critical',
            title: `${ov.name} port UDP ${port} is blocked on ${node}`,
            summary: `${node}'s firewall ${hit.byPolicy ? 'drops everything not accepted in INPUT and nothing accepts' : 'drops'} UDP ${port}, so tunnel packets from other nodes never reach its ${ov.device}: cross-node pod traffic to and from ${node} fails, same-node traffic works.${pairs.length ? ` Capture: ${listPairs(pairs)} sent but not received.` : ''}`,
            nodes: [node],
            ...(pairs.length ? { pairs } : {}),
            evidence: hit.refs,
            fix: [...hit.fix, ...generic],
            rootCause: true,
            confidence: hit.byPolicy ? 'medium' : 'high',
          }),
        );
        break;
      }
    }
    // Packets lost on the way with no local rule to blame: the path (cloud firewall, nft, SG).
    const unexplained = lost.filter((f) => !blockedNodes.has(f.to));
    if (unexplained.length && ctx.evidence.flows) {
      const receivers = [...new Set(unexplained.map((f) => f.to))].sort();
      findings.push(
        finding({
          id: 'overlay-port-blocked',
          catalog: 1,
          severity: 'critical',
          title: `VXLAN traffic toward ${listNames(receivers)} is dropped between the nodes`,
          summary: `Tunnel packets leave the sender and never arrive (${listPairs(unexplained.map((f) => [f.from, f.to]))}); no iptables rule on the receiver explains it, so look at nftables, firewalld/ufw and the network between the nodes (security groups).`,
          nodes: receivers,
          pairs: unexplained.map((f) => [f.from, f.to]),
          evidence: unexplained.slice(0, 6).map((f) => ({ file: ctx.evidence.flows!.file, excerpt: `${f.from}→${f.to}${f.port ? ` udp/${f.port}` : ''}: sent ${f.sent ?? '-'}, received ${f.received ?? '-'}` })),
          fix: [`on ${listNames(receivers)}: nft list ruleset | grep -n ${ports(ctx)[0]}`, ...generic],
          rootCause: true,
          confidence: 'medium',
        }),
      );
    }
    const extra: NotChecked[] = ctx.evidence.flows ? [] : [{ rule: 'overlay-port-blocked', reason: `not checked (capture half): ${ctx.why('vxlan_capture')}` }];
    return { findings, notChecked: [...notChecked, ...extra] };
  },
};
