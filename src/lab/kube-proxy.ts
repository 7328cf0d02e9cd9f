/**
 * kube-proxy's iptables mode, written as the real thing writes it: KUBE-SERVICES →
 * KUBE-SVC-<hash> → KUBE-SEP-<hash> (statistic/probability for >1 endpoint), KUBE-MARK-MASQ,
 * KUBE-POSTROUTING with MASQUERADE, REJECT for services without endpoints, KUBE-FORWARD.
 * Chain names use kube-proxy's own hash (sha256 → base32 → 16 chars), so `iptables-save -t nat`
 * on a lab node shows e.g. KUBE-SVC-TCOU7JCQXEZGVUNU for kube-dns:dns as on every cluster.
 */
import { createHash } from 'node:crypto';
import type { LabNode, LabPod, LabService, LabState } from './model.js';
import { iptablesRestore, nsRun } from './sh.js';

/** kube-proxy's portProtoHash. */
function portProtoHash(s: string): string {
  const digest = createHash('sha256').update(s).digest();
  return base32(digest).slice(0, 16);
}

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** Endpoint IPs of a service: ready pods matching its selector, or its static endpoints. */
export function endpointIPsOf(state: LabState, svc: LabService): string[] {
  if (Object.keys(svc.selector).length === 0) return svc.endpointIPs ?? [];
  return endpointsOf(state, svc).map((p) => p.ip);
}

/** Pods backing a service: selector match, has a pod network IP, Running and ready. */
export function endpointsOf(state: LabState, svc: LabService): LabPod[] {
  return state.pods.filter(
    (p) =>
      p.namespace === svc.namespace &&
      !p.hostNetwork &&
      p.phase === 'Running' &&
      p.containers.every((c) => c.ready) &&
      Object.entries(svc.selector).length > 0 &&
      Object.entries(svc.selector).every(([k, v]) => p.labels[k] === v),
  );
}

const MASQ_MARK = '0x4000/0x4000';

/** The nat and filter rules kube-proxy programs on one node (iptables-restore input). */
export function kubeProxyRules(state: LabState): string {
  const natChains = ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
  const nat: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    `-A KUBE-MARK-MASQ -j MARK --set-xmark ${MASQ_MARK}`,
    `-A KUBE-POSTROUTING -m mark ! --mark ${MASQ_MARK} -j RETURN`,
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  const filterChains = ['KUBE-FORWARD', 'KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS'];
  const filter: string[] = [
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    `-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK} -j ACCEPT`,
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ];
  filterChains.push('KUBE-PROXY-FIREWALL');
  const svcRules: string[] = [];
  for (const svc of state.services) {
    const eps = endpointIPsOf(state, svc);
    for (const port of svc.ports) {
      const spn = `${svc.namespace}/${svc.name}${port.name ? `:${port.name}` : ''}`;
      const proto = port.protocol.toLowerCase();
      if (eps.length === 0) {
        filter.push(
          `-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${spn} has no endpoints" -m ${proto} --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`,
        );
        continue;
      }
      const svcChain = `KUBE-SVC-${portProtoHash(spn + proto)}`;
      natChains.push(svcChain);
      svcRules.push(`-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${spn} cluster IP" -m ${proto} --dport ${port.port} -j ${svcChain}`);
      svcRules.push(`-A ${svcChain} ! -s ${state.clusterCIDR} -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${spn} cluster IP" -m ${proto} --dport ${port.port} -j KUBE-MARK-MASQ`);
      eps.forEach((ep, i) => {
        const endpoint = `${ep}:${port.targetPort}`;
        const sepChain = `KUBE-SEP-${portProtoHash(spn + proto + endpoint)}`;
        natChains.push(sepChain);
        const left = eps.length - i;
        const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
        svcRules.push(`-A ${svcChain} -m comment --comment "${spn} -> ${endpoint}"${stat} -j ${sepChain}`);
        svcRules.push(`-A ${sepChain} -s ${ep}/32 -m comment --comment "${spn}" -j KUBE-MARK-MASQ`);
        svcRules.push(`-A ${sepChain} -p ${proto} -m comment --comment "${spn}" -m ${proto} -j DNAT --to-destination ${endpoint}`);
      });
    }
  }
  svcRules.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  return [
    '*nat',
    ...natChains.map((c) => `:${c} - [0:0]`),
    ...nat,
    ...svcRules,
    'COMMIT',
    '*filter',
    ...filterChains.map((c) => `:${c} - [0:0]`),
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
}

/** Removes every KUBE-* chain and every rule that jumps to one (what a dead kube-proxy leaves). */
export async function removeKubeProxyRules(node: LabNode): Promise<void> {
  await stripRules(node.netns, (line) => line.includes('KUBE-'));
}

/** (Re-)programs kube-proxy's rules on a node: old KUBE-* state first removed, as a resync does. */
export async function installKubeProxyRules(state: LabState, node: LabNode): Promise<void> {
  await removeKubeProxyRules(node);
  await iptablesRestore(node.netns, kubeProxyRules(state), { noflush: true });
}

/**
 * Rewrites the nat and filter tables without the lines `drop` selects. iptables-save/restore of
 * whole tables keeps every other rule (flannel's, faults') in its place and order.
 */
export async function stripRules(netns: string, drop: (line: string) => boolean): Promise<void> {
  const saved = await nsRun(netns, 'iptables-save', ['-t', 'nat']) + (await nsRun(netns, 'iptables-save', ['-t', 'filter']));
  const kept = saved
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .filter((l) => !(l.startsWith(':') || l.startsWith('-A')) || !drop(l))
    // Counters would otherwise be restored too.
    .map((l) => (l.startsWith(':') ? l.replace(/\[\d+:\d+\]$/, '[0:0]') : l))
    .join('\n');
  await iptablesRestore(netns, kept + '\n');
}
