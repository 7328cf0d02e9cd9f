/**
 * Node sysctl rules: #3 ip_forward off, #4 bridge-nf-call-iptables absent/0, #13 conntrack
 * table nearly full, #24 strict rp_filter on tunnel/pod interfaces. All read the `sysctls` step
 * (plus kube-proxy logs / dmesg for the log signatures of #4 and #13).
 */
import { cite } from '../context.js';
import { matchLog } from '../parse/logs.js';
import { parseSysctl, perInterface, sysctlNumber } from '../parse/sysctl.js';
import type { Finding } from '../types.js';
import { overlay, persistSysctl } from './fixes.js';
import { finding, type Rule, type RuleOutput } from './rule.js';

export const ipForwardRule: Rule = {
  id: 'ip-forward',
  catalog: [3],
  run(ctx): RuleOutput {
    const { present, notChecked } = ctx.perNode('ip-forward', 'sysctls', parseSysctl);
    const findings: Finding[] = [];
    for (const { target, out, value } of present) {
      const v = value.values.get('net.ipv4.ip_forward');
      if (!v) {
        notChecked.push({ rule: 'ip-forward', reason: `not checked on ${target}: net.ipv4.ip_forward missing from ${out.file}` });
        continue;
      }
      if (v.value.trim() !== '0') continue;
      const node = ctx.nodeName(target);
      findings.push(
        finding({
          id: 'ip-forward-disabled',
          catalog: 3,
          severity: 'critical',
          title: `IP forwarding is off on ${node}`,
          summary: `net.ipv4.ip_forward = 0 on ${node}: the kernel does not route between cni0 and the overlay/uplink, so cross-node pod traffic and pod→internet from or to ${node} fail while same-node traffic works.`,
          nodes: [node],
          evidence: [cite(out, v.line, v.raw)],
          fix: [...persistSysctl('net.ipv4.ip_forward', 1).map((c) => `on ${node}: ${c}`)],
          rootCause: true,
          remediable: true,
        }),
      );
    }
    return { findings, notChecked };
  },
};

export const brNetfilterRule: Rule = {
  id: 'br-netfilter',
  catalog: [4],
  run(ctx): RuleOutput {
    const { present, notChecked } = ctx.perNode('br-netfilter', 'sysctls', parseSysctl);
    const findings: Finding[] = [];
    const key = 'net.bridge.bridge-nf-call-iptables';
    const logs = ctx.cluster('kube_proxy_logs', (t) => matchLog(t, ['kube-proxy-br-netfilter']));
    for (const { target, out, value } of present) {
      const v = value.values.get(key);
      const absent = value.absent.get(key);
      // `sysctl -e` hides "cannot stat": a key missing from the output is absent too.
      const missing = !v;
      if (v && v.value.trim() !== '0') continue;
      const node = ctx.nodeName(target);
      const evidence = [cite(out, v?.line ?? absent?.line, v?.raw ?? absent?.raw ?? `${key} not present (br_netfilter not loaded)`)];
      if (logs?.value.length) evidence.push(cite(logs.out, logs.value[0].line, logs.value[0].text));
      findings.push(
        finding({
          id: 'br-netfilter-missing',
          catalog: 4,
          severity: 'high',
          title: `Bridged pod traffic bypasses iptables on ${node} (${missing ? 'br_netfilter not loaded' : `${key} = 0`})`,
          summary: `Without bridge-nf-call-iptables, packets between pods on ${node}'s cni0 skip kube-proxy's DNAT replies: pod→ClusterIP fails when the endpoint is on the same node.`,
          nodes: [node],
          evidence,
          fix: [`on ${node}: modprobe br_netfilter && echo br_netfilter > /etc/modules-load.d/k8s.conf`, ...persistSysctl(key, 1).map((c) => `on ${node}: ${c}`)],
          rootCause: true,
          confidence: missing && !absent ? 'medium' : 'high',
          remediable: true,
        }),
      );
    }
    return { findings, notChecked };
  },
};

export const conntrackRule: Rule = {
  id: 'conntrack-full',
  catalog: [13],
  run(ctx): RuleOutput {
    const { present, notChecked } = ctx.perNode('conntrack-full', 'sysctls', parseSysctl);
    const findings: Finding[] = [];
    for (const { target, out, value } of present) {
      const count = sysctlNumber(value, 'net.netfilter.nf_conntrack_count');
      const max = sysctlNumber(value, 'net.netfilter.nf_conntrack_max');
      const dmesg = ctx.parsed('dmesg', target, (t) => matchLog(t, ['conntrack-table-full']));
      const full = count !== undefined && max !== undefined && max > 0 && count >= 0.9 * max;
      if (!full && !dmesg?.value.length) continue;
      const node = ctx.nodeName(target);
      const evidence = [];
      if (full) evidence.push(cite(out, value.values.get('net.netfilter.nf_conntrack_count')!.line, `nf_conntrack_count = ${count} of max ${max}`));
      if (dmesg?.value.length) evidence.push(cite(dmesg.out, dmesg.value[0].line, dmesg.value[0].text));
      findings.push(
        finding({
          id: 'conntrack-table-full',
          catalog: 13,
          severity: 'high',
          title: `conntrack table ${full ? `at ${Math.round((100 * count!) / max!)}%` : 'full'} on ${node}`,
          summary: `New connections through ${node} are dropped at random once the conntrack table is full.`,
          nodes: [node],
          evidence,
          fix: [`on ${node}: sysctl -w net.netfilter.nf_conntrack_max=${Math.max(2 * (max ?? 131072), 262144)} (and kube-proxy conntrack.maxPerCore)`, `on ${node}: conntrack -S  # look for drop/insert_failed`],
          rootCause: true,
          confidence: dmesg?.value.length ? 'high' : 'medium',
        }),
      );
    }
    return { findings, notChecked };
  },
};

export const rpFilterRule: Rule = {
  id: 'rp-filter',
  catalog: [24],
  run(ctx): RuleOutput {
    const { present, notChecked } = ctx.perNode('rp-filter', 'sysctls', parseSysctl);
    const findings: Finding[] = [];
    const tunnel = overlay(ctx).device;
    for (const { target, out, value } of present) {
      const all = sysctlNumber(value, 'net.ipv4.conf.all.rp_filter') ?? 0;
      // The kernel uses max(all, <iface>) for each interface.
      const strict = perInterface(value, 'rp_filter').filter(
        ({ iface, value: v }) => (iface === tunnel || iface === 'cni0' || iface.startsWith('cali') || iface === 'tunl0') && Math.max(all, Number(v.value)) === 1,
      );
      if (strict.length === 0) continue;
      const node = ctx.nodeName(target);
      findings.push(
        finding({
          id: 'rp-filter-strict',
          catalog: 24,
          severity: 'low',
          title: `Strict reverse-path filtering on ${strict.map((s) => s.iface).join(', ')} on ${node}`,
          summary: 'rp_filter=1 on tunnel/pod interfaces drops asymmetrically routed pod traffic (Cilium pod→off-node, old Calico felix).',
          nodes: [node],
          evidence: strict.map((s) => cite(out, s.value.line, s.value.raw)),
          fix: strict.map((s) => `on ${node}: sysctl -w net.ipv4.conf.${s.iface.replace(/\./g, '/')}.rp_filter=2 (loose)${all === 1 ? ' and net.ipv4.conf.all.rp_filter=2' : ''}`),
          rootCause: true,
          confidence: 'low',
        }),
      );
    }
    return { findings, notChecked };
  },
};
