/**
 * `probe: { deploy: … }`: when no probe pod is running, the step deploys its own DaemonSet
 * (tolerating every taint so it lands on control-plane and tainted nodes too, image
 * configurable for air-gapped clusters), waits for one Running pod per schedulable node and
 * removes it all at the end of the run — also after a failure or Ctrl-C — through the run's
 * cleanup hook, which is registered before anything is created.
 */
import { KubeApiError, type KubeSession } from '../../transport/kube-session.js';
import { sleepUnlessAborted as sleep } from '../../transport/abort.js';

export const DEFAULT_PROBE_IMAGE = 'nicolaka/netshoot:v0.13';
export const DEFAULT_PROBE_NAME = 'netdiag-probe';
export const DEFAULT_PROBE_NAMESPACE = 'netdiag';
/** Upper bound for pods to come up (image pulls included); the step timeout still applies. */
export const DEPLOY_TIMEOUT_MS = 120_000;

/** What the step deployed (reported in its output and manifest data). */
export interface ProbeDeployment {
  namespace: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** Nodes the pods are expected on (schedulable nodes) and those that got a Running pod. */
  expectedNodes: string[];
  readyNodes: string[];
  /** Whether the namespace was created by the step (and so is deleted with it). */
  createdNamespace: boolean;
}

/**
 * Labels the deployed pods must carry to match `selector`: only equality terms (`a=b`,
 * `a==b`) can be turned into labels. Returns an error message for anything else.
 */
export function labelsForSelector(selector: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  for (const term of selector.split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9._/-]+)\s*==?\s*([A-Za-z0-9._-]*)$/.exec(term);
    if (!m) return `cannot deploy probe pods for selector "${selector}": only key=value terms can become pod labels`;
    labels[m[1]] = m[2];
  }
  return Object.keys(labels).length ? labels : `cannot deploy probe pods for an empty selector`;
}

/** The DaemonSet manifest the step creates. */
export function probeDaemonSet(name: string, namespace: string, image: string, labels: Record<string, string>): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace, labels: { ...labels, 'app.kubernetes.io/managed-by': 'netdiag' } },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          // Every taint (control-plane, NoExecute, custom): the matrix needs a pod on every node.
          tolerations: [{ operator: 'Exists' }],
          hostNetwork: false,
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'probe', image, command: ['sleep', 'infinity'], securityContext: { capabilities: { add: ['NET_RAW', 'NET_ADMIN'] } } }],
        },
      },
    },
  };
}

const code = (err: unknown) => (err as KubeApiError).code;
/** Names of the nodes a DaemonSet with `tolerations: [Exists]` is scheduled to (not cordoned). */
async function schedulableNodes(session: KubeSession, signal: AbortSignal): Promise<string[]> {
  const list = await session.request('/api/v1/nodes', { signal });
  return ((list?.items ?? []) as any[]).filter((n) => !n.spec?.unschedulable).map((n) => n.metadata.name as string).sort();
}

/** Nodes with a Running, ready pod matching the labels in the namespace. */
async function readyNodes(session: KubeSession, namespace: string, selector: string, signal: AbortSignal): Promise<string[]> {
  const list = await session.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`, { signal });
  const ready = ((list?.items ?? []) as any[]).filter(
    (p) => p.status?.phase === 'Running' && p.status?.podIP && !p.metadata?.deletionTimestamp && (p.status?.containerStatuses ?? []).every((c: any) => c.ready),
  );
  return [...new Set(ready.map((p) => p.spec?.nodeName as string))].sort();
}

/** Pods matching the labels, whatever their state (0 when the API cannot be asked). */
async function podsLeft(session: KubeSession, namespace: string, selector: string, signal: AbortSignal): Promise<number> {
  const list = await session.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`, { signal }).catch(() => undefined);
  return (list?.items ?? []).length;
}

/**
 * Creates the probe DaemonSet (and its namespace when missing) and waits until every
 * schedulable node runs a pod or `signal` fires (timeout/Ctrl-C: the caller decides). The
 * cleanup is registered first, so whatever was created is removed at the end of the run.
 */
export async function deployProbes(
  session: KubeSession,
  opts: { namespace: string; name: string; image: string; selector: string },
  signal: AbortSignal,
  registerCleanup: (fn: () => Promise<void>) => void,
): Promise<ProbeDeployment> {
  const labels = labelsForSelector(opts.selector);
  if (typeof labels === 'string') throw new KubeApiError(labels);
  const { namespace, name, image } = opts;
  const dsPath = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/daemonsets`;
  const selector = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  const done: ProbeDeployment = { namespace, name, image, labels, expectedNodes: [], readyNodes: [], createdNamespace: false };
  let createdDaemonSet = false;
  registerCleanup(async () => {
    // A fresh signal: the run's may already be aborted (Ctrl-C) and cleanup must still happen.
    const bound = AbortSignal.timeout(30_000);
    if (createdDaemonSet) {
      await session.request(`${dsPath}/${encodeURIComponent(name)}`, { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' }, signal: bound }).catch((err) => {
        if (code(err) !== 404) throw err;
      });
      // Foreground deletion returns before the pods are gone on a real cluster.
      while (!bound.aborted && (await podsLeft(session, namespace, selector, bound)) > 0) await sleep(1000, bound);
    }
    if (done.createdNamespace) await session.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}`, { method: 'DELETE', signal: bound }).catch(() => undefined);
  });
  const manifest = probeDaemonSet(name, namespace, image, labels);
  // Set before the request: a Ctrl-C while it is in flight may still have created it.
  createdDaemonSet = true;
  try {
    await session.request(dsPath, { method: 'POST', body: manifest, signal });
  } catch (err) {
    createdDaemonSet = code(err) === 404;
    if (code(err) === 409) throw new KubeApiError(`DaemonSet ${namespace}/${name} already exists but no Running pod matches ${opts.selector}: not touching it (pick another deploy.name)`, 409);
    if (code(err) !== 404) throw err;
    // The namespace does not exist: create it, and remove it again at the end.
    await session.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'app.kubernetes.io/managed-by': 'netdiag' } } }, signal });
    done.createdNamespace = true;
    await session.request(dsPath, { method: 'POST', body: manifest, signal });
  }
  done.expectedNodes = await schedulableNodes(session, signal);
  while (!signal.aborted) {
    done.readyNodes = await readyNodes(session, namespace, selector, signal).catch((err) => {
      if (signal.aborted) return done.readyNodes;
      throw err;
    });
    if (done.expectedNodes.every((n) => done.readyNodes.includes(n))) break;
    await sleep(1000, signal);
  }
  return done;
}
