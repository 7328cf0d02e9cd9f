/**
 * The hand-off to the emulated API server (src/lab/api, built separately): start it for a lab
 * whose state file is written, write the kubeconfig, and stop it on `lab down`. Loaded lazily
 * so the data plane works (and its tests run) independently of the API code.
 */
import type { LabState } from './model.js';
import { readLabState } from './state.js';

/** Starts the API server (it records pid/port/token in the state file) and writes the kubeconfig. */
export async function startControlPlane(stateFile: string): Promise<LabState> {
  const { startApiServer } = await import('./api/launch.js');
  const { writeKubeconfig } = await import('./api/kubeconfig.js');
  await startApiServer(stateFile);
  const state = await readLabState(stateFile);
  await writeKubeconfig(state);
  return state;
}

/** Stops the lab's API server if one was started. */
export async function stopControlPlane(state: LabState): Promise<void> {
  if (!state.api?.pid) return;
  const { stopApiServer } = await import('./api/launch.js');
  await stopApiServer(state.api.pid);
}
