/**
 * The handler table: one entry per step kind. Its type (HandlerTable) makes a step kind
 * without a handler a compile error.
 */
import type { HandlerTable } from '../engine/types.js';
import { kubectlHandler } from './kubectl/handler.js';
import { localHandler } from './local/handler.js';
import { sshHandler } from './ssh/handler.js';
import { k8sHandler } from './k8s/handler.js';
import { probeHandler } from './probe/handler.js';
import { unavailable } from './unavailable.js';
import { captureHandler } from './capture/handler.js';

export const handlers: HandlerTable = {
  ssh: sshHandler,
  local: localHandler,
  kubectl: kubectlHandler,
  k8s: k8sHandler,
  probe: probeHandler,
  capture: captureHandler,
};
