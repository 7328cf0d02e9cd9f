/**
 * The request handler: bearer-token check, routing, RBAC knob, and dispatch to discovery,
 * list/get (selectors, tables), logs, SelfSubjectAccessReview, PATCH and exec upgrades.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { apiGroup, apiGroupList, apiResourceList, coreVersions, versionInfo } from './discovery.js';
import { actionFailure, daemonSetSpec, type WorkloadActions } from './create.js';
import { chooseProtocol, parseExecQuery, runExec } from './exec.js';
import { logFileFor, parseLogOptions, serveLogFile } from './logs.js';
import type { KObject, ViewContext } from './objects/meta.js';
import { applyPatch, restartForPatch, workloadChange, type RestartWorkload } from './patch.js';
import { forbiddenError, reviewAccess, type Policy } from './policy.js';
import { groupVersion, type ResourceType } from './resources.js';
import { authorized, readBody, readRawBody, sendError, sendJson } from './http-io.js';
import { attributesFor, findObject, resolveType, scopedObjects, type ResourceRoute } from './lookup.js';
import { decodeSelfSubjectAccessReview, isKubeProtobuf } from './proto.js';
import { parseRoute, tableVersionAccepted } from './routes.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { StateSource } from './state-source.js';
import { badRequest, internalError, methodNotAllowed, notFound, pathNotFound, unauthorized, type ApiError } from './status.js';
import { toTable, type IncludeObject } from './table.js';
import { serveWatch } from './watch.js';

/** What the handler needs from main.ts. */
export interface HandlerDeps {
  stateFile: string;
  source: StateSource;
  policy: Policy;
  token: string;
  /**
   * Accept requests without credentials (plain-HTTP fallback only): kubectl never sends tokens
   * over http, so this is kube-apiserver's old localhost "insecure port". Wrong tokens still fail.
   */
  allowAnonymous?: boolean;
  /** host:port clients use (in `/api`'s serverAddressByClientCIDRs); known once listening. */
  serverAddress: () => string;
  restartWorkload: () => Promise<RestartWorkload | undefined>;
  /** DaemonSet create/delete in the data plane (POST/DELETE daemonsets). */
  workloadActions: () => Promise<WorkloadActions | undefined>;
  log: (line: string) => void;
}

const isWatch = (url: URL) => ['true', '1'].includes(url.searchParams.get('watch') ?? '');
const isError = (v: unknown): v is ApiError => typeof v === 'object' && v !== null && 'code' in v && 'body' in v && (v as ApiError).body?.kind === 'Status';

