/**
 * URL → route: which discovery document or which resource (group, version, plural, namespace,
 * name, subresource) a path addresses, following the real API server's path layout.
 */

/** What a request path addresses. */
export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'coreVersions' }
  | { kind: 'groupList' }
  | { kind: 'group'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | { kind: 'resource'; group: string; version: string; resource: string; namespace?: string; name?: string; subresource?: string }
  | { kind: 'unknown' };

function resourceRoute(group: string, version: string, segs: string[]): Route {
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    if (segs.length > 5) return { kind: 'unknown' };
    return { kind: 'resource', group, version, namespace: segs[1], resource: segs[2], name: segs[3], subresource: segs[4] };
  }
  if (segs.length > 3) return { kind: 'unknown' };
  return { kind: 'resource', group, version, resource: segs[0], name: segs[1], subresource: segs[2] };
}

/** Parses a request path (without query). */
export function parseRoute(pathname: string): Route {
  const segs = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  if (segs.length === 0) return { kind: 'unknown' };
  const [first, ...rest] = segs;
  if (first === 'version' && rest.length === 0) return { kind: 'version' };
  if (first === 'healthz' || first === 'readyz' || first === 'livez') return { kind: 'health' };
  if (first === 'api') {
    if (rest.length === 0) return { kind: 'coreVersions' };
    if (rest[0] !== 'v1') return { kind: 'unknown' };
    if (rest.length === 1) return { kind: 'resourceList', group: '', version: 'v1' };
    return resourceRoute('', 'v1', rest.slice(1));
  }
  if (first === 'apis') {
    if (rest.length === 0) return { kind: 'groupList' };
    if (rest.length === 1) return { kind: 'group', group: rest[0] };
    if (rest.length === 2) return { kind: 'resourceList', group: rest[0], version: rest[1] };
    return resourceRoute(rest[0], rest[1], rest.slice(2));
  }
  return { kind: 'unknown' };
}

/** The Table media type the client asked for (`meta.k8s.io/v1`), if any. */
export function tableVersionAccepted(accept: string | undefined): string | undefined {
  for (const part of (accept ?? '').split(',')) {
    const params = new Map(part.split(';').slice(1).map((p) => p.trim().split('=') as [string, string]));
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io') return `meta.k8s.io/${params.get('v') ?? 'v1'}`;
  }
  return undefined;
}
