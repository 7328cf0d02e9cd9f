/**
 * Services and what the endpoint controllers derive from them: Endpoints and EndpointSlices of
 * the pods matching each selector (ready pods as addresses, others as notReady), with nodeName
 * so netdiag can tell "endpoint local" from "endpoint remote".
 */
import type { LabPod, LabService } from '../../model.js';
import { shortHash, uidFor } from '../ids.js';
import { objectMeta, ownerRef, type KObject, type ViewContext } from './meta.js';

function selected(ctx: ViewContext, svc: LabService): LabPod[] {
  const keys = Object.entries(svc.selector ?? {});
  if (keys.length === 0) return [];
  return ctx.state.pods.filter(
    (p) => p.namespace === svc.namespace && p.phase === 'Running' && keys.every(([k, v]) => p.labels[k] === v),
  );
}

const podReady = (p: LabPod) => p.containers.every((c) => c.ready);

function serviceLabels(svc: LabService): Record<string, string> {
  if (svc.name === 'kubernetes' && svc.namespace === 'default') return { component: 'apiserver', provider: 'kubernetes' };
  if (svc.name === 'kube-dns') return { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
  return { ...svc.selector };
}

/** Builds one Service object. */
export function serviceObject(ctx: ViewContext, svc: LabService): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(ctx, 'Service', svc.name, svc.namespace, { labels: serviceLabels(svc) }),
    spec: {
      clusterIP: svc.clusterIP,
      clusterIPs: [svc.clusterIP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: svc.ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol, targetPort: p.targetPort })),
      ...(Object.keys(svc.selector ?? {}).length ? { selector: svc.selector } : {}),
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  };
}

function targetRef(p: LabPod) {
  return { kind: 'Pod', name: p.name, namespace: p.namespace, uid: uidFor('Pod', p.namespace, p.name) };
}

/** The Endpoints object of a service with a selector (undefined for selector-less services). */
export function endpointsObject(ctx: ViewContext, svc: LabService): KObject | undefined {
  if (!Object.keys(svc.selector ?? {}).length) return undefined;
  const pods = selected(ctx, svc);
  const address = (p: LabPod) => ({ ip: p.ip, nodeName: p.node, targetRef: targetRef(p) });
  const ready = pods.filter(podReady).map(address);
  const notReady = pods.filter((p) => !podReady(p)).map(address);
  const subset: Record<string, unknown> = { ports: svc.ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })) };
  if (ready.length) subset.addresses = ready;
  if (notReady.length) subset.notReadyAddresses = notReady;
  const obj: KObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: objectMeta(ctx, 'Endpoints', svc.name, svc.namespace, { labels: serviceLabels(svc) }),
  };
  if (pods.length) obj.subsets = [subset];
  return obj;
}

/** The EndpointSlice of a service with a selector. */
export function endpointSliceObject(ctx: ViewContext, svc: LabService): KObject | undefined {
  if (!Object.keys(svc.selector ?? {}).length) return undefined;
  const name = `${svc.name}-${shortHash(`${svc.namespace}/${svc.name}`, 5)}`;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: objectMeta(ctx, 'EndpointSlice', name, svc.namespace, {
      generateName: `${svc.name}-`,
      labels: {
        ...serviceLabels(svc),
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
        'kubernetes.io/service-name': svc.name,
      },
      ownerReferences: [ownerRef('v1', 'Service', svc.namespace, svc.name)],
    }),
    addressType: 'IPv4',
    endpoints: selected(ctx, svc).map((p) => ({
      addresses: [p.ip],
      conditions: { ready: podReady(p), serving: podReady(p), terminating: false },
      nodeName: p.node,
      targetRef: targetRef(p),
    })),
    ports: svc.ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
  };
}
