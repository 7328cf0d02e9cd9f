/**
 * Calico's VXLAN data plane on a lab node, as felix programs it: `vxlan.calico` (VNI 4096, UDP
 * 4789) holding the node's tunnel address (<block>.0/32), a blackhole for the node's own block,
 * pods as routed /32s on cali* veths, and for each remote block a route chosen by the IPPool's
 * vxlanMode: Always → via the tunnel; CrossSubnet → straight out eth0 when the peer shares the
 * node's subnet (always, in the lab); Never → no route at all (what Kubespray's
 * ipipMode/vxlanMode Never leaves without BGP).
 */
import type { LabNode, LabState } from './model.js';
import { net24 } from './addressing.js';
import { ipBatch, iptablesRestore, nsRun, nsTryRun } from './sh.js';
import { syncVxlanPeers } from './flannel.js';

export const CALICO_MTU = 1450;
export const CALICO_VXLAN_PORT = 4789;
/** Felix's route protocol number: lets a re-sync replace exactly its own routes. */
const FELIX_PROTO = '80';

function sameSubnet(a: string, b: string): boolean {
  return a.split('.').slice(0, 3).join('.') === b.split('.').slice(0, 3).join('.');
}

/** Remote-block routes for the current vxlanMode. */
function remoteRouteLines(state: LabState, node: LabNode): string[] {
  if (state.vxlanMode === 'Never') return [];
  return state.nodes
    .filter((p) => p.name !== node.name)
    .map((p) => {
      const direct = state.vxlanMode === 'CrossSubnet' && sameSubnet(p.address, node.address);
      return direct
        ? `route replace ${p.podCIDR} via ${p.address} dev eth0 proto ${FELIX_PROTO} onlink`
        : `route replace ${p.podCIDR} via ${net24(p.podCIDR)}.0 dev vxlan.calico proto ${FELIX_PROTO} onlink`;
    });
}

/** Re-programs the node's remote-block routes from the IPPool (what a calico-node restart does). */
export async function syncCalicoRoutes(state: LabState, node: LabNode): Promise<void> {
  // Remove felix's old remote routes first: a mode change must not leave a stale path behind.
  const out = await nsRun(node.netns, 'ip', ['-4', 'route', 'show', 'proto', FELIX_PROTO]);
  const stale = out
    .split('\n')
    .map((l) => l.trim().split(' ')[0])
    .filter((dst) => dst && dst !== 'blackhole' && dst !== node.podCIDR);
  for (const dst of stale) await nsTryRun(node.netns, 'ip', ['route', 'del', dst, 'proto', FELIX_PROTO]);
  await ipBatch(remoteRouteLines(state, node), node.netns);
}

/** Calico's nat-outgoing and forward accepts (felix's cali-* chains, reduced to what matters). */
export function calicoIptables(state: LabState): string {
  const pool = state.clusterCIDR;
  return [
    '*nat',
    ':cali-POSTROUTING - [0:0]',
    ':cali-nat-outgoing - [0:0]',
    '-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING',
    '-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-nat-outgoing',
    `-A cali-nat-outgoing -s ${pool} ! -d ${pool} -m comment --comment "cali:flqWnvo8yq4ULQLa" -j MASQUERADE --random-fully`,
    'COMMIT',
    '*filter',
    ':cali-FORWARD - [0:0]',
    '-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD',
    `-A cali-FORWARD -s ${pool} -m comment --comment "cali:pool-from" -j ACCEPT`,
    `-A cali-FORWARD -d ${pool} -m comment --comment "cali:pool-to" -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
}

/** Builds vxlan.calico, the VTEP peers, routes and rules on one node. */
export async function setupCalicoNode(state: LabState, node: LabNode): Promise<void> {
  const base = net24(node.podCIDR);
  await ipBatch(
    [
      `link add vxlan.calico type vxlan id 4096 local ${node.address} dev eth0 dstport ${CALICO_VXLAN_PORT} nolearning`,
      `link set vxlan.calico address ${node.vtepMac} mtu ${CALICO_MTU} up`,
      `addr add ${base}.0/32 dev vxlan.calico`,
      `route add blackhole ${node.podCIDR} proto ${FELIX_PROTO}`,
    ],
    node.netns,
  );
  // Felix programs VTEP neighbours/FDB for every peer whatever the mode; routes decide use.
  await syncVxlanPeers(state, node, 'vxlan.calico', false);
  await syncCalicoRoutes(state, node);
  await iptablesRestore(node.netns, calicoIptables(state), { noflush: true });
}