/** Builds the request handlers for one server. */
export function createHandlers(deps: HandlerDeps) {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => chooseProtocol(offered) });

  async function list(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ViewContext, type: ResourceType, route: ResourceRoute, watchName?: string) {
    const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
    if (!labels.ok) return sendError(res, badRequest(labels.error));
    const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
    if (!fields.ok) return sendError(res, badRequest(fields.error));
    const select = (c: ViewContext) =>
      scopedObjects(c, type, route.namespace).filter((o) => labels.matches(o.metadata.labels) && fields.matches(o) && (watchName === undefined || o.metadata.name === watchName));
    if (isWatch(url)) {
      const include = (url.searchParams.get('includeObject') as IncludeObject | null) ?? 'Metadata';
      return serveWatch(req, res, url, { source: deps.source, resource: type.resource, select, tableVersion: tableVersionAccepted(req.headers.accept), include });
    }
    respondObjects(req, res, url, ctx, type, select(ctx), true);
  }

  function respondObjects(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ViewContext, type: ResourceType, items: KObject[], asList: boolean) {
    const tableVersion = tableVersionAccepted(req.headers.accept);
    if (tableVersion) {
      const include = (url.searchParams.get('includeObject') as IncludeObject | null) ?? 'Metadata';
      const [, v] = tableVersion.split('/');
      return sendJson(res, 200, toTable(type.resource, items, tableVersion, include, ctx.resourceVersion), `application/json;as=Table;v=${v};g=meta.k8s.io`);
    }
    if (!asList) return sendJson(res, 200, items[0]);
    // Built-in lists carry kind/apiVersion on the list only; custom resources keep them per item.
    const custom = type.group.endsWith('projectcalico.org');
    const listItems = custom ? items : items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
    sendJson(res, 200, { kind: `${type.kind}List`, apiVersion: groupVersion(type), metadata: { resourceVersion: ctx.resourceVersion }, items: listItems });
  }

  async function patch(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ViewContext, type: ResourceType, route: ResourceRoute) {
    if (type.kind !== 'DaemonSet' && type.kind !== 'Deployment') return sendError(res, methodNotAllowed(`the lab does not support patching ${type.resource}`));
    const current = findObject(ctx, type, route);
    if (isError(current)) return sendError(res, current);
    const patched = applyPatch(current, String(req.headers['content-type'] ?? ''), await readBody(req));
    if (isError(patched)) return sendError(res, patched);
    const change = workloadChange(current, patched, type.resource);
    if (isError(change)) return sendError(res, change);
    if (url.searchParams.get('dryRun') === 'All' || !change.changed) return sendJson(res, 200, patched);
    const failed = await restartForPatch(deps.stateFile, await deps.restartWorkload(), type.kind, route.namespace ?? '', route.name ?? '', change.annotations);
    if (failed) return sendError(res, failed);
    const fresh = findObject(await deps.source.current(), type, route);
    if (isError(fresh)) return sendError(res, fresh);
    deps.log(`patched ${type.kind} ${route.namespace}/${route.name}: restarted`);
    sendJson(res, 200, fresh);
  }

  /** POST of a DaemonSet: real pods on every node its tolerations allow. */
  async function create(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ViewContext, type: ResourceType, route: ResourceRoute) {
    if (type.kind !== 'DaemonSet') return sendError(res, methodNotAllowed(`the lab does not support creating ${type.resource}`));
    if (route.name || route.namespace === undefined) return sendError(res, methodNotAllowed('create a DaemonSet by POSTing to its namespaced collection'));
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch (err) {
      return sendError(res, badRequest(`error decoding the DaemonSet: ${(err as Error).message}`));
    }
    const spec = daemonSetSpec(ctx.state, route.namespace, body);
    if (isError(spec)) return sendError(res, spec);
    const named = { ...route, name: spec.name };
    if (!isError(findObject(ctx, type, named))) return sendError(res, actionFailure(new Error('already exists'), spec.name));
    if (url.searchParams.get('dryRun') !== 'All') {
      const actions = await deps.workloadActions();
      if (!actions) return sendError(res, internalError('the lab actions module does not provide createDaemonSet'));
      try {
        await actions.createDaemonSet(deps.stateFile, spec);
      } catch (err) {
        return sendError(res, actionFailure(err, spec.name));
      }
      deps.log(`created DaemonSet ${spec.namespace}/${spec.name}: pods on ${spec.nodes.join(', ') || 'no node'}`);
    }
    const fresh = findObject(await deps.source.current(), type, named);
    if (isError(fresh)) return sendError(res, internalError(`DaemonSet ${spec.namespace}/${spec.name} vanished after create`));
    sendJson(res, 201, fresh);
  }

  /** DELETE of a DaemonSet the API created; answers with the object as it was. */
  async function remove(res: ServerResponse, ctx: ViewContext, type: ResourceType, route: ResourceRoute) {
    if (type.kind !== 'DaemonSet') return sendError(res, methodNotAllowed(`the lab does not support deleting ${type.resource}`));
    if (!route.name) return sendError(res, methodNotAllowed('deleting a whole collection is not supported by the lab'));
    const current = findObject(ctx, type, route);
    if (isError(current)) return sendError(res, current);
    const actions = await deps.workloadActions();
    if (!actions) return sendError(res, internalError('the lab actions module does not provide deleteDaemonSet'));
    try {
      const found = await actions.deleteDaemonSet(deps.stateFile, route.namespace ?? '', route.name);
      if (!found) return sendError(res, notFound(type.resource, route.name, type.group));
    } catch (err) {
      return sendError(res, actionFailure(err, route.name));
    }
    deps.log(`deleted DaemonSet ${route.namespace}/${route.name} and its pods`);
    sendJson(res, 200, current);
  }

  async function resource(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ViewContext, route: ResourceRoute) {
    const type = resolveType(ctx, route);
    if (isError(type)) return sendError(res, type);
    const method = req.method ?? 'GET';
    const verb =
      method === 'GET' ? (route.subresource === 'exec' ? 'create' : isWatch(url) ? 'watch' : route.name ? 'get' : 'list')
      : method === 'POST' ? 'create'
      : method === 'PATCH' ? 'patch'
      : method === 'DELETE' ? 'delete'
      : undefined;
    if (!verb || (!type.verbs.includes(verb) && !route.subresource)) {
      return sendError(res, methodNotAllowed(`the server does not allow this method on the requested resource`));
    }
    const attrs = attributesFor(route, verb);
    if (await deps.policy.denies(attrs)) return sendError(res, forbiddenError(attrs));

    if (type.resource === 'selfsubjectaccessreviews') {
      if (method !== 'POST' || route.name) return sendError(res, methodNotAllowed('only create is supported'));
      let body: unknown;
      try {
        const raw = await readRawBody(req);
        body = isKubeProtobuf(raw) ? decodeSelfSubjectAccessReview(raw) : JSON.parse(raw.toString('utf8'));
      } catch (err) {
        return sendError(res, badRequest(`error decoding SelfSubjectAccessReview: ${(err as Error).message}`));
      }
      return sendJson(res, 201, await reviewAccess(deps.policy, body));
    }
    if (method === 'POST' && !route.subresource) return create(req, res, url, ctx, type, route);
    if (method === 'DELETE' && !route.subresource) return remove(res, ctx, type, route);
    if (method === 'PATCH') return route.name ? patch(req, res, url, ctx, type, route) : sendError(res, methodNotAllowed('PATCH needs an object name'));
    if (method !== 'GET') return sendError(res, methodNotAllowed(`the lab API server does not support ${method} on ${type.resource}`));
    if (!route.name) return list(req, res, url, ctx, type, route);
    if (!route.subresource && isWatch(url)) return list(req, res, url, ctx, type, route, route.name);
    if (route.subresource === 'exec') return sendError(res, badRequest('Upgrade request required'));
    if (route.subresource === 'log') {
      const opts = parseLogOptions(url.searchParams);
      if (isError(opts)) return sendError(res, opts);
      const pod = ctx.state.pods.find((p) => p.namespace === route.namespace && p.name === route.name);
      const target = logFileFor(ctx.state, pod, route.name, opts);
      if (isError(target)) return sendError(res, target);
      const failed = await serveLogFile(res, target.file, opts, opts.previous);
      return failed ? sendError(res, failed) : undefined;
    }
    const obj = findObject(ctx, type, route);
    if (isError(obj)) return sendError(res, obj);
    respondObjects(req, res, url, ctx, type, [obj], false);
  }

  /** Plain HTTP requests. */
  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
    res.on('finish', () => deps.log(`${req.method} ${url.pathname}${url.search} ${res.statusCode}`));
    try {
      if (!authorized(req, deps.token, deps.allowAnonymous)) return sendError(res, unauthorized());
      const ctx = await deps.source.current();
      const route = parseRoute(url.pathname);
      const missing = () => sendError(res, pathNotFound(url.pathname));
      switch (route.kind) {
        case 'version':
          return sendJson(res, 200, versionInfo());
        case 'health':
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          return void res.end('ok');
        case 'coreVersions':
          return sendJson(res, 200, coreVersions(deps.serverAddress()));
        case 'groupList':
          return sendJson(res, 200, apiGroupList(ctx));
        case 'group': {
          const g = apiGroup(ctx, route.group);
          return g ? sendJson(res, 200, g) : missing();
        }
        case 'resourceList': {
          const l = apiResourceList(ctx, route.group, route.version);
          return l ? sendJson(res, 200, l) : missing();
        }
        case 'resource':
          return await resource(req, res, url, ctx, route);
        default:
          return missing();
      }
    } catch (err) {
      deps.log(`error on ${req.method} ${url.pathname}: ${(err as Error).stack}`);
      if (!res.headersSent) sendError(res, internalError((err as Error).message));
      else res.destroy();
    }
  }

  function rejectUpgrade(socket: Duplex, e: ApiError): void {
    const text = JSON.stringify(e.body);
    const reason = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }[e.code] ?? 'Error';
    socket.end(`HTTP/1.1 ${e.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
  }

  /** Websocket upgrades: only pod exec. */
  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lab.invalid');
    socket.on('error', () => undefined);
    try {
      if (!authorized(req, deps.token, deps.allowAnonymous)) return rejectUpgrade(socket, unauthorized());
      const ctx = await deps.source.current();
      const route = parseRoute(url.pathname);
      if (route.kind !== 'resource' || route.resource !== 'pods' || route.subresource !== 'exec' || !route.name || !route.namespace) {
        return rejectUpgrade(socket, pathNotFound(url.pathname));
      }
      const attrs = attributesFor(route, 'create');
      if (await deps.policy.denies(attrs)) return rejectUpgrade(socket, forbiddenError(attrs));
      const pod = ctx.state.pods.find((p) => p.namespace === route.namespace && p.name === route.name);
      if (!pod) return rejectUpgrade(socket, notFound('pods', route.name));
      const q = parseExecQuery(url.searchParams);
      if (!q.argv.length) return rejectUpgrade(socket, badRequest('you must specify at least 1 command'));
      const container = q.container ?? pod.containers[0]?.name;
      const c = pod.containers.find((x) => x.name === container);
      if (!c) return rejectUpgrade(socket, badRequest(`container ${container} is not valid for pod ${pod.name}`));
      if (pod.phase === 'Succeeded' || pod.phase === 'Failed') return rejectUpgrade(socket, badRequest(`cannot exec into a container in a completed pod; current phase is ${pod.phase}`));
      if (c.waitingReason || pod.phase === 'Pending') return rejectUpgrade(socket, internalError(`unable to upgrade connection: container not found ("${c.name}")`));
      const netns = pod.hostNetwork || !pod.netns ? ctx.state.nodes.find((n) => n.name === pod.node)?.netns : pod.netns;
      if (!netns) return rejectUpgrade(socket, internalError(`pod ${pod.name} has no network namespace in the lab`));
      deps.log(`UPGRADE ${url.pathname}${url.search} protocols=${req.headers['sec-websocket-protocol'] ?? ''}`);
      wss.handleUpgrade(req, socket, head, (ws) => runExec(ws, { netns, argv: q.argv, stdin: q.stdin, stdout: q.stdout, stderr: q.stderr, tty: q.tty }, deps.log));
    } catch (err) {
      deps.log(`error on upgrade ${url.pathname}: ${(err as Error).stack}`);
      rejectUpgrade(socket, internalError((err as Error).message));
    }
  }

  return { onRequest, onUpgrade, close: () => wss.close() };
}
