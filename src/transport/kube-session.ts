/**
 * One Kubernetes API session per run: the loaded kubeconfig, raw JSON requests with the
 * kubeconfig's TLS/auth (what `kubectl get -o json` prints, unchanged by the client library's
 * model classes), streamed GETs (logs), and discovery that turns what users write (`pods`,
 * `ds`, `ippools.crd.projectcalico.org`) into apiVersion + kind like kubectl's RESTMapper.
 *
 * An API server that cannot be reached (refused, DNS, TLS, no answer) is remembered: every
 * later request of the run fails at once with the same message, so a dead control plane costs
 * one timeout, not one per step, and the SSH steps go on.
 */
import http from 'node:http';
import https from 'node:https';
import type { Writable } from 'node:stream';
import type { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { loadKubeConfig, type KubeTarget } from './kube-config.js';

export interface ResolvedResource {
  apiVersion: string;
  kind: string;
  /** Plural resource name, as in URLs and RBAC rules (`pods`, `ippools`). */
  plural: string;
  /** API group ('' for core). */
  group: string;
  namespaced: boolean;
}

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  shortNames?: string[];
}

/** An API failure with its HTTP code (absent when the server was not reached at all). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

/** Seconds without a byte from the server before a request counts as "no answer". */
const IDLE_TIMEOUT_MS = 15_000;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** `path?query` with undefined/false values left out. */
export function withQuery(path: string, query: RequestOptions['query'] = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== false && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The URL path of a resource collection (namespace undefined = all namespaces / cluster scope). */
export function collectionPath(r: Pick<ResolvedResource, 'apiVersion' | 'plural' | 'namespaced'>, namespace?: string): string {
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return r.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${r.plural}` : `${base}/${r.plural}`;
}

export class KubeSession {
  private readonly groups = new Map<string, Promise<{ version: string; resources: ApiResource[] }>>();
  /** Set once the server could not be reached; later requests fail fast with it. */
  private unreachable?: KubeApiError;

  private constructor(
    readonly kc: KubeConfig,
    readonly objects: KubernetesObjectApi,
    readonly source: string,
  ) {}

  static async open(target: KubeTarget): Promise<KubeSession | { error: string }> {
    const loaded = await loadKubeConfig(target);
    if (!loaded.ok) return { error: loaded.error };
    const { KubernetesObjectApi } = await import('@kubernetes/client-node');
    return new KubeSession(loaded.kc, KubernetesObjectApi.makeApiClient(loaded.kc), loaded.source);
  }

  get server(): string {
    return this.kc.getCurrentCluster()!.server;
  }

  /** True once a request found the server unreachable (later ones fail fast). */
  get isUnreachable(): boolean {
    return this.unreachable !== undefined;
  }

  /** Throws the remembered "cannot reach" error, if any (for callers that bypass request()). */
  assertReachable(): void {
    if (this.unreachable) throw this.unreachable;
  }

  /** Records a connection-level failure seen outside request() (e.g. the exec websocket). */
  noteUnreachable(err: unknown): void {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ETIMEDOUT)$/.test(code)) {
      this.unreachable ??= new KubeApiError(`cannot reach the API server ${this.server}: ${(err as Error).message}`);
    }
  }

  /** Opens a request; resolves with the response once headers arrived (status < 400 only). */
  private async open(path: string, opts: RequestOptions): Promise<http.IncomingMessage> {
    this.assertReachable();
    const url = new URL(path, this.server);
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'netdiag' };
    if (body) Object.assign(headers, { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': String(body.length) });
    const reqOpts: https.RequestOptions = { method: opts.method ?? 'GET', headers };
    await this.kc.applyToHTTPSOptions(reqOpts);
    const mod = url.protocol === 'http:' ? http : https;
    const what = `${reqOpts.method} ${url.pathname}`;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { ...reqOpts, signal: opts.signal, timeout: IDLE_TIMEOUT_MS }, (res) => {
        if ((res.statusCode ?? 500) < 400) return resolve(res);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(statusError(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'), what)));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${IDLE_TIMEOUT_MS / 1000}s`), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (opts.signal?.aborted || err.name === 'AbortError') return reject(err);
        // Anything below HTTP (refused, DNS, TLS, silence) will not fix itself during the run.
        this.unreachable ??= new KubeApiError(`cannot reach the API server ${this.server}: ${err.message}`);
        reject(this.unreachable);
      });
      req.end(body);
    });
  }

  /** A JSON request; errors are KubeApiError with the HTTP code and the Status message. */
  async request(path: string, opts: RequestOptions = {}): Promise<any> {
    const res = await this.open(path, opts);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : undefined;
  }

  /** Kept for callers of the first version: GET and parse JSON. */
  getJson(path: string, signal?: AbortSignal): Promise<any> {
    return this.request(path, { signal });
  }

  /** Streams a GET's body into `out` (not ended); resolves with the byte count. */
  async stream(path: string, out: Writable, signal?: AbortSignal): Promise<number> {
    const res = await this.open(path, { signal });
    let bytes = 0;
    for await (const c of res) {
      bytes += (c as Buffer).length;
      if (!out.write(c)) await new Promise((r) => out.once('drain', r));
    }
    return bytes;
  }

  private groupResources(group: string, signal?: AbortSignal) {
    let p = this.groups.get(group);
    if (!p) {
      p = (async () => {
        if (group === '') return { version: 'v1', resources: (await this.request('/api/v1', { signal })).resources as ApiResource[] };
        const g = ((await this.request('/apis', { signal })).groups as any[]).find((x) => x.name === group);
        if (!g) throw new KubeApiError(`the server does not serve API group "${group}"`, 404);
        const version = g.preferredVersion?.version ?? g.versions[0].version;
        return { version, resources: (await this.request(`/apis/${group}/${version}`, { signal })).resources as ApiResource[] };
      })();
      p.catch(() => this.groups.delete(group));
      this.groups.set(group, p);
    }
    return p;
  }

  /** `pods`, `pod`, `po`, `Pod`, `daemonsets.apps`, `ds`, `ippools.crd.projectcalico.org`, … */
  async resolve(resource: string, signal?: AbortSignal): Promise<ResolvedResource> {
    const dot = resource.indexOf('.');
    const name = (dot < 0 ? resource : resource.slice(0, dot)).toLowerCase();
    const explicit = dot < 0 ? undefined : resource.slice(dot + 1);
    const candidates = explicit !== undefined ? [explicit] : ['', 'apps', 'discovery.k8s.io', 'events.k8s.io', 'networking.k8s.io', 'batch', 'policy'];
    for (const group of candidates) {
      let found: { version: string; resources: ApiResource[] };
      try {
        found = await this.groupResources(group, signal);
      } catch (err) {
        if (explicit !== undefined || (err as KubeApiError).code !== 404) throw err;
        continue;
      }
      const r = found.resources.find(
        (x) => !x.name.includes('/') && (x.name === name || x.singularName === name || x.kind.toLowerCase() === name || x.shortNames?.includes(name)),
      );
      if (r) return { apiVersion: group ? `${group}/${found.version}` : found.version, kind: r.kind, plural: r.name, group, namespaced: r.namespaced };
    }
    throw new KubeApiError(`the server doesn't have a resource type "${resource}"`, 404);
  }
}

