/**
 * The lab's address plan (see the header of model.ts). Everything is derived from the lab slot
 * and the node index so state, tests and faults agree without passing addresses around.
 * Only 198.18.0.0/15 is ever used: 198.18.<slot>.0/24 is the underlay (the only range the root
 * namespace can reach), 198.19.0.0/16 the pod network and 198.18.250.0/24 the service range,
 * both of which exist only inside the lab's namespaces.
 */

/** Highest lab slot (198.18.200–255 stay free for the service range). */
export const MAX_SLOT = 199;
/** Most nodes one lab can have (underlay .11 … .250; .254 is the gateway). */
export const MAX_NODES = 240;
/** Pod-network mode is limited by one /24 per node inside 198.19.0.0/16. */
export const MAX_POD_NODES = 250;

export const CLUSTER_CIDR = '198.19.0.0/16';
export const SERVICE_CIDR = '198.18.250.0/24';
export const KUBERNETES_SERVICE_IP = '198.18.250.1';
export const KUBE_DNS_SERVICE_IP = '198.18.250.10';
export const ECHO_SERVICE_IP = '198.18.250.20';
export const CLUSTER_DOMAIN = 'cluster.local';
/** The one "external" name, served by the upstream resolver on the lab gateway. */
export const EXTERNAL_NAME = 'example.netdiag.test';
export const ECHO_PORT = 8080;

/** Prefix of every namespace and root-namespace interface of a lab. */
export function labPrefix(slot: number): string {
  return `ndl${slot}-`;
}

/** Underlay /24 of a slot. */
export function underlaySubnet(slot: number): string {
  return `198.18.${slot}.0/24`;
}

/** Root-namespace end of the management link (the only way into the lab). */
export function managementAddress(slot: number): string {
  return `198.18.${slot}.1`;
}

/** Lab gateway ("the outside world"): nodes' default route and the upstream DNS server. */
export function gatewayAddress(slot: number): string {
  return `198.18.${slot}.254`;
}

/** The "external" name resolves to this address (on the gateway). */
export function externalAddress(slot: number): string {
  return `198.18.${slot}.253`;
}

/** node-i's eth0 (InternalIP, sshd listen address); i is 1-based. */
export function nodeAddress(slot: number, i: number): string {
  return `198.18.${slot}.${10 + i}`;
}

/** node-i's pod CIDR (flannel subnet / Calico block). */
export function nodePodCIDR(i: number): string {
  return `198.19.${i}.0/24`;
}

/** The n-th pod address on node-i (n ≥ 2: .1 is cni0). */
export function podAddress(i: number, n: number): string {
  return `198.19.${i}.${n}`;
}

/** Network part of a /24 CIDR: `198.19.3.0/24` → `198.19.3`. */
export function net24(cidr: string): string {
  return cidr.split('/')[0].split('.').slice(0, 3).join('.');
}

/** A random locally administered unicast MAC (what the kernel gives a new VXLAN device). */
export function randomMac(): string {
  const b = Array.from({ length: 6 }, () => Math.floor(Math.random() * 256));
  b[0] = (b[0] & 0xfc) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Lowercase alphanumerics as in Kubernetes generated names (`-x2x7q`). */
export function randomSuffix(len = 5): string {
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from({ length: len }, () => chars[Math.floor(Math.random() * chars.length)]).join('');
}

/** Random lowercase hex, for veth and chain names. */
export function randomHex(len: number): string {
  return Array.from({ length: len }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}
