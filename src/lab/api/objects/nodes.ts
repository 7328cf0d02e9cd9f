/**
 * Node objects: what `kubectl get nodes -o wide` and netdiag's node discovery read. The flannel
 * annotations carry the lab's real VtepMAC so an analyzer can compare them with `bridge fdb`.
 */
import { release } from 'node:os';
import type { LabNode } from '../../model.js';
import { cidrAddress, shortHash } from '../ids.js';
import { KUBE_VERSION, objectMeta, type KObject, type ViewContext } from './meta.js';

function cniAnnotations(ctx: ViewContext, node: LabNode): Record<string, string> {
  if (ctx.state.cni === 'calico') {
    return {
      'projectcalico.org/IPv4Address': `${node.address}/24`,
      'projectcalico.org/IPv4VXLANTunnelAddr': cidrAddress(node.podCIDR, 0),
    };
  }
  return {
    'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: node.vtepMac }),
    'flannel.alpha.coreos.com/backend-type': 'vxlan',
    'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    'flannel.alpha.coreos.com/public-ip': node.address,
  };
}

/** The taints kubeadm puts on a node (the control plane's NoSchedule; workers have none). */
export function controlPlaneTaints(controlPlane: boolean): { key: string; effect: string; value?: string }[] {
  return controlPlane ? [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] : [];
}

/** The first node is the control plane (labelled and tainted as kubeadm does). */
function isControlPlane(ctx: ViewContext, node: LabNode): boolean {
  return ctx.state.nodes[0]?.name === node.name;
}

/** Builds one Node object. */
export function nodeObject(ctx: ViewContext, node: LabNode): KObject {
  const controlPlane = isControlPlane(ctx, node);
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
  };
  if (controlPlane) labels['node-role.kubernetes.io/control-plane'] = '';
  const created = ctx.state.createdAt;
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    lastTransitionTime: created,
    reason,
    message,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: objectMeta(ctx, 'Node', node.name, undefined, {
      labels,
      annotations: {
        ...cniAnnotations(ctx, node),
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    }),
    spec: {
      podCIDR: node.podCIDR,
      podCIDRs: [node.podCIDR],
      ...(controlPlane ? { taints: controlPlaneTaints(true) } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.address },
        { type: 'Hostname', address: node.name },
      ],
      allocatable: { cpu: '2', 'ephemeral-storage': '19316953466', memory: '3919364Ki', pods: '110' },
      capacity: { cpu: '2', 'ephemeral-storage': '20959212Ki', memory: '4021764Ki', pods: '110' },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: shortHash(`boot/${node.name}/${created}`, 32),
        containerRuntimeVersion: 'containerd://1.7.24',
        kernelVersion: release(),
        kubeProxyVersion: KUBE_VERSION,
        kubeletVersion: KUBE_VERSION,
        machineID: shortHash(`machine/${node.name}`, 32),
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: shortHash(`system/${node.name}`, 32),
      },
    },
  };
}

/** The node's heartbeat Lease in kube-node-lease (what `kubectl describe node` shows as Lease). */
export function nodeLeaseObject(ctx: ViewContext, node: LabNode): KObject {
  const renew = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: objectMeta(ctx, 'Lease', node.name, 'kube-node-lease', {
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: objectMeta(ctx, 'Node', node.name, undefined).uid }],
    }),
    spec: { holderIdentity: node.name, leaseDurationSeconds: 40, renewTime: renew },
  };
}
