/**
 * What the connectivity matrix runs between: Running probe pods (by selector), the nodes
 * (InternalIP), the cluster DNS service and the ClusterIP services worth probing.
 */
import type { KubeSession } from '../../transport/kube-session.js';

export interface ProbePod {
  name: string;
  namespace: string;
  node: string;
  ip: string;
}

export interface ProbeService {
  name: string;
  namespace: string;
  ip: string;
  port: number;
  protocol: string;
}

export interface ProbeTopology {
  pods: ProbePod[];
  nodes: { name: string; ip: string }[];
  dnsIP?: string;
  services: ProbeService[];
}

export const DEFAULT_PROBE_SELECTOR = 'app=netdiag-probe';

export async function discoverTopology(session: KubeSession, opts: { namespace?: string; selector?: string }): Promise<ProbeTopology> {
  const podList = await session.objects.list('v1', 'Pod', opts.namespace, undefined, undefined, undefined, 'status.phase=Running', opts.selector ?? DEFAULT_PROBE_SELECTOR);
  const pods = podList.items
    .map((p: any) => ({ name: p.metadata.name, namespace: p.metadata.namespace, node: p.spec?.nodeName ?? '?', ip: p.status?.podIP }))
    .filter((p) => p.ip)
    .sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
  const nodeList = await session.objects.list('v1', 'Node');
  const nodes = nodeList.items
    .map((n: any) => ({ name: n.metadata.name as string, ip: (n.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address as string }))
    .filter((n) => n.ip)
    .sort((a, b) => a.name.localeCompare(b.name));
  const dnsList = await session.objects.list('v1', 'Service', 'kube-system', undefined, undefined, undefined, undefined, 'k8s-app=kube-dns');
  const dns: any = dnsList.items[0];
  const namespaces = [...new Set(pods.map((p) => p.namespace))];
  const services: ProbeService[] = [];
  if (dns?.spec?.clusterIP) services.push({ name: dns.metadata.name, namespace: 'kube-system', ip: dns.spec.clusterIP, port: 53, protocol: 'TCP' });
  for (const ns of namespaces) {
    const list = await session.objects.list('v1', 'Service', ns);
    for (const s of list.items as any[]) {
      // The API server's own service has no pod endpoints to learn anything from.
      if (s.metadata.name === 'kubernetes' || !s.spec?.clusterIP || s.spec.clusterIP === 'None' || !s.spec.selector) continue;
      const port = (s.spec.ports ?? []).find((p: any) => (p.protocol ?? 'TCP') === 'TCP');
      if (port) services.push({ name: s.metadata.name, namespace: ns, ip: s.spec.clusterIP, port: port.port, protocol: 'TCP' });
    }
  }
  return { pods, nodes, dnsIP: dns?.spec?.clusterIP, services };
}
