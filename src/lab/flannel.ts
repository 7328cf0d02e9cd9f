/**
 * flannel's VXLAN backend on a lab node, as flanneld programs it: `flannel.1` (VNI 1, UDP
 * 8472, MTU 1450, nolearning, local <node addr> dev eth0) holding <podCIDR>.0/32, and for every
 * remote node exactly one onlink route, one permanent neighbour and one FDB entry; `cni0` with
 * the podCIDR's .1; flanneld's FLANNEL-POSTRTG masquerade and FLANNEL-FWD accept chains.
 */
import type { LabNode, LabState } from './model.js';
import { net24 } from './addressing.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ipBatch, iptablesRestore, nsRun } from './sh.js';
import { nodeRunFlannelDir } from './ssh.js';

export const FLANNEL_MTU = 1450;
export const FLANNEL_PORT = 8472;

function peers(state: LabState, node: LabNode): LabNode[] {
  return state.nodes.filter((n) => n.name !== node.name);
}

/** Route + neighbour for one remote node (ip batch lines; `replace` makes re-sync idempotent). */
function peerIpLines(peer: LabNode, dev: string): string[] {
  const gw = `${net24(peer.podCIDR)}.0`;
  return [`neigh replace ${gw} lladdr ${peer.vtepMac} dev ${dev} nud permanent`, `route replace ${peer.podCIDR} via ${gw} dev ${dev} onlink`];
}

/** FDB entry for one remote node (bridge batch line). */
function peerFdbLine(peer: LabNode, dev: string): string {
  return `fdb replace ${peer.vtepMac} dev ${dev} dst ${peer.address} self permanent`;
}

/** Programs the peers' routes, neighbours and FDB entries (what flanneld does on each lease event). */
export async function syncVxlanPeers(state: LabState, node: LabNode, dev: string, routes = true): Promise<void> {
  const ps = peers(state, node);
  if (ps.length === 0) return;
  const lines = ps.flatMap((p) => peerIpLines(p, dev));
  await ipBatch(routes ? lines : lines.filter((l) => l.startsWith('neigh')), node.netns);
  await nsRun(node.netns, 'bridge', ['-batch', '-'], ps.map((p) => peerFdbLine(p, dev)).join('\n') + '\n');
}

/** Removes a peer's neighbour and FDB entry on `node` (the fdb-missing fault). */
export async function dropVxlanPeer(node: LabNode, peer: LabNode, dev: string): Promise<void> {
  await ipBatch([`neigh del ${net24(peer.podCIDR)}.0 dev ${dev}`], node.netns);
  await nsRun(node.netns, 'bridge', ['fdb', 'del', peer.vtepMac, 'dev', dev, 'dst', peer.address, 'self']);
}

/** flanneld's iptables rules (flannel v0.2x with ipMasq=true). */
export function flannelIptables(state: LabState, node: LabNode): string {
  const net = state.clusterCIDR;
  const sub = node.podCIDR;
  const c = '-m comment --comment "flanneld masq"';
  const f = '-m comment --comment "flanneld forward"';
  return [
    '*nat',
    ':FLANNEL-POSTRTG - [0:0]',
    `-A POSTROUTING ${c} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${sub} -d ${net} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${net} -d ${sub} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${net} -d ${sub} ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${net} ! -d 224.0.0.0/4 ${c} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${net} -d ${net} ${c} -j MASQUERADE --random-fully`,
    'COMMIT',
    '*filter',
    ':FLANNEL-FWD - [0:0]',
    `-A FORWARD ${f} -j FLANNEL-FWD`,
    `-A FLANNEL-FWD -s ${net} ${f} -j ACCEPT`,
    `-A FLANNEL-FWD -d ${net} ${f} -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
}

/** Builds flannel.1, cni0, peers and rules on one node. */
export async function setupFlannelNode(state: LabState, node: LabNode): Promise<void> {
  const base = net24(node.podCIDR);
  await ipBatch(
    [
      `link add flannel.1 type vxlan id 1 local ${node.address} dev eth0 dstport ${FLANNEL_PORT} nolearning`,
      `link set flannel.1 address ${node.vtepMac} mtu ${FLANNEL_MTU} up`,
      `addr add ${base}.0/32 dev flannel.1`,
      'link add cni0 type bridge',
      `link set cni0 mtu ${FLANNEL_MTU} up`,
      `addr add ${base}.1/24 dev cni0`,
    ],
    node.netns,
  );
  await syncVxlanPeers(state, node, 'flannel.1');
  await iptablesRestore(node.netns, flannelIptables(state, node), { noflush: true });
  await writeFile(join(await nodeRunFlannelDir(state, node), 'subnet.env'), subnetEnv(state, node));
}

/** flanneld's /run/flannel/subnet.env (what the flannel CNI plugin reads). */
export function subnetEnv(state: LabState, node: LabNode): string {
  return `FLANNEL_NETWORK=${state.clusterCIDR}\nFLANNEL_SUBNET=${net24(node.podCIDR)}.1/24\nFLANNEL_MTU=${FLANNEL_MTU}\nFLANNEL_IPMASQ=true\n`;
}
