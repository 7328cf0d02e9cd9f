/**
 * The handler table: one loader per step kind. Its type makes a step kind without a handler a
 * compile error. Handlers are imported only for the kinds a plan uses: the capture and probe
 * handlers pull in the pcap decoder and the Kubernetes client, which an SSH-only plan never needs.
 */
import type { Handler, HandlerTable } from '../engine/types.js';
import type { Step, StepKind } from '../plan/types.js';

type Loaders = { [K in StepKind]: () => Promise<Handler<Extract<Step, { kind: K }>>> };

const LOADERS: Loaders = {
  ssh: async () => (await import('./ssh/handler.js')).sshHandler,
  local: async () => (await import('./local/handler.js')).localHandler,
  kubectl: async () => (await import('./kubectl/handler.js')).kubectlHandler,
  k8s: async () => (await import('./k8s/handler.js')).k8sHandler,
  probe: async () => (await import('./probe/handler.js')).probeHandler,
  capture: async () => (await import('./capture/handler.js')).captureHandler,
};

/** The handlers for the given step kinds; other kinds are absent (the runner never asks for them). */
export async function loadHandlers(kinds: Iterable<StepKind>): Promise<HandlerTable> {
  const table: Partial<Record<StepKind, unknown>> = {};
  await Promise.all([...new Set(kinds)].map(async (kind) => (table[kind] = await LOADERS[kind]())));
  return table as HandlerTable;
}
