/**
 * One Kubernetes API session per run: the loaded kubeconfig, the client library's object API,
 * and discovery that turns what users write (`pods`, `ds`, `daemonset`, `ippools.crd.projectcalico.org`)
 * into apiVersion + kind, like kubectl's RESTMapper. Raw discovery GETs go through the
 * library's own TLS/auth options.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { loadKubeConfig, type KubeTarget } from './kube-config.js';

export interface ResolvedResource {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

interface ApiResource {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  shortNames?: string[];
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export class KubeSession {
  private readonly groups = new Map<string, Promise<{ version: string; resources: ApiResource[] }>>();

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

  /** GET an API path and parse JSON; errors carry the HTTP code (401/403/404) and the Status message. */
  async getJson(path: string, signal?: AbortSignal): Promise<any> {
    const server = this.kc.getCurrentCluster()!.server;
    const url = new URL(path, server);
    const opts: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json' } };
    await this.kc.applyToHTTPSOptions(opts);
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = mod.request(url, { ...opts, signal, timeout: 15_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          if ((res.statusCode ?? 500) >= 400) reject(new KubeApiError(`${res.statusCode} ${body?.message ?? res.statusMessage ?? ''} (GET ${path})`.trim(), res.statusCode));
          else resolve(body);
        });
      });
      req.on('timeout', () => req.destroy(new KubeApiError(`API server did not answer within 15s (GET ${path})`)));
      req.on('error', (err) => reject(err instanceof KubeApiError ? err : new KubeApiError(`cannot reach the API server ${server}: ${err.message}`)));
      req.end();
    });
  }

  private groupResources(group: string, signal?: AbortSignal) {
    let p = this.groups.get(group);
    if (!p) {
      p = (async () => {
        if (group === '') return { version: 'v1', resources: (await this.getJson('/api/v1', signal)).resources as ApiResource[] };
        const g = ((await this.getJson('/apis', signal)).groups as any[]).find((x) => x.name === group);
        if (!g) throw new KubeApiError(`the server does not serve API group "${group}"`, 404);
        const version = g.preferredVersion?.version ?? g.versions[0].version;
        return { version, resources: (await this.getJson(`/apis/${group}/${version}`, signal)).resources as ApiResource[] };
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
      if (r) return { apiVersion: group ? `${group}/${found.version}` : found.version, kind: r.kind, plural: r.name, namespaced: r.namespaced };
    }
    throw new KubeApiError(`the server doesn't have a resource type "${resource}"`, 404);
  }
}

/** A human message for anything the client library or the network threw. */
export function kubeErrorMessage(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  let body: any = e.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* keep text */
    }
  }
  const status = typeof e.code === 'number' ? e.code : undefined;
  const detail = (body && typeof body === 'object' && body.message) || e.message || String(err);
  if (status === 401) return `unauthorized (401): the kubeconfig's credentials were rejected: ${detail}`;
  if (status === 403) return `forbidden (403): ${detail}`;
  return status ? `${status}: ${detail}` : detail;
}
