/** Resolving a resource route to its served type and objects (namespace scoping, 404s, RBAC attributes). */
import type { KObject, ViewContext } from './objects/meta.js';
import type { RequestAttributes } from './policy.js';
import { findType, type ResourceType } from './resources.js';
import type { Route } from './routes.js';
import { notFound, pathNotFound, type ApiError } from './status.js';

export type ResourceRoute = Extract<Route, { kind: 'resource' }>;

export function attributesFor(route: ResourceRoute, verb: string): RequestAttributes {
  return { verb, group: route.group, resource: route.resource, subresource: route.subresource, namespace: route.namespace, name: route.name };
}

/** Objects of a type in the route's namespace (all namespaces when none is given). */
export function scopedObjects(ctx: ViewContext, type: ResourceType, namespace: string | undefined): KObject[] {
  const all = type.objects(ctx);
  const scoped = namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  // The real server lists in storage-key order: namespace, then name.
  const key = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  return scoped.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export function findObject(ctx: ViewContext, type: ResourceType, route: ResourceRoute): KObject | ApiError {
  const obj = scopedObjects(ctx, type, type.namespaced ? route.namespace : undefined).find((o) => o.metadata.name === route.name);
  return obj ?? notFound(type.resource, route.name ?? '', type.group);
}

/** Validates the route against the served types: the type, or the 404 to answer. */
export function resolveType(ctx: ViewContext, route: ResourceRoute): ResourceType | ApiError {
  const type = findType(ctx, route.group, route.version, route.resource);
  if (!type) return pathNotFound(`/${route.group ? 'apis/' + route.group : 'api'}/${route.version}/${route.resource}`);
  if (route.namespace !== undefined && !type.namespaced) return pathNotFound(`namespaces/${route.namespace}/${route.resource}`);
  if (route.subresource && !type.subresources?.[route.subresource]) return pathNotFound(`${route.resource}/${route.name}/${route.subresource}`);
  return type;
}
