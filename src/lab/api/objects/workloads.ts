/**
 * DaemonSets and Deployments from `state.workloads`, with status counts computed from the pods
 * they own — so a crash-looping kube-proxy shows `READY 2/3` like a real cluster. Older state
 * files without workloads get them inferred from the pods' owners.
 */
import type { LabPod, LabWorkload } from '../../model.js';
import { defaultImage, objectMeta, type KObject, type ViewContext } from './meta.js';
import { parseOwner, workloadOf } from './pods.js';

/** The workloads of the state, inferred from pod owners when the state lists none. */
export function labWorkloads(ctx: ViewContext): LabWorkload[] {
  if (ctx.state.workloads?.length) return ctx.state.workloads;
  const seen = new Map<string, LabWorkload>();
  for (const pod of ctx.state.pods) {
    const owner = parseOwner(pod.owner);
    if (!owner || (owner.kind !== 'DaemonSet' && owner.kind !== 'Deployment')) continue;
    const key = `${owner.kind}/${pod.namespace}/${owner.name}`;
    const w = seen.get(key) ?? {
      kind: owner.kind,
      name: owner.name,
      namespace: pod.namespace,
      labels: { ...pod.labels },
      templateAnnotations: {},
      replicas: 0,
      generation: 1,
      image: pod.containers[0]?.image ?? defaultImage(pod.containers[0]?.name ?? owner.name),
    };
    w.replicas++;
    seen.set(key, w);
  }
  return [...seen.values()];
}

function podsOf(ctx: ViewContext, w: LabWorkload): LabPod[] {
  return ctx.state.pods.filter((p) => {
    const owned = workloadOf(ctx, p);
    if (owned) return owned.kind === w.kind && owned.name === w.name && owned.namespace === w.namespace;
    const o = parseOwner(p.owner);
    return p.namespace === w.namespace && o?.kind === w.kind && o.name === w.name;
  });
}

const ready = (p: LabPod) => p.phase === 'Running' && p.containers.every((c) => c.ready);

function template(w: LabWorkload, pods: LabPod[]): object {
  const sample = pods[0];
  const containers = (sample?.containers ?? [{ name: w.name }]).map((c) => ({
    name: c.name,
    image: w.image,
    imagePullPolicy: 'IfNotPresent',
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  }));
  const annotations = w.templateAnnotations ?? {};
  // A workload created through the API serves back the pod spec it was created with.
  if (w.podSpec) return { metadata: { creationTimestamp: null, labels: w.labels, ...(Object.keys(annotations).length ? { annotations } : {}) }, spec: w.podSpec };
  return {
    metadata: { creationTimestamp: null, labels: w.labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      containers,
      dnsPolicy: sample?.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      ...(sample?.hostNetwork ? { hostNetwork: true } : {}),
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: w.name,
      terminationGracePeriodSeconds: 30,
      ...(w.kind === 'DaemonSet' ? { priorityClassName: 'system-node-critical', tolerations: [{ operator: 'Exists' }] } : {}),
    },
  };
}

/** Builds a DaemonSet object. */
export function daemonSetObject(ctx: ViewContext, w: LabWorkload): KObject {
  const pods = podsOf(ctx, w);
  const readyCount = pods.filter(ready).length;
  const desired = Math.max(w.replicas || 0, pods.length);
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: objectMeta(ctx, 'DaemonSet', w.name, w.namespace, {
      generation: w.generation,
      labels: w.labels,
      annotations: { 'deprecated.daemonset.template.generation': String(w.generation) },
    }),
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: w.labels },
      template: template(w, pods),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
    },
    status: {
      currentNumberScheduled: pods.length,
      desiredNumberScheduled: desired,
      numberAvailable: readyCount,
      numberMisscheduled: 0,
      numberReady: readyCount,
      ...(desired - readyCount > 0 ? { numberUnavailable: desired - readyCount } : {}),
      observedGeneration: w.generation,
      updatedNumberScheduled: pods.length,
    },
  };
}

/** Builds a Deployment object. */
export function deploymentObject(ctx: ViewContext, w: LabWorkload): KObject {
  const pods = podsOf(ctx, w);
  const readyCount = pods.filter(ready).length;
  const replicas = w.replicas || pods.length;
  const at = ctx.state.createdAt;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(ctx, 'Deployment', w.name, w.namespace, {
      generation: w.generation,
      labels: w.labels,
      annotations: { 'deployment.kubernetes.io/revision': String(w.generation) },
    }),
    spec: {
      progressDeadlineSeconds: 600,
      replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: w.labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: template(w, pods),
    },
    status: {
      availableReplicas: readyCount,
      conditions: [
        {
          type: 'Available',
          status: readyCount > 0 ? 'True' : 'False',
          lastUpdateTime: at,
          lastTransitionTime: at,
          reason: readyCount > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message: readyCount > 0 ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
        },
        {
          type: 'Progressing',
          status: 'True',
          lastUpdateTime: at,
          lastTransitionTime: at,
          reason: 'NewReplicaSetAvailable',
          message: `ReplicaSet "${w.name}" has successfully progressed.`,
        },
      ],
      observedGeneration: w.generation,
      readyReplicas: readyCount,
      replicas: pods.length,
      ...(replicas - readyCount > 0 ? { unavailableReplicas: replicas - readyCount } : {}),
      updatedReplicas: pods.length,
    },
  };
}
