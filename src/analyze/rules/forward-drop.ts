/**
 * Catalog #2: FORWARD policy DROP (Docker sets it) with nothing accepting pod traffic: no
 * FLANNEL-FWD / cali-FORWARD chain and no ACCEPT whose -s/-d covers the pod network.
 */
import { cite, type AnalysisContext } from '../context.js';
import { parseFlannelConfig, parseIPPools } from '../parse/cni-config.js';
import { parseIptablesSave, reachableChains, type IptablesRule } from '../parse/iptables.js';
import { cidrOverlaps, parseCidr, type Cidr } from '../parse/ipv4.js';
import type { Finding } from '../types.js';
import { finding, type Rule, type RuleOutput } from './rule.js';

/** Pod networks known from the CNI config and the nodes' podCIDRs. */
export function podNetworks(ctx: AnalysisContext): Cidr[] {
  const nets: (Cidr | undefined)[] = [];
  const flannel = ctx.cluster('flannel_config', parseFlannelConfig)?.value.conf?.network;
  if (flannel) nets.push(parseCidr(flannel));
  for (const pool of ctx.cluster('calico_ippools', parseIPPools)?.value.items ?? []) if (pool.cidr) nets.push(parseCidr(pool.cidr));
  for (const n of ctx.k8sNodes()) for (const c of n.podCIDRs) nets.push(parseCidr(c));
  return nets.filter((c): c is Cidr => !!c);
}

/** An ACCEPT that lets (some) pod traffic through: -s/-d in the pod network, or unconditional. */
function acceptsPods(r: IptablesRule, nets: Cidr[]): boolean {
  if (r.target !== 'ACCEPT') return false;
  const addr = [r.source, r.destination].filter((x): x is string => !!x);
  if (addr.length === 0) {
    // Only comments / interface matches: unconditional enough (e.g. `-i cni0 -j ACCEPT`).
    return !r.tokens.some((t) => t === '--ctstate' || t === '--state' || t === '--mark');
  }
  if (nets.length === 0) return true; // cannot tell which network is the pod one: give benefit of doubt
  return addr.some((a) => {
    const c = parseCidr(a);
    return !!c && nets.some((n) => cidrOverlaps(c, n));
  });
}

export const forwardDropRule: Rule = {
  id: 'forward-drop',
  catalog: [2],
  run(ctx): RuleOutput {
    const { present, notChecked } = ctx.perNode('forward-drop', 'iptables_filter', parseIptablesSave);
    const findings: Finding[] = [];
    const nets = podNetworks(ctx);
    for (const { target, out, value } of present) {
      const filter = value.tables.get('filter');
      const policy = filter?.chains.get('FORWARD');
      if (!filter || policy?.policy !== 'DROP') continue;
      const chains = reachableChains(value, 'filter', 'FORWARD');
      if (chains.some((c) => c === 'FLANNEL-FWD' || c === 'cali-FORWARD')) {
        // The CNI's own accept chain is hooked in; check it really accepts something.
        const cniRules = filter.rules.filter((r) => (r.chain === 'FLANNEL-FWD' || r.chain.startsWith('cali-')) && r.target === 'ACCEPT');
        if (cniRules.length) continue;
      }
      const reach = new Set(chains);
      if (filter.rules.some((r) => reach.has(r.chain) && acceptsPods(r, nets))) continue;
      const node = ctx.nodeName(target);
      const net = nets[0]?.text ?? '<pod network CIDR>';
      findings.push(
        finding({
          id: 'forward-policy-drop',
          catalog: 2,
          severity: 'critical',
          title: `FORWARD policy DROP on ${node} with no ACCEPT for pod traffic`,
          summary: `${node}'s filter FORWARD chain drops by default and no rule accepts the pod network (${net}); routed pod traffic through ${node} (cross-node, and bridged same-node with br_netfilter) is dropped. Docker sets this policy.`,
          nodes: [node],
          evidence: [cite(out, policy.line, `:FORWARD DROP — no FLANNEL-FWD/cali-FORWARD accept and no ACCEPT for ${net}`)],
          fix: [
            `on ${node}: iptables -A FORWARD -s ${net} -j ACCEPT && iptables -A FORWARD -d ${net} -j ACCEPT`,
            ctx.cni() === 'calico'
              ? 'check calico-node on that node is running (it installs cali-FORWARD)'
              : 'flannel ≥ 0.10 adds FLANNEL-FWD itself: restart the flannel pod on that node after fixing',
            'persist the rules (netfilter-persistent save) so a Docker/host-firewall restart does not drop them again',
          ],
          rootCause: true,
        }),
      );
    }
    return { findings, notChecked };
  },
};
