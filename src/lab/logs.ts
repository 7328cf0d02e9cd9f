/**
 * Container logs of the lab's system pods, in the formats the real components write (klog for
 * kube-proxy/flannel, CoreDNS's plain lines, calico-node's felix lines). Files live in
 * state.files.logsDir as `<namespace>_<pod>_<container>.log` (`.previous.log` for the
 * container instance before the last restart); the API server serves them as pod logs.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabNode, LabPod, LabState } from './model.js';

/** Path of a container's log file. */
export function logFile(state: LabState, pod: { namespace: string; name: string }, container: string, previous = false): string {
  return join(state.files.logsDir, `${pod.namespace}_${pod.name}_${container}${previous ? '.previous' : ''}.log`);
}

/** klog header: `I1203 07:20:01.123456       1 file.go:NN] msg`. */
function klog(level: 'I' | 'W' | 'E', t: Date, where: string, msg: string): string {
  const mm = String(t.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(t.getUTCDate()).padStart(2, '0');
  const time = t.toISOString().slice(11, 23) + '000';
  return `${level}${mm}${dd} ${time}       1 ${where}] ${msg}`;
}

function later(t: Date, ms: number): Date {
  return new Date(t.getTime() + ms);
}

const CONNTRACK_ERR = 'open /proc/sys/net/netfilter/nf_conntrack_max: permission denied';

/** kube-proxy starting cleanly in iptables mode. */
export function kubeProxyLog(state: LabState, node: LabNode, t: Date): string {
  const lines = [
    klog('I', t, 'server_others.go:72', '"Using iptables proxy"'),
    klog('I', later(t, 12), 'server.go:1050', `"Successfully retrieved node IP(s)" IPs=["${node.address}"]`),
    klog('I', later(t, 14), 'conntrack.go:58', '"Setting nf_conntrack_max" nfConntrackMax=131072'),
    klog('I', later(t, 20), 'server.go:1062', '"kube-proxy running in dual-stack mode" primary ipFamily="IPv4"'),
    klog('I', later(t, 25), 'server_others.go:168', '"Using iptables Proxier"'),
    klog('I', later(t, 30), 'proxier.go:246', '"Setting route_localnet=1 to allow node-ports on localhost; to change this either disable iptables.localhostNodePorts (--iptables-localhost-nodeports) or set nodePortAddresses (--nodeport-addresses) to filter loopback addresses"'),
    klog('I', later(t, 40), 'server.go:865', '"Version info" version="v1.29.4"'),
    klog('I', later(t, 41), 'server.go:867', '"Golang settings" GOGC="" GOMAXPROCS="" GOTRACEBACK=""'),
    klog('I', later(t, 60), 'config.go:188', '"Starting service config controller"'),
    klog('I', later(t, 61), 'shared_informer.go:311', 'Waiting for caches to sync for service config'),
    klog('I', later(t, 62), 'config.go:97', '"Starting endpoint slice config controller"'),
    klog('I', later(t, 63), 'shared_informer.go:311', 'Waiting for caches to sync for endpoint slice config'),
    klog('I', later(t, 120), 'shared_informer.go:318', 'Caches are synced for endpoint slice config'),
    klog('I', later(t, 121), 'shared_informer.go:318', 'Caches are synced for service config'),
  ];
  if (state.warnings?.some((w) => w.startsWith('br_netfilter'))) {
    // What kube-proxy says on a node where bridged traffic bypasses iptables (CATALOG #4).
    lines.splice(5, 0, klog('W', later(t, 27), 'proxier.go:231', '"Missing br-netfilter module or unset sysctl br-nf-call-iptables, proxy may not work as intended"'));
  }
  return lines.join('\n') + '\n';
}

/** kube-proxy dying at startup: it cannot set conntrack sysctls (kind#2240 / kubernetes#24295). */
export function kubeProxyCrashLog(node: LabNode, t: Date): string {
  return (
    [
      klog('I', t, 'server_others.go:72', '"Using iptables proxy"'),
      klog('I', later(t, 10), 'server.go:1050', `"Successfully retrieved node IP(s)" IPs=["${node.address}"]`),
      klog('I', later(t, 12), 'conntrack.go:58', '"Setting nf_conntrack_max" nfConntrackMax=131072'),
      klog('E', later(t, 13), 'server.go:556', `"Error running ProxyServer" err="${CONNTRACK_ERR}"`),
      klog('E', later(t, 14), 'run.go:74', `"command failed" err="${CONNTRACK_ERR}"`),
    ].join('\n') + '\n'
  );
}

/** flanneld's startup on a node, including the subnet events for every peer. */
export function flannelLog(state: LabState, node: LabNode, t: Date): string {
  const lines = [
    klog('I', t, 'main.go:211', `CLI flags config: {etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 etcdPrefix:/coreos.com/network etcdKeyfile: etcdCertfile: etcdCAFile: etcdUsername: etcdPassword: version:false kubeSubnetMgr:true kubeApiUrl: kubeAnnotationPrefix:flannel.alpha.coreos.com kubeConfigFile: iface:[] ifaceRegex:[] ipMasq:true ifaceCanReach: subnetFile:/run/flannel/subnet.env publicIP: publicIPv6: subnetLeaseRenewMargin:60 healthzIP:0.0.0.0 healthzPort:0 iptablesResyncSeconds:5 iptablesForwardRules:true netConfPath:/etc/kube-flannel/net-conf.json setNodeNetworkUnavailable:true}`),
    klog('W', later(t, 1), 'client_config.go:618', 'Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work.'),
    klog('I', later(t, 8), 'kube.go:139', 'Waiting 10m0s for node controller to sync'),
    klog('I', later(t, 9), 'kube.go:469', 'Starting kube subnet manager'),
    klog('I', later(t, 1010), 'kube.go:146', 'Node controller sync successful'),
    klog('I', later(t, 1011), 'main.go:231', `Created subnet manager: Kubernetes Subnet Manager - ${node.name}`),
    klog('I', later(t, 1012), 'main.go:234', 'Installing signal handlers'),
    klog('I', later(t, 1013), 'main.go:468', 'Found network config - Backend type: vxlan'),
    klog('I', later(t, 1014), 'match.go:211', 'Determining IP address of default interface'),
    klog('I', later(t, 1015), 'match.go:264', `Using interface with name eth0 and address ${node.address}`),
    klog('I', later(t, 1016), 'match.go:286', `Defaulting external address to interface address (${node.address})`),
    klog('I', later(t, 1017), 'vxlan.go:141', 'VXLAN config: VNI=1 Port=0 GBP=false Learning=false DirectRouting=false'),
    klog('I', later(t, 1030), 'kube.go:636', `List of node(${node.name}) annotations: map[string]string{"flannel.alpha.coreos.com/backend-data":"{\\"VNIs\\":[1],\\"VtepMAC\\":\\"${node.vtepMac}\\"}", "flannel.alpha.coreos.com/backend-type":"vxlan", "flannel.alpha.coreos.com/kube-subnet-manager":"true", "flannel.alpha.coreos.com/public-ip":"${node.address}"}`),
    klog('I', later(t, 1040), 'main.go:416', 'Wrote subnet file to /run/flannel/subnet.env'),
    klog('I', later(t, 1041), 'main.go:420', 'Running backend.'),
    klog('I', later(t, 1042), 'vxlan_network.go:65', 'watching for new subnet leases'),
    klog('I', later(t, 1043), 'iptables.go:290', 'generated 3 rules'),
    klog('I', later(t, 1044), 'iptables.go:290', 'generated 7 rules'),
    klog('I', later(t, 1045), 'main.go:439', 'Waiting for all goroutines to exit'),
  ];
  let k = 1046;
  for (const peer of state.nodes) {
    if (peer.name === node.name) continue;
    lines.push(klog('I', later(t, k++), 'kube.go:490', `Creating the node lease for IPv4. This is the n.Spec.PodCIDRs: [${peer.podCIDR}]`));
    lines.push(
      klog('I', later(t, k++), 'subnet.go:152', `Batch elem [0] is { lease.Event{Type:0, Lease:lease.Lease{EnableIPv4:true, EnableIPv6:false, Subnet:ip.IP4Net{IP:0x${ipHex(peer.podCIDR)}, PrefixLen:0x18}, IPv6Subnet:ip.IP6Net{IP:(*ip.IP6)(nil), PrefixLen:0x0}, Attrs:lease.LeaseAttrs{PublicIP:0x${ipHex(peer.address)}, PublicIPv6:(*ip.IP6)(nil), BackendType:"vxlan", BackendData:json.RawMessage{…}, BackendV6Data:json.RawMessage(nil)}, Expiration:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), Asof:0}} }`),
    );
  }
  lines.push(klog('I', later(t, k++), 'iptables.go:421', 'Some iptables rules are missing; deleting and recreating rules'));
  return lines.join('\n') + '\n';
}

function ipHex(addr: string): string {
  return addr
    .split('/')[0]
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('');
}

/** calico-node (felix) starting with the lab's IPPool. */
export function calicoNodeLog(state: LabState, node: LabNode, t: Date): string {
  const ts = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '').slice(0, 23);
  return (
    [
      `${ts(t)} [INFO][9] startup/startup.go 425: Early log level set to info`,
      `${ts(later(t, 3))} [INFO][9] startup/utils.go 126: Using NODENAME environment for node name ${node.name}`,
      `${ts(later(t, 6))} [INFO][9] startup/startup.go 749: Using autodetected IPv4 address on interface eth0: ${node.address}/24`,
      `${ts(later(t, 9))} [INFO][9] startup/startup.go 1008: Calico Node IPv4 pool: ${state.clusterCIDR} vxlanMode=${state.vxlanMode} ipipMode=Never`,
      `${ts(later(t, 12))} [INFO][9] startup/startup.go 614: FELIX_IPV6SUPPORT is false through environment variable`,
      `${ts(later(t, 900))} [INFO][52] felix/int_dataplane.go 1956: Received *proto.HostMetadataV4V6Update update from calculation graph msg=hostname:"${node.name}" ipv4_addr:"${node.address}/24"`,
      `${ts(later(t, 905))} [INFO][52] felix/vxlan_mgr.go 460: VXLAN device parent changed from "" to "eth0"`,
      `${ts(later(t, 910))} [INFO][52] felix/vxlan_mgr.go 380: Assigning address to VXLAN device address=${node.podCIDR.replace('.0/24', '.0')}/32`,
      `${ts(later(t, 920))} [INFO][52] felix/route_table.go 1185: Syncing routes: adding new route. ifaceName="vxlan.calico" ifaceRegex="^vxlan.calico$" ipVersion=0x4 tableIndex=0`,
    ].join('\n') + '\n'
  );
}

/** CoreDNS starting (Corefile with `forward . /etc/resolv.conf` and `loop`). */
export function corednsLog(t: Date): string {
  void t;
  return [
    '.:53',
    '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
    'CoreDNS-1.11.1',
    'linux/amd64, go1.20.7, ae2bbc2',
  ].join('\n') + '\n';
}

/** CoreDNS killing itself on a forwarding loop (the node resolv.conf points at a local stub). */
export function corednsLoopLog(t: Date): string {
  const n1 = BigInt(Math.floor(t.getTime() * 1000)) * 4547n;
  const n2 = BigInt(Math.floor(t.getTime())) * 3688n;
  return (
    corednsLog(t) +
    `[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO ${n1}.${n2}."\n`
  );
}

/** Writes a container's log (and, for a restarted one, its previous instance's log). */
export async function writeContainerLog(state: LabState, pod: LabPod, container: string, current: string, previous?: string): Promise<void> {
  await writeFile(logFile(state, pod, container), current);
  if (previous !== undefined) await writeFile(logFile(state, pod, container, true), previous);
}

/** Appends lines to a container's current log. */
export async function appendContainerLog(state: LabState, pod: LabPod, container: string, text: string): Promise<void> {
  await appendFile(logFile(state, pod, container), text);
}
