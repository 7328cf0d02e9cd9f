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

/** Which cluster a run talks to: the `--kubeconfig` / `--context` options. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

/** A loaded configuration and where it came from, or why none could be loaded. */
export type LoadedKubeConfig = { ok: true; kc: KubeConfig; source: string } | { ok: false; error: string };

/** Where an in-cluster pod finds its service account (overridable for tests). */
export interface InClusterPaths {
  tokenFile: string;
}

const IN_CLUSTER: InClusterPaths = { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' };

export const NO_KUBECONFIG = 'no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config';

type KubeConfigClass = typeof import('@kubernetes/client-node').KubeConfig;

/**
 * Merges KUBECONFIG files with kubectl's rules: the first file that sets a cluster/user/context
 * name wins, and so does the first non-empty current-context (the library's own merge lets the
 * last file win and throws on duplicate names).
 */
function mergeFiles(KubeConfig: KubeConfigClass, files: string[]): KubeConfig {
  const merged = { clusters: [] as { name: string }[], users: [] as { name: string }[], contexts: [] as { name: string }[], currentContext: '' };
  for (const file of files) {
    const one = new KubeConfig();
    one.loadFromFile(file); // resolves relative certificate paths against the file's directory
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const item of one[key] as { name: string }[]) if (!merged[key].some((x) => x.name === item.name)) merged[key].push(item);
    }
    merged.currentContext ||= one.currentContext ?? '';
  }
  const kc = new KubeConfig();
  kc.loadFromOptions(merged);
  return kc;
}

/**
 * Loads the kubeconfig a run uses. Expected problems (missing file, bad YAML, unknown context,
 * nothing found) are `{ok:false, error}` values with a message for the user.
 */
export async function loadKubeConfig(target: KubeTarget, env: NodeJS.ProcessEnv = process.env, inCluster: InClusterPaths = IN_CLUSTER): Promise<LoadedKubeConfig> {
  // The client library is heavy: load it only when a run really talks to the API.
  const { KubeConfig } = await import('@kubernetes/client-node');
  let kc: KubeConfig;
  let source: string;
  const home = env.HOME || os.homedir();
  const envFiles = (env.KUBECONFIG ?? '').split(path.delimiter).filter((f) => f !== '');
  try {
    if (target.kubeconfig) {
      if (!existsSync(target.kubeconfig)) return { ok: false, error: `kubeconfig ${target.kubeconfig} (from --kubeconfig) does not exist` };
      kc = new KubeConfig();
      kc.loadFromFile(target.kubeconfig);
      source = target.kubeconfig;
    } else if (envFiles.length > 0) {
      // kubectl ignores KUBECONFIG entries that do not exist, but not a list where none does.
      const existing = envFiles.filter((f) => existsSync(f));
      if (existing.length === 0) return { ok: false, error: `no file of KUBECONFIG=${env.KUBECONFIG} exists` };
      kc = mergeFiles(KubeConfig, existing);
      source = `KUBECONFIG=${existing.join(path.delimiter)}`;
    } else if (existsSync(path.join(home, '.kube', 'config'))) {
      source = path.join(home, '.kube', 'config');
      kc = new KubeConfig();
      kc.loadFromFile(source);
    } else if (env.KUBERNETES_SERVICE_HOST && existsSync(inCluster.tokenFile)) {
      kc = new KubeConfig();
      kc.loadFromCluster();
      source = 'in-cluster service account';
    } else {
      return { ok: false, error: NO_KUBECONFIG };
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
  if (!kc.currentContext) return { ok: false, error: `kubeconfig ${source} has no current-context: pass --context (have: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})` };
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) return { ok: false, error: `kubeconfig ${source}: context "${kc.currentContext}" names no cluster with a server` };
  return { ok: true, kc, source };
}
