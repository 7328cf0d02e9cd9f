/**
 * Catalog #6: the VXLAN checksum-offload bug ("63 s delay" for node → ClusterIP with a remote
 * endpoint). Proof: dmesg "UDP: bad checksum … :8472"; supporting: tx-checksum-ip-generic on
 * for the tunnel device (`ethtool -k`).
 */
import { cite } from '../context.js';
import { parseEthtoolFeatures } from '../parse/ethtool.js';
import { matchLog } from '../parse/logs.js';
import type { Finding } from '../types.js';
import { overlay } from './fixes.js';
import { finding, type Rule, type RuleOutput } from './rule.js';

export const checksumOffloadRule: Rule = {
  id: 'vxlan-checksum-offload',
  catalog: [6],
  run(ctx): RuleOutput {
    const { present, notChecked } = ctx.perNode('vxlan-checksum-offload', 'dmesg', (t) => matchLog(t, ['udp-bad-checksum']));
    const dev = overlay(ctx).device;
    const findings: Finding[] = [];
    for (const { target, out, value } of present) {
      if (!value.length) continue;
      const node = ctx.nodeName(target);
      const eth = ctx.parsed('ethtool_tunnel', target, parseEthtoolFeatures);
      const tx = eth?.value.features.get('tx-checksum-ip-generic');
      findings.push(
        finding({
          id: 'vxlan-checksum-offload',
          catalog: 6,
          severity: 'high',
          title: `VXLAN packets with bad UDP checksums on ${node} (checksum-offload bug)`,
          summary: `The kernel drops tunnel packets with bad checksums on ${node}: node/NodePort → ClusterIP with a remote endpoint takes ~63 s or times out, pod IPs work.`,
          nodes: [node],
          evidence: [cite(out, value[0].line, value[0].text), ...(tx?.on && eth ? [cite(eth.out, tx.line, tx.raw)] : [])],
          fix: [`on ${node}: ethtool -K ${dev} tx-checksum-ip-generic off   # runtime only; persist via a udev rule or flannel ≥ 0.13.1`, 'upgrade kube-proxy ≥ 1.19 / kernel ≥ 5.7 (kubernetes#88986)'],
          rootCause: true,
          confidence: tx?.on ? 'high' : 'medium',
          remediable: true,
        }),
      );
    }
    // dmesg is often not readable (dmesg_restrict); that is a gap, not a pass.
    return { findings, notChecked };
  },
};
