/**
 * Parser tests on REAL command outputs: test/fixtures/evidence/netns/ comes from throwaway
 * namespaces (capture.sh: node "a" healthy, node "b" with the faults), lab/ from lab runs
 * (capture-lab.mjs). MACs change on every capture, so expectations cross-check files against
 * each other instead of hard-coding them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFlannelConfig, parseIPPools } from '../../src/analyze/parse/cni-config.js';
import { parseConnectivityMatrix } from '../../src/analyze/parse/connectivity.js';
import { parseEthtoolFeatures } from '../../src/analyze/parse/ethtool.js';
import { chainRules, parseIptablesSave, reachableChains, ruleMatchesPort, tokenize } from '../../src/analyze/parse/iptables.js';
import { parseBridgeFdb, parseIpAddrs, parseIpLinks, parseIpNeigh, parseIpRoutes } from '../../src/analyze/parse/ip-json.js';
import { parseIpText } from '../../src/analyze/parse/ip-text.js';
import { cidrContains, cidrOverlaps, cidrWithin, networkAddress, parseCidr } from '../../src/analyze/parse/ipv4.js';
import { parseEndpointSlices, parseEvents, parseNodes, parsePods, parseServices } from '../../src/analyze/parse/k8s.js';
import { matchLog, parseResolvConf } from '../../src/analyze/parse/logs.js';
import { parseSysctl, perInterface } from '../../src/analyze/parse/sysctl.js';

const dir = path.resolve(import.meta.dirname, '../fixtures/evidence');
const netns = (f: string) => readFileSync(path.join(dir, 'netns', f), 'utf8');
const lab = (scenario: string, f: string) => readFileSync(path.join(dir, 'lab', scenario, f), 'utf8');
const flannelMac = (node: 'a' | 'b') => parseIpLinks(netns(`links-${node}.json`)).items.find((l) => l.ifname === 'flannel.1')!.address!;

describe('iptables-save', () => {
  it('keeps tables, chain policies and user chains of a real nat table', () => {
    const s = parseIptablesSave(netns('iptables-nat-a.txt'));
    const nat = s.tables.get('nat')!;
    expect([...s.tables.keys()]).toEqual(['nat']);
    expect(nat.chains.get('POSTROUTING')!.policy).toBe('ACCEPT');
    expect(nat.chains.get('KUBE-SERVICES')!.policy).toBe('-');
    expect(s.unparsed).toEqual([]);
  });

  it('splits a kube-proxy service rule into its options and keeps its line', () => {
    const s = parseIptablesSave(netns('iptables-nat-a.txt'));
    const rule = chainRules(s, 'nat', 'KUBE-SERVICES').find((r) => r.target?.startsWith('KUBE-SVC-'))!;
    expect(rule).toMatchObject({ destination: '198.18.250.10/32', protocol: 'udp', dports: ['53'], comment: 'kube-system/kube-dns:dns cluster IP' });
    // The line number points at that very rule in the file.
    expect(netns('iptables-nat-a.txt').split('\n')[rule.line - 1]).toBe(rule.raw);
    const masq = chainRules(s, 'nat', 'KUBE-SVC-TCOU7JCQXEZGVUNU')[0];
    expect(masq.sourceNegated).toBe(true);
    expect(masq.source).toBe('198.19.0.0/16');
  });

  it('finds the VXLAN DROP and REJECT of the faulty node and its FORWARD DROP policy', () => {
    const s = parseIptablesSave(netns('iptables-filter-b.txt'));
    const input = chainRules(s, 'filter', 'INPUT');
    expect(input.filter((r) => ruleMatchesPort(r, 8472)).map((r) => r.target)).toEqual(['DROP']);
    expect(input.filter((r) => ruleMatchesPort(r, 4789)).map((r) => r.target)).toEqual(['REJECT']);
    expect(s.tables.get('filter')!.chains.get('FORWARD')!.policy).toBe('DROP');
    expect(reachableChains(s, 'filter', 'FORWARD')).toEqual(['FORWARD', 'KUBE-SERVICES']);
    const healthy = parseIptablesSave(netns('iptables-filter-a.txt'));
    expect(reachableChains(healthy, 'filter', 'FORWARD').sort()).toEqual(['FLANNEL-FWD', 'FORWARD', 'KUBE-FORWARD']);
  });

  it('reads counters of `iptables-save -c` and port ranges', () => {
    const s = parseIptablesSave('*filter\n:INPUT DROP [12:3400]\n[5:300] -A INPUT -p udp -m multiport --dports 4000:9000,53 -j ACCEPT\nCOMMIT\n');
    const r = chainRules(s, 'filter', 'INPUT')[0];
    expect(s.tables.get('filter')!.chains.get('INPUT')!.counters).toEqual({ packets: 12, bytes: 3400 });
    expect(r.counters).toEqual({ packets: 5, bytes: 300 });
    expect([ruleMatchesPort(r, 8472), ruleMatchesPort(r, 53), ruleMatchesPort(r, 9001)]).toEqual([true, true, false]);
  });

  it('tokenises quoted comments with escaped quotes', () => {
    expect(tokenize('-A X -m comment --comment "a \\"b\\" c" -j DROP')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'a "b" c', '-j', 'DROP']);
  });
});

describe('ip -j / bridge -j', () => {
  it('reads VXLAN parameters and MTUs from `ip -d -j link`', () => {
    const links = parseIpLinks(netns('links-b.json'));
    const f = links.items.find((l) => l.ifname === 'flannel.1')!;
    expect(f.kind).toBe('vxlan');
    expect(f.vxlan).toEqual({ vni: 1, local: '198.18.240.12', port: 8472, dev: 'eth0', learning: false });
    expect(f.mtu).toBe(1450);
    expect(links.items.find((l) => l.ifname === 'eth0')!.mtu).toBe(1400);
    expect(links.items.find((l) => l.ifname === 'cni0')!.kind).toBe('bridge');
  });

  it('reads addresses, onlink routes, permanent neighbours and VXLAN FDB entries', () => {
    const cni0 = parseIpAddrs(netns('addrs-b.json')).items.find((i) => i.ifname === 'cni0')!;
    expect(cni0.addresses.filter((a) => a.family === 'inet')).toEqual([{ family: 'inet', local: '198.19.9.1', prefixlen: 24 }]);
    const route = parseIpRoutes(netns('routes-a.json')).items.find((r) => r.dst === '198.19.2.0/24')!;
    expect(route).toMatchObject({ gateway: '198.19.2.0', dev: 'flannel.1', flags: ['onlink'] });
    const neigh = parseIpNeigh(netns('neigh-a.json')).items.find((n) => n.dev === 'flannel.1')!;
    expect(neigh.state).toEqual(['PERMANENT']);
    expect(neigh.lladdr).toBe(flannelMac('b'));
    const fdbA = parseBridgeFdb(netns('fdb-a.json')).items.filter((e) => e.dev === 'flannel.1');
    expect(fdbA.map((e) => [e.mac, e.dst])).toEqual([[flannelMac('b'), '198.18.240.12']]);
    // node b was built without its FDB entry for a (fdb-missing).
    expect(parseBridgeFdb(netns('fdb-b.json')).items.filter((e) => e.dev === 'flannel.1')).toEqual([]);
  });

  it('reports non-JSON input as an error instead of throwing', () => {
    expect(parseIpLinks('Device "flannel.1" does not exist.').error).toBe('not a JSON array');
    expect(parseIpRoutes('').error).toBe('empty output');
    expect(parseIpNeigh('[{"dst":').error).toMatch(/invalid JSON/);
  });

  it('reads the text form of `ip -d link show flannel.1; ip addr show cni0`', () => {
    const [flannel, cni0] = parseIpText(netns('flannel-interfaces-b.txt'));
    expect(flannel).toMatchObject({ ifname: 'flannel.1', mtu: 1450, mac: flannelMac('b') });
    expect(flannel.vxlan).toMatchObject({ vni: 1, local: '198.18.240.12', dev: 'eth0', port: 8472, line: 3 });
    expect(cni0.inet).toEqual([{ address: '198.19.9.1/24', line: 6 }]);
  });
});

describe('sysctl, ethtool, logs', () => {
  it('reads values, per-interface keys and `cannot stat` as absent', () => {
    const a = parseSysctl(netns('sysctls-a.txt'));
    const b = parseSysctl(netns('sysctls-b.txt'));
    expect([a.values.get('net.ipv4.ip_forward')!.value, b.values.get('net.ipv4.ip_forward')!.value]).toEqual(['1', '0']);
    expect(b.values.get('net.ipv4.ip_forward')!.line).toBe(1);
    expect(perInterface(a, 'rp_filter').map((x) => x.iface).sort()).toEqual(['all', 'cni0', 'default', 'flannel.1']);
    const missing = parseSysctl(netns('sysctl-missing.txt'));
    expect([...missing.absent.keys()]).toEqual(['net.ipv4.conf.ndtan-none.rp_filter']);
    expect(missing.values.has('net.ipv4.conf.ndtan-none.rp_filter')).toBe(false);
  });

  it('reads ethtool feature flags including fixed ones', () => {
    const e = parseEthtoolFeatures(netns('ethtool-a.txt'));
    expect(e.device).toBe('flannel.1');
    expect(e.features.get('tx-checksum-ip-generic')).toMatchObject({ on: true, fixed: false });
    expect(e.features.get('tx-checksum-ipv4')).toMatchObject({ on: false, fixed: true });
  });

  it('matches the CoreDNS loop and kube-proxy conntrack signatures in lab logs', () => {
    const dns = matchLog(lab('coredns-down', 'coredns-logs.txt'), ['coredns-loop']);
    expect(dns.length).toBeGreaterThan(0);
    expect(dns[0].text).toContain('plugin/loop: Loop');
    expect(matchLog(lab('healthy', 'coredns-logs.txt'))).toEqual([]);
    const kp = matchLog(lab('kube-proxy-crashloop', 'kube-proxy-logs.txt'), ['kube-proxy-conntrack-permission']);
    expect(kp.some((m) => m.text.includes('permission denied'))).toBe(true);
    expect(parseResolvConf('search x\nnameserver 127.0.0.53\n').nameservers).toEqual([{ address: '127.0.0.53', line: 2 }]);
  });
});

describe('Kubernetes objects from the lab API', () => {
  it('reads nodes with podCIDR, InternalIP and the flannel VtepMAC matching the real device', () => {
    const nodes = parseNodes(lab('healthy', 'nodes.json')).items;
    expect(nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    for (const n of nodes) {
      const dev = parseIpLinks(lab('healthy', `links-${n.name}.txt`)).items.find((l) => l.ifname === 'flannel.1')!;
      expect(n.vtepMac).toBe(dev.address);
      expect(n.publicIP).toBe(n.internalIP);
      expect(dev.vxlan!.local).toBe(n.internalIP);
      expect(n.podCIDR && cidrContains(parseCidr(n.podCIDR)!, networkAddress(parseCidr(n.podCIDR)!))).toBe(true);
    }
  });

  it('reads pod status: CrashLoopBackOff with restarts on the broken node only', () => {
    const pods = parsePods(lab('kube-proxy-crashloop', 'kube-proxy-pods.json')).items;
    const crashing = pods.filter((p) => p.containers.some((c) => c.waitingReason === 'CrashLoopBackOff'));
    expect(crashing.map((p) => p.nodeName)).toEqual(['node-2']);
    expect(crashing[0].containers[0].restartCount).toBeGreaterThan(0);
    expect(crashing[0].line).toBeGreaterThan(1);
  });

  it('reads events, services, endpoint slices, net-conf.json and IPPools', () => {
    const ev = parseEvents(lab('cni0-wrong-ip', 'kube-system-events.json')).items.find((e) => e.reason === 'FailedCreatePodSandBox')!;
    expect(ev.message).toContain('already has an IP address different from');
    expect(ev.host).toBe('node-3');
    const dns = parseServices(lab('healthy', 'services.json')).items.find((s) => s.name === 'kube-dns')!;
    expect(dns).toMatchObject({ namespace: 'kube-system', clusterIP: '198.18.250.10', selector: { 'k8s-app': 'kube-dns' } });
    const slices = parseEndpointSlices(lab('healthy', 'endpointslices.json')).items.filter((s) => s.service === 'kube-dns');
    expect(slices.flatMap((s) => s.endpoints).some((e) => e.ready)).toBe(true);
    const conf = parseFlannelConfig(lab('healthy', 'flannel-config.json')).conf!;
    expect(conf).toMatchObject({ network: '198.19.0.0/16', backendType: 'vxlan', port: 8472, vni: 1 });
    expect(parseIPPools(lab('calico-never', 'calico-ippools.json')).items[0]).toMatchObject({ vxlanMode: 'Never', ipipMode: 'Never' });
    expect(parseIPPools(lab('calico-crosssubnet', 'calico-ippools.json')).items[0].vxlanMode).toBe('CrossSubnet');
    expect(parseNodes('error: the server does not have a resource').error).toBeDefined();
  });
});

describe('connectivity matrix and CIDR math', () => {
  it('parses the matrix and drops malformed results', () => {
    const m = parseConnectivityMatrix(lab('vxlan-blocked', 'connectivity-matrix.json'));
    expect(m.dropped).toBe(0);
    const failing = m.matrix!.results.filter((r) => r.test === 'pod-pod' && !r.ok);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((r) => r.fromNode === 'node-3' || r.toNode === 'node-3')).toBe(true);
    const bad = parseConnectivityMatrix('{"pods":[],"results":[{"test":"bogus"},{"test":"pod-pod","from":"a","fromNode":"n1","to":"b","toNode":"n1","ok":true}]}');
    expect(bad.dropped).toBe(1);
    expect(bad.matrix!.results[0].sameNode).toBe(true);
    expect(parseConnectivityMatrix('nope').error).toMatch(/not JSON/);
  });

  it('answers containment and overlap questions', () => {
    const net = parseCidr('198.19.0.0/16')!;
    expect(cidrWithin(parseCidr('198.19.3.0/24')!, net)).toBe(true);
    expect(cidrWithin(parseCidr('10.244.3.0/24')!, net)).toBe(false);
    expect(cidrOverlaps(parseCidr('198.19.3.0/24')!, parseCidr('198.19.3.128/25')!)).toBe(true);
    expect(cidrContains(parseCidr('198.19.3.0/24')!, '198.19.254.1')).toBe(false);
    expect(parseCidr('300.1.1.1/24')).toBeUndefined();
  });
});
