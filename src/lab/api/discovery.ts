/**
 * Legacy discovery documents (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/<g>[/<v>]`).
 * kubectl ≥1.30 first asks for aggregated discovery (apidiscovery.k8s.io/v2); answering with a
 * plain `application/json` legacy document makes client-go fall back to legacy discovery, which
 * is what many aggregated API servers do — the lab tests that fallback with the real kubectl.
 */
import type { ViewContext } from './objects/meta.js';
import { KUBE_VERSION } from './objects/meta.js';
import { groupVersion, servedTypes, type ResourceType } from './resources.js';

/** `/version`. */
export function versionInfo(): object {
  const [major, minor] = KUBE_VERSION.replace(/^v/, '').split('.');
  return {
    major,
    minor,
    gitVersion: KUBE_VERSION,
    gitCommit: '8a2bdb1a1b2c3d4e5f60718293a4b5c6d7e8f901',
    gitTreeState: 'clean',
    buildDate: '2025-04-22T16:03:48Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** `/api`. */
export function coreVersions(serverAddress: string): object {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(name: string, versions: string[]) {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: list, preferredVersion: list[0] };
}

function groups(ctx: ViewContext): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of servedTypes(ctx)) {
    if (!t.group) continue;
    const versions = out.get(t.group) ?? [];
    if (!versions.includes(t.version)) versions.push(t.version);
    out.set(t.group, versions);
  }
  return out;
}

/** `/apis`. */
export function apiGroupList(ctx: ViewContext): object {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups(ctx)].map(([name, versions]) => groupEntry(name, versions)) };
}

/** `/apis/<group>`, or undefined when the group is not served. */
export function apiGroup(ctx: ViewContext, group: string): object | undefined {
  const versions = groups(ctx).get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) } : undefined;
}

function resourceEntries(t: ResourceType): object[] {
  const main: Record<string, unknown> = { name: t.resource, singularName: t.singularName, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs };
  if (t.shortNames) main.shortNames = t.shortNames;
  if (t.categories) main.categories = t.categories;
  const subs = Object.entries(t.subresources ?? {}).map(([sub, d]) => ({ name: `${t.resource}/${sub}`, singularName: '', namespaced: t.namespaced, kind: d.kind, verbs: d.verbs }));
  return [main, ...subs];
}

/** `/api/v1` or `/apis/<group>/<version>`, or undefined when nothing is served there. */
export function apiResourceList(ctx: ViewContext, group: string, version: string): object | undefined {
  const types = servedTypes(ctx).filter((t) => t.group === group && t.version === version);
  if (!types.length) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources: types.flatMap(resourceEntries) };
}
