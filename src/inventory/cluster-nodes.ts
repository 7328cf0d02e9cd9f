/**
 * Node discovery: a step's `hosts:` may name cluster nodes instead of inventory groups.
 *
 *   hosts: k8s:nodes                                              every Node object
 *   hosts: k8s:nodes?labelSelector=node-role.kubernetes.io/worker  nodes with that label
 *   hosts: "k8s:nodes?labelSelector=!node-role.kubernetes.io/control-plane&fieldSelector=metadata.name!=node-9"
 *
 * The query takes `labelSelector` and `fieldSelector` exactly as the API does (`&` separates
 * them; a selector's own `,` and `=` are fine). Each Node is matched to an inventory host — by
 * name first (also the short name of an FQDN), then by address: the host's `ansible_host`
 * against the node's InternalIP (then its other addresses). SSH needs inventory credentials,
 * so a node no host matches is reported as unmatched, never guessed at.
 */
import type { InputProblem } from '../errors.js';
import { kubeErrorMessage, withQuery, type KubeSession } from '../transport/kube-session.js';
import type { Host, Inventory } from './types.js';

export const CLUSTER_HOSTS_PREFIX = 'k8s:';

/** A parsed `k8s:nodes?…` pattern. */
export interface ClusterHostQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

/** The bits of a Node object matching needs. */
export interface NodeInfo {
  name: string;
  /** status.addresses in order, InternalIP first. */
  addresses: { type: string; address: string }[];
}

/** True when a `hosts:` value asks for cluster nodes rather than inventory hosts. */
export function isClusterHostPattern(pattern: string): boolean {
  return pattern.trim().startsWith(CLUSTER_HOSTS_PREFIX);
}

/** Parses `k8s:nodes[?labelSelector=…][&fieldSelector=…]`; a problem message when malformed. */
export function parseClusterHostPattern(pattern: string): ClusterHostQuery | { problem: string } {
  const body = pattern.trim().slice(CLUSTER_HOSTS_PREFIX.length);
  const q = body.indexOf('?');
  const what = q < 0 ? body : body.slice(0, q);
  if (what !== 'nodes') return { problem: `"${pattern}": only k8s:nodes is supported (e.g. k8s:nodes?labelSelector=node-role.kubernetes.io/worker)` };
  const query: ClusterHostQuery = {};
  if (q < 0) return query;
  for (const part of body.slice(q + 1).split('&').filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (key !== 'labelSelector' && key !== 'fieldSelector') return { problem: `"${pattern}": unknown parameter "${key}" (use labelSelector= or fieldSelector=)` };
    if (!value) return { problem: `"${pattern}": ${key} is empty` };
    query[key] = value;
  }
  return query;
}

/** Problems of a `k8s:` hosts pattern, for plan validation (exit 3 before anything runs). */
export function clusterHostPatternProblems(pattern: string, where: Omit<InputProblem, 'message'> = {}): InputProblem[] {
  const parsed = parseClusterHostPattern(pattern);
  return 'problem' in parsed ? [{ ...where, message: parsed.problem }] : [];
}

const shortName = (n: string) => n.split('.')[0].toLowerCase();

/**
 * Matches nodes to inventory hosts: exact name, then short name (node-1 vs node-1.example.com),
 * then address (InternalIP first). Pure: the unit-testable heart of resolveClusterHosts.
 */
export function matchNodesToHosts(nodes: NodeInfo[], hosts: Host[]): { hosts: Host[]; unmatched: string[]; matchedBy: Map<string, string> } {
  const out: Host[] = [];
  const unmatched: string[] = [];
  const matchedBy = new Map<string, string>();
  const byName = new Map(hosts.map((h) => [h.name, h]));
  for (const node of nodes) {
    const ordered = [...node.addresses].sort((a, b) => Number(b.type === 'InternalIP') - Number(a.type === 'InternalIP'));
    let host = byName.get(node.name);
    let how = 'name';
    if (!host) {
      host = hosts.find((h) => shortName(h.name) === shortName(node.name));
      how = 'short name';
    }
    if (!host) {
      for (const a of ordered) {
        host = hosts.find((h) => h.address === a.address);
        if (host) {
          how = `${a.type} ${a.address}`;
          break;
        }
      }
    }
    if (!host) {
      const ip = ordered[0]?.address;
      unmatched.push(ip ? `${node.name} (${ip})` : node.name);
      continue;
    }
    if (!out.includes(host)) out.push(host);
    matchedBy.set(node.name, `${host.name} by ${how}`);
  }
  return { hosts: out, unmatched, matchedBy };
}

/**
 * Lists the Node objects a `k8s:nodes…` pattern selects and returns the inventory hosts they
 * match, in node-name order, plus the nodes no host matched (`name (InternalIP)`).
 * Throws (KubeApiError) when the API cannot be asked; an InputError-worthy pattern throws Error.
 */
export async function resolveClusterHosts(pattern: string, inventory: Inventory, session: KubeSession, signal?: AbortSignal): Promise<{ hosts: Host[]; unmatched: string[] }> {
  const query = parseClusterHostPattern(pattern);
  if ('problem' in query) throw new Error(query.problem);
  const list = await session.request(withQuery('/api/v1/nodes', { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector }), { signal });
  const nodes: NodeInfo[] = (list.items ?? [])
    .map((n: any) => ({ name: n.metadata?.name as string, addresses: (n.status?.addresses ?? []) as NodeInfo['addresses'] }))
    .filter((n: NodeInfo) => n.name)
    .sort((a: NodeInfo, b: NodeInfo) => a.name.localeCompare(b.name));
  const { hosts, unmatched } = matchNodesToHosts(nodes, [...inventory.hosts.values()]);
  return { hosts, unmatched };
}

/** What `resolvePlanClusterHosts` found for a run: hosts per distinct `k8s:` pattern, and notes for the log. */
export interface PlanClusterHosts {
  byPattern: Map<string, Host[]>;
  notes: string[];
}

/**
 * Resolves every distinct `k8s:` `hosts:` pattern of the selected steps once, before the run.
 * A pattern that cannot be resolved (no kubeconfig, API down, 403) resolves to no hosts with a
 * note saying why, so those steps have no targets and the rest of the run goes on.
 */
export async function resolvePlanClusterHosts(
  steps: { hosts?: string }[],
  inventory: Inventory,
  kube: { session(): Promise<KubeSession | { error: string }> },
  signal?: AbortSignal,
): Promise<PlanClusterHosts> {
  const byPattern = new Map<string, Host[]>();
  const notes: string[] = [];
  const patterns = [...new Set(steps.map((s) => s.hosts).filter((h): h is string => h !== undefined && isClusterHostPattern(h)))];
  if (patterns.length === 0) return { byPattern, notes };
  const session = await kube.session();
  for (const pattern of patterns) {
    if ('error' in session) {
      byPattern.set(pattern, []);
      notes.push(`hosts "${pattern}": no cluster nodes (${session.error})`);
      continue;
    }
    try {
      const { hosts, unmatched } = await resolveClusterHosts(pattern, inventory, session, signal);
      byPattern.set(pattern, hosts);
      if (unmatched.length) notes.push(`hosts "${pattern}": cluster node(s) not in the inventory, skipped: ${unmatched.join(', ')}`);
    } catch (err) {
      byPattern.set(pattern, []);
      notes.push(`hosts "${pattern}": no cluster nodes (${kubeErrorMessage(err)})`);
    }
  }
  return { byPattern, notes };
}
