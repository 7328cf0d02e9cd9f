/**
 * CNI-specific fix commands shared by several rules (restarting the CNI agent on a node,
 * where the tunnel port is configured). Commands are shown to the user, never run from here.
 */
import type { AnalysisContext } from '../context.js';
import { parseFlannelConfig } from '../parse/cni-config.js';

/** Restart the CNI agent pod on one node (flannel re-programs route/neigh/FDB on start). */
export function restartCniAgent(ctx: AnalysisContext, node: string): string {
  const ns = ctx.cniNamespace();
  return ctx.cni() === 'calico'
    ? `kubectl -n ${ns} delete pod -l k8s-app=calico-node --field-selector spec.nodeName=${node}`
    : `kubectl -n ${ns} delete pod -l app=flannel --field-selector spec.nodeName=${node}`;
}

/** The overlay's UDP port and tunnel device for the CNI in use. */
export function overlay(ctx: AnalysisContext): { port: number; device: string; vni: number; name: string } {
  return ctx.cni() === 'calico'
    ? { port: 4789, device: 'vxlan.calico', vni: 4096, name: 'Calico VXLAN' }
    : { port: ctx.cluster('flannel_config', parseFlannelConfig)?.value.conf?.port ?? 8472, device: 'flannel.1', vni: 1, name: 'flannel VXLAN' };
}

/** Persisting a sysctl the way kubeadm's docs recommend. */
export function persistSysctl(key: string, value: string | number): string[] {
  return [`sysctl -w ${key}=${value}`, `echo '${key} = ${value}' > /etc/sysctl.d/99-kubernetes-netdiag.conf && sysctl --system`];
}
