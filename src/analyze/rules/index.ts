/** Every rule analyze() runs, in catalog order (order does not affect ranking). */
import { calicoEncapRule } from './calico-encap.js';
import { checksumOffloadRule } from './checksum-offload.js';
import { corednsRule } from './coredns.js';
import { forwardDropRule } from './forward-drop.js';
import { kubeProxyCrashRule, serviceProgrammingRule } from './kube-proxy.js';
import { matrixSymptomsRule } from './matrix-symptoms.js';
import { mtuRule } from './mtu.js';
import { overlayBlockedRule } from './overlay-blocked.js';
import { cni0AddressRule, podCidrRule } from './pod-cidr.js';
import type { Rule } from './rule.js';
import { brNetfilterRule, conntrackRule, ipForwardRule, rpFilterRule } from './sysctls.js';
import { vtepEndpointRule } from './vtep-endpoint.js';
import { vxlanEntriesRule } from './vxlan-entries.js';

export const RULES: readonly Rule[] = [
  matrixSymptomsRule,
  overlayBlockedRule, // 1
  forwardDropRule, // 2
  ipForwardRule, // 3
  brNetfilterRule, // 4
  mtuRule, // 5
  checksumOffloadRule, // 6
  vtepEndpointRule, // 7
  vxlanEntriesRule, // 8
  podCidrRule, // 9
  cni0AddressRule, // 10
  conntrackRule, // 13
  kubeProxyCrashRule, // 15
  serviceProgrammingRule, // 16
  corednsRule, // 18, 19
  calicoEncapRule, // 23
  rpFilterRule, // 24
];

export type { Rule, RuleOutput } from './rule.js';