/** A KubeApiError from an HTTP error answer, worded like kubectl. */
function statusError(code: number, text: string, what: string): KubeApiError {
  let status: { message?: string; reason?: string } | undefined;
  try {
    status = JSON.parse(text);
  } catch {
    status = undefined;
  }
  const detail = status?.message || status?.reason || text.trim().slice(0, 300) || http.STATUS_CODES[code] || 'error';
  return new KubeApiError(`${detail} (${what})`, code);
}

/**
 * A human message for anything the client library, our requests or the network threw: the
 * HTTP code and the server's Status message, never the library's multi-line dump.
 */
export function kubeErrorMessage(err: unknown): string {
  const e = err as { code?: number | string; body?: unknown; message?: string };
  const status = typeof e.code === 'number' ? e.code : undefined;
  let detail: string;
  if (err instanceof KubeApiError) detail = err.message;
  else if (status !== undefined) {
    // client-node's ApiException: the Status JSON in `body` (sometimes a JSON-encoded string).
    let body: any = e.body;
    for (let i = 0; i < 2 && typeof body === 'string'; i++) {
      try {
        body = JSON.parse(body);
      } catch {
        break;
      }
    }
    detail = (body && typeof body === 'object' && (body.message || body.reason)) || (typeof body === 'string' && body) || http.STATUS_CODES[status] || 'error';
  } else {
    // fetch failures read "request to <url> failed, reason: <why>"; keep the why.
    const m = /request to (\S+) failed, reason: (.*)$/s.exec(e.message ?? '');
    detail = m ? `cannot reach the API server (${m[1]}): ${m[2]}` : (e.message ?? String(err));
  }
  if (status === 401) return `unauthorized (401): the API server rejected the kubeconfig's credentials: ${detail}`;
  if (status === 403) return `forbidden (403): ${detail}`;
  if (status === 404) return `not found (404): ${detail}`;
  return status ? `HTTP ${status}: ${detail}` : detail;
}
