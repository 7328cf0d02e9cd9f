import { describe, expect, it } from 'vitest';
import type { LabState } from './model.js';
import { kubeProxyRules } from './kube-proxy.js';
import { planServices } from './cluster.js';

/** A lab state with just what kube-proxy's rules depend on. */
function state(podsReady: boolean): LabState {
  const base = { managementAddress: '198.18.7.1', clusterCIDR: '198.19.0.0/16' } as LabState;
  const pod = (name: string, ip: string, labels: Record<string, string>) => ({
    name,
    namespace: labels['k8s-app'] ? 'kube-system' : 'default',
    node: 'node-1',
    hostNetwork: false,
    ip,
    labels,
    phase: 'Running' as const,
    containers: [{ name: 'c', restartCount: 0, ready: podsReady, startedAt: '' }],
    createdAt: '',
  });
  return {
    ...base,
    services: planServices(base),
    pods: [pod('coredns-a', '198.19.1.2', { 'k8s-app': 'kube-dns' }), pod('echo-a', '198.19.1.4', { app: 'echo' }), pod('echo-b', '198.19.2.3', { app: 'echo' })],
  } as LabState;
}

describe('kubeProxyRules', () => {
  it('names chains with kube-proxy\'s own hashes (as on every real cluster)', () => {
    const rules = kubeProxyRules(state(true));
    expect(rules).toContain(':KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]'); // kube-system/kube-dns:dns udp
    expect(rules).toContain(':KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]'); // kube-system/kube-dns:dns-tcp
    expect(rules).toContain(':KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]'); // default/kubernetes:https
    expect(rules).toContain('-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 198.18.7.1:6443" -j KUBE-SEP-');
  });

  it('spreads over endpoints with statistic probabilities and DNATs to each', () => {
    const rules = kubeProxyRules(state(true)).split('\n');
    const echo = rules.filter((l) => l.includes('"default/echo:http ->'));
    expect(echo).toHaveLength(2);
    expect(echo[0]).toContain('-m statistic --mode random --probability 0.50000000000');
    expect(echo[1]).not.toContain('statistic');
    expect(rules.filter((l) => l.includes('-j DNAT --to-destination 198.19.2.3:8080'))).toHaveLength(1);
  });

  it('rejects traffic to a service whose pods are not ready ("has no endpoints")', () => {
    const rules = kubeProxyRules(state(false));
    expect(rules).toContain('-A KUBE-SERVICES -d 198.18.250.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns has no endpoints" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable');
    expect(rules).not.toContain('KUBE-SVC-TCOU7JCQXEZGVUNU');
  });
});
