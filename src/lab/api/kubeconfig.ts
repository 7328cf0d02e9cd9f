/**
 * The kubeconfig `lab up` writes: one cluster (with the lab CA as certificate-authority-data
 * when the server speaks HTTPS), one user with the bearer token, context `netdiag-lab-<name>`.
 */
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { LabState } from '../model.js';
import { readCaPem } from './tls.js';

/** Name of the lab's kubeconfig context (also its cluster name). */
export function labContextName(state: LabState): string {
  return `netdiag-lab-${state.name}`;
}

/** Writes `state.files.kubeconfig` (mode 0600, it holds the token) and returns its path. */
export async function writeKubeconfig(state: LabState): Promise<string> {
  if (!state.api?.url || !state.api.token) throw new Error('writeKubeconfig: state.api has no url/token yet (start the API server first)');
  const name = labContextName(state);
  const cluster: Record<string, string> = { server: state.api.url };
  if (state.api.url.startsWith('https:')) {
    const ca = await readCaPem(state.dir);
    if (!ca) throw new Error(`writeKubeconfig: ${state.api.url} is HTTPS but the lab has no CA certificate`);
    cluster['certificate-authority-data'] = Buffer.from(ca).toString('base64');
  }
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name: `${name}-admin`, user: { token: state.api.token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  };
  await writeFile(state.files.kubeconfig, stringify(config), { mode: 0o600 });
  return state.files.kubeconfig;
}
