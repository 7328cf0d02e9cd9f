/**
 * The view rules get of an EvidenceSet: memoised parsing of each step × target output, the
 * reason a piece of evidence is missing ("no SSH access to node-2"), node identity between
 * inventory targets and Kubernetes Node names, and the CNI in use. Pure: no I/O.
 */
import { parseNodes, type K8sNode } from './parse/k8s.js';
import { parseIpLinks } from './parse/ip-json.js';
import type { CniMode, EvidenceRef, EvidenceSet, NotChecked, StepOutput } from './types.js';
import { clip } from './parse/text.js';

/** Target name of cluster-level steps in the evidence contract. */
export const CLUSTER_TARGET = 'localhost';

/** A parsed output together with where it came from. */
export interface Parsed<T> {
  target: string;
  out: StepOutput;
  value: T;
}

/** Statuses whose stdout is worth parsing (a failed `ethtool` may still have printed output). */
function usable(out: StepOutput | undefined): out is StepOutput {
  return !!out && out.text.trim() !== '' && out.status !== 'unreachable' && out.status !== 'skipped' && out.status !== 'would-run';
}

export class AnalysisContext {
  private readonly cache = new Map<string, unknown>();
  /** Parsed outputs per parser function (identity, not name: inline parsers are anonymous). */
  private readonly parsedCache = new WeakMap<Function, Map<string, unknown>>();

  constructor(readonly evidence: EvidenceSet) {}

  /** Raw output of a step for a target, if any. */
  output(step: string, target = CLUSTER_TARGET): StepOutput | undefined {
    return this.evidence.outputs.get(step)?.get(target);
  }

  /** Parses a step × target output once; undefined when absent or unusable. */
  parsed<T>(step: string, target: string, parser: (text: string) => T): Parsed<T> | undefined {
    const out = this.output(step, target);
    if (!usable(out)) return undefined;
    let byKey = this.parsedCache.get(parser);
    if (!byKey) this.parsedCache.set(parser, (byKey = new Map()));
    const key = `${step}\u0000${target}`;
    if (!byKey.has(key)) byKey.set(key, parser(out.text));
    return { target, out, value: byKey.get(key) as T };
  }

  /** A cluster step's parsed output. */
  cluster<T>(step: string, parser: (text: string) => T): Parsed<T> | undefined {
    return this.parsed(step, CLUSTER_TARGET, parser);
  }

  /**
   * Parses a node step on every node; nodes without usable output become NotChecked entries
   * for `rule` (so a rule never passes silently for a node it could not see).
   */
  perNode<T>(rule: string, step: string, parser: (text: string) => T): { present: Parsed<T>[]; notChecked: NotChecked[] } {
    const present: Parsed<T>[] = [];
    const notChecked: NotChecked[] = [];
    if (this.evidence.nodes.length === 0) {
      notChecked.push({ rule, reason: `not checked: no node targets in this run${this.evidence.outputs.has(step) ? '' : ` (${step} not collected)`}` });
    }
    for (const node of this.evidence.nodes) {
      const p = this.parsed(step, node, parser);
      if (p) present.push(p);
      else notChecked.push({ rule, reason: `not checked on ${node}: ${this.why(step, node)}` });
    }
    return { present, notChecked };
  }

  /** Why a step's output is missing for a target (or for the cluster). */
  why(step: string, target?: string): string {
    const m =
      this.evidence.missing.find((x) => x.step === step && x.target === target) ??
      this.evidence.missing.find((x) => x.step === step && x.target === undefined) ??
      (target ? this.evidence.missing.find((x) => x.target === target && x.kind === 'unreachable') : undefined);
    if (m) return m.reason;
    const out = target ? this.output(step, target) : this.output(step);
    if (out?.status === 'unreachable') return `no SSH access to ${target}${out.error ? ` (${out.error})` : ''}`;
    if (out && out.status !== 'ok') return `step ${step} ${out.status} on ${target ?? CLUSTER_TARGET}${out.error ? `: ${clip(out.error, 120)}` : ''}`;
    if (out) return `step ${step} produced no output on ${target ?? CLUSTER_TARGET}`;
    if (!this.evidence.outputs.has(step)) return `${step} not collected`;
    return `${step} not collected for ${target ?? CLUSTER_TARGET}`;
  }

  /** NotChecked for a cluster step that is missing. */
  missingCluster(rule: string, step: string): NotChecked {
    return { rule, reason: `not checked: ${this.why(step)}` };
  }

  /** Kubernetes Node objects (empty when not collected). */
  k8sNodes(): K8sNode[] {
    return this.cluster('nodes', parseNodes)?.value.items ?? [];
  }

  /** The Node object for an inventory target: same name, else InternalIP = inventory address. */
  k8sNodeOf(target: string): K8sNode | undefined {
    const nodes = this.k8sNodes();
    const addr = this.evidence.nodeAddresses?.[target];
    return nodes.find((n) => n.name === target) ?? (addr ? nodes.find((n) => n.internalIP === addr) : undefined);
  }

  /** Name to show for a target: its Kubernetes node name when known. */
  nodeName(target: string): string {
    return this.k8sNodeOf(target)?.name ?? target;
  }

  /** The inventory target for a Kubernetes node name (identity when they match). */
  targetOf(nodeName: string): string | undefined {
    if (this.evidence.nodes.includes(nodeName)) return nodeName;
    return this.evidence.nodes.find((t) => this.k8sNodeOf(t)?.name === nodeName);
  }

  /** CNI in use: declared, else inferred from configs, pods and tunnel devices. */
  cni(): CniMode | undefined {
    if (this.evidence.cni) return this.evidence.cni;
    if (this.cache.has('cni')) return this.cache.get('cni') as CniMode | undefined;
    let cni: CniMode | undefined;
    const pools = this.output('calico_ippools');
    const pods = this.output('cni_pods');
    if (this.output('flannel_config')?.text.includes('net-conf.json')) cni = 'flannel';
    else if (pools?.status === 'ok' && /IPPool/.test(pools.text) && /"?cidr"?\s*:/.test(pools.text)) cni = 'calico';
    else if (pods && /calico-node/.test(pods.text)) cni = 'calico';
    else if (pods && /flannel/.test(pods.text)) cni = 'flannel';
    else {
      for (const node of this.evidence.nodes) {
        const links = this.parsed('links', node, parseIpLinks)?.value.items ?? [];
        if (links.some((l) => l.ifname === 'vxlan.calico')) cni = 'calico';
        else if (links.some((l) => l.ifname === 'flannel.1')) cni = 'flannel';
        if (cni) break;
      }
    }
    this.cache.set('cni', cni);
    return cni;
  }

  /** Namespace of the CNI's pods (for fix commands), from the collected pods when possible. */
  cniNamespace(): string {
    const text = this.output('cni_pods')?.text ?? '';
    const m = /"?namespace"?\s*:\s*"?(kube-flannel|kube-system|calico-system)"?/.exec(text);
    if (m) return m[1];
    return this.cni() === 'calico' ? 'kube-system' : 'kube-flannel';
  }
}

/** Builds an evidence reference. */
export function cite(out: StepOutput, line: number | undefined, excerpt: string): EvidenceRef {
  return { file: out.file, ...(line !== undefined ? { line } : {}), excerpt: clip(excerpt, 300) };
}
