/**
 * The ConfigMaps a diagnosis reads: flannel's net-conf.json (Network, VXLAN port), CoreDNS's
 * Corefile, calico-config, kube-proxy's KubeProxyConfiguration, and kube-root-ca.crt in every
 * namespace. Values are derived from the lab so analyzers can cross-check them.
 */
import { objectMeta, type KObject, type ViewContext } from './meta.js';

/** The namespace flannel lives in: that of its DaemonSet/pods, else kube-flannel. */
export function flannelNamespace(ctx: ViewContext): string {
  const ds = (ctx.state.workloads ?? []).find((w) => w.name === 'kube-flannel-ds' || w.name === 'kube-flannel');
  if (ds) return ds.namespace;
  const pod = ctx.state.pods.find((p) => p.labels.app === 'flannel' || p.name.startsWith('kube-flannel'));
  return pod?.namespace ?? 'kube-flannel';
}

function clusterCIDR(ctx: ViewContext): string {
  if (ctx.state.clusterCIDR) return ctx.state.clusterCIDR;
  const first = ctx.state.nodes[0]?.podCIDR ?? '198.19.0.0/24';
  return first.replace(/^(\d+\.\d+)\..*$/, '$1.0.0/16');
}

function configMap(ctx: ViewContext, name: string, namespace: string, data: Record<string, string>, labels?: Record<string, string>): KObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: objectMeta(ctx, 'ConfigMap', name, namespace, { labels }), data };
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

function flannelConfig(ctx: ViewContext): KObject {
  const netConf = { Network: clusterCIDR(ctx), EnableNFTables: false, Backend: { Type: 'vxlan', VNI: 1, Port: 8472 } };
  const cniConf = {
    name: 'cbr0',
    cniVersion: '0.3.1',
    plugins: [
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  return configMap(ctx, 'kube-flannel-cfg', flannelNamespace(ctx), { 'cni-conf.json': pretty(cniConf), 'net-conf.json': pretty(netConf) }, { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' });
}

function corednsConfig(ctx: ViewContext): KObject {
  const domain = ctx.state.dns?.clusterDomain ?? 'cluster.local';
  const corefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes ${domain} in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
  return configMap(ctx, 'coredns', 'kube-system', { Corefile: corefile });
}

function calicoConfig(ctx: ViewContext): KObject {
  const cni = {
    name: 'k8s-pod-network',
    cniVersion: '0.3.1',
    plugins: [
      {
        type: 'calico',
        log_level: 'info',
        datastore_type: 'kubernetes',
        nodename: '__KUBERNETES_NODE_NAME__',
        mtu: '__CNI_MTU__',
        ipam: { type: 'calico-ipam' },
        policy: { type: 'k8s' },
        kubernetes: { kubeconfig: '__KUBECONFIG_FILEPATH__' },
      },
      { type: 'portmap', snat: true, capabilities: { portMappings: true } },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ],
  };
  return configMap(ctx, 'calico-config', 'kube-system', {
    calico_backend: 'vxlan',
    cni_network_config: pretty(cni),
    typha_service_name: 'none',
    veth_mtu: '0',
  });
}

function kubeProxyConfig(ctx: ViewContext): KObject {
  const conf = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
clusterCIDR: ${clusterCIDR(ctx)}
conntrack:
  maxPerCore: null
  min: null
iptables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
kind: KubeProxyConfiguration
metricsBindAddress: ""
mode: iptables
`;
  const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: ${ctx.state.api?.url ?? ''}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
`;
  return configMap(ctx, 'kube-proxy', 'kube-system', { 'config.conf': conf, 'kubeconfig.conf': kubeconfig }, { app: 'kube-proxy' });
}

/** Every ConfigMap of the lab (kube-root-ca.crt once per namespace given). */
export function configMapObjects(ctx: ViewContext, namespaces: string[]): KObject[] {
  const out = [corednsConfig(ctx), kubeProxyConfig(ctx)];
  out.push(ctx.state.cni === 'calico' ? calicoConfig(ctx) : flannelConfig(ctx));
  if (ctx.caPem) for (const ns of namespaces) out.push(configMap(ctx, 'kube-root-ca.crt', ns, { 'ca.crt': ctx.caPem }));
  return out;
}
