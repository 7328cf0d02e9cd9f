/**
 * The lab's wiring below the overlay: an underlay bridge in its own namespace, the management
 * veth from the root namespace (the only way in), one namespace per node with `eth0` on the
 * bridge, and a gateway namespace standing in for "the outside world" (nodes' default route,
 * the upstream DNS server and the external name's address). The gateway does not forward, so
 * nothing routes out of the lab.
 */
import type { LabNode, LabState } from './model.js';
import { externalAddress } from './addressing.js';
import { ipBatch, nsSysctl, parallel } from './sh.js';

/** Name of the underlay bridge port (in the underlay namespace) of node `i`. */
export function underlayPortOf(node: LabNode): string {
  return `n${node.name.replace('node-', '')}`;
}

/** Root-namespace end of the management veth. */
export function managementIfName(state: Pick<LabState, 'prefix'>): string {
  return `${state.prefix}mgmt`;
}

/** Creates namespaces, the bridge, the management link and every node's eth0. */
export async function buildUnderlay(state: LabState): Promise<void> {
  const ul = state.underlayNetns;
  const gw = state.gatewayNetns!;
  const mgmt = managementIfName(state);
  await ipBatch([
    `netns add ${ul}`,
    `netns add ${gw}`,
    ...state.nodes.map((n) => `netns add ${n.netns}`),
    `link add ${mgmt} type veth peer name mgmt netns ${ul}`,
    `addr add ${state.managementAddress}/24 dev ${mgmt}`,
    `link set ${mgmt} up`,
  ]);
  await ipBatch(
    [
      'link set lo up',
      'link add br0 type bridge stp_state 0 forward_delay 0',
      'link set br0 up',
      'link set mgmt master br0 up',
      `link add gw type veth peer name eth0 netns ${gw}`,
      'link set gw master br0 up',
      ...state.nodes.flatMap((n) => [`link add ${underlayPortOf(n)} type veth peer name eth0 netns ${n.netns}`, `link set ${underlayPortOf(n)} master br0 up`]),
    ],
    ul,
  );
  await ipBatch(
    [
      'link set lo up',
      'link set eth0 up',
      `addr add ${state.gatewayAddress}/24 dev eth0`,
      `addr add ${externalAddress(state.slot)}/32 dev eth0`,
    ],
    gw,
  );
  // The gateway is an end host: it must never forward between the lab and anything else.
  await nsSysctl(gw, { 'net.ipv4.ip_forward': 0 });
  // The underlay is a plain L2 switch: with br_netfilter it would re-fragment oversized
  // tunnel packets instead of dropping them, hiding MTU problems (faults may turn it on).
  await nsSysctl(ul, { 'net.bridge.bridge-nf-call-iptables': 0 }).catch(() => undefined);
  await parallel(state.nodes, 8, async (node) => {
    await ipBatch(
      ['link set lo up', 'link set eth0 up', `addr add ${node.address}/24 dev eth0`, `route add default via ${state.gatewayAddress} dev eth0`],
      node.netns,
    );
    await nsSysctl(node.netns, nodeSysctls(state));
  });
}

/** What kubeadm's prerequisites and the CNI set on a node. */
export function nodeSysctls(state: LabState): Record<string, number> {
  const values: Record<string, number> = { 'net.ipv4.ip_forward': 1, 'net.ipv4.conf.all.rp_filter': 0, 'net.ipv4.conf.default.rp_filter': 0 };
  // br_netfilter's knob is per namespace on current kernels; pods on cni0 need it so that
  // pod → ClusterIP → pod-on-the-same-bridge goes through kube-proxy's DNAT (CATALOG #4).
  if (state.cni === 'flannel' && !state.nodesOnly) values['net.bridge.bridge-nf-call-iptables'] = 1;
  return values;
}
