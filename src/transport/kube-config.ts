/**
 * Kubeconfig loading the way kubectl does it — `--kubeconfig`, then `KUBECONFIG` (several files
 * merged), then `~/.kube/config`, then the in-cluster service account — and `--context`.
 * Unlike `KubeConfig.loadFromDefault()`, finding nothing is an error, never a silent
 * fallback to http://localhost:8080.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

export type LoadedKubeConfig = { ok: true; kc: KubeConfig; source: string } | { ok: false; error: string };

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export async function loadKubeConfig(target: KubeTarget, env: NodeJS.ProcessEnv = process.env): Promise<LoadedKubeConfig> {
  // The client library is heavy: load it only when a run really talks to the API.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  let source: string;
  try {
    if (target.kubeconfig) {
      if (!existsSync(target.kubeconfig)) return { ok: false, error: `kubeconfig ${target.kubeconfig} does not exist` };
      kc.loadFromFile(target.kubeconfig);
      source = target.kubeconfig;
    } else if (env.KUBECONFIG && env.KUBECONFIG.split(path.delimiter).some((f) => f && existsSync(f))) {
      // loadFromDefault merges every file of KUBECONFIG like kubectl; we checked one exists.
      kc.loadFromDefault();
      source = `KUBECONFIG=${env.KUBECONFIG}`;
    } else if (existsSync(path.join(os.homedir(), '.kube', 'config'))) {
      source = path.join(os.homedir(), '.kube', 'config');
      kc.loadFromFile(source);
    } else if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
      kc.loadFromCluster();
      source = 'in-cluster service account';
    } else {
      return { ok: false, error: 'no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config' };
    }
  } catch (err) {
    return { ok: false, error: `cannot load kubeconfig: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (target.context) {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      return { ok: false, error: `context "${target.context}" not found in ${source} (have: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})` };
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) return { ok: false, error: `kubeconfig ${source} has no current context/cluster` };
  return { ok: true, kc, source };
}
