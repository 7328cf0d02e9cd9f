/**
 * Calico's IPPool (crd.projectcalico.org/v1, cluster-scoped) and its CustomResourceDefinition.
 * Only a calico-mode lab has them, as only a Calico cluster has the CRD installed.
 */
import { objectMeta, type KObject, type ViewContext } from './meta.js';

/** The `default-ipv4-ippool` with the lab's vxlanMode (`calico-never` makes it Never). */
export function ipPoolObject(ctx: ViewContext): KObject {
  const s = ctx.state;
  const blockSize = Number((s.nodes[0]?.podCIDR ?? '/26').split('/')[1]) || 26;
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPPool',
    metadata: objectMeta(ctx, 'IPPool', 'default-ipv4-ippool', undefined, {
      generation: 1,
      annotations: { 'projectcalico.org/metadata': JSON.stringify({ creationTimestamp: s.createdAt }) },
    }),
    spec: {
      allowedUses: ['Workload', 'Tunnel'],
      blockSize,
      cidr: s.clusterCIDR ?? '198.19.0.0/16',
      ipipMode: 'Never',
      natOutgoing: true,
      nodeSelector: 'all()',
      vxlanMode: s.vxlanMode,
    },
  };
}

/** The CRD that makes `ippools.crd.projectcalico.org` exist. */
export function ipPoolCrdObject(ctx: ViewContext): KObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: objectMeta(ctx, 'CustomResourceDefinition', 'ippools.crd.projectcalico.org', undefined, { generation: 1 }),
    spec: {
      conversion: { strategy: 'None' },
      group: 'crd.projectcalico.org',
      names: { kind: 'IPPool', listKind: 'IPPoolList', plural: 'ippools', singular: 'ippool' },
      scope: 'Cluster',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
    status: {
      acceptedNames: { kind: 'IPPool', listKind: 'IPPoolList', plural: 'ippools', singular: 'ippool' },
      conditions: [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }],
      storedVersions: ['v1'],
    },
  };
}
