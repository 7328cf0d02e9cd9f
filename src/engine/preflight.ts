/**
 * RBAC preflight: before anything runs, ask the API server (SelfSubjectAccessReview) whether the
 * kubeconfig's user may do what each `k8s:` / `probe:` step needs, so a missing permission is
 * reported up front as "skipped: no permission: …" instead of a surprise 403 half-way through.
 * Checks that cannot be made (templated namespace, unknown resource, API server down) become
 * notes; the steps then run and report their own errors.
 */
import type { K8sOperation, Step } from '../plan/types.js';
import { kubeErrorMessage, type KubeSession } from '../transport/kube-session.js';
import { opName, splitTarget } from '../steps/k8s/operation.js';
import { renderText, templateContext } from '../plan/template.js';
import { DEFAULT_PROBE_NAMESPACE } from '../steps/probe/deploy.js';

/** One access check: what a SelfSubjectAccessReview's resourceAttributes hold. */
export interface AccessCheck {
  verb: string;
  /** As users write it (`pods`, `ds`, `ippools.crd.projectcalico.org`); resolved via discovery. */
  resource: string;
  subresource?: string;
  /** Undefined = cluster-wide (all namespaces, or a cluster-scoped resource). */
  namespace?: string;
}

export interface PreflightResult {
  /** Step id → why it will be skipped ("no permission: cannot list pods in namespace x"). */
  denied: Map<string, string>;
  /** What could not be checked, or general remarks for the run log. */
  notes: string[];
}

export interface PreflightOptions {
  /** Renders a step's templated text (`namespace: "{{vars.ns}}"`); text still templated is not checked. */
  renderText?: (step: Step, text: string) => string;
  signal?: AbortSignal;
}

const isTemplated = (s: string | undefined) => s !== undefined && s.includes('{{');

/** The checks a `k8s:` operation needs, mirroring what steps/k8s sends. */
export function k8sChecks(op: K8sOperation): AccessCheck[] {
  const ns = op.namespace ?? 'default';
  const scope = op.allNamespaces ? undefined : ns;
  switch (opName(op)) {
    case 'list':
      return [{ verb: 'list', resource: op.list!, namespace: scope }];
    case 'get':
      return [{ verb: 'get', resource: op.get!, namespace: ns }];
    case 'events':
      return [{ verb: 'list', resource: 'events', namespace: scope }];
    case 'logs':
      return [typeof op.logs === 'string' ? { verb: 'get', resource: 'pods', namespace: ns } : { verb: 'list', resource: 'pods', namespace: scope }, { verb: 'get', resource: 'pods', subresource: 'log', namespace: scope }];
    case 'exec':
      return [...(op.pod || op.name ? [] : [{ verb: 'list', resource: 'pods', namespace: ns }]), { verb: 'create', resource: 'pods', subresource: 'exec', namespace: ns }];
    case 'rolloutRestart':
      return [{ verb: 'patch', resource: splitTarget(op.rolloutRestart!)[0], namespace: ns }];
    case 'patch':
      return [{ verb: 'patch', resource: splitTarget(op.patch!.target)[0], namespace: ns }];
    case 'delete':
      return [{ verb: 'delete', resource: splitTarget(op.delete!)[0], namespace: ns }];
    case 'apply': {
      const docs = (Array.isArray(op.apply) ? op.apply : [op.apply]) as { apiVersion?: string; kind?: string; metadata?: { namespace?: string } }[];
      return docs.flatMap((d) => {
        if (!d?.kind || !d.apiVersion) return [];
        const group = d.apiVersion.includes('/') ? d.apiVersion.split('/')[0] : '';
        const resource = group ? `${d.kind}.${group}` : d.kind;
        const namespace = d.metadata?.namespace ?? ns;
        // create it, and delete it again at the end of the run
        return [{ verb: 'create', resource, namespace }, { verb: 'delete', resource, namespace }];
      });
    }
  }
}

/** The checks a step needs (none for kinds that do not talk to the API themselves). */
export function stepChecks(step: Step): AccessCheck[] {
  if (step.kind === 'k8s') return k8sChecks(step.k8s);
  if (step.kind === 'probe') {
    const ns = step.probe.namespace;
    return [
      { verb: 'list', resource: 'pods', namespace: ns },
      { verb: 'list', resource: 'nodes' },
      { verb: 'list', resource: 'services', namespace: ns },
      { verb: 'create', resource: 'pods', subresource: 'exec', namespace: ns },
      ...(step.probe.deploy ? ['create', 'delete'].map((verb) => ({ verb, resource: 'daemonsets.apps', namespace: ns ?? DEFAULT_PROBE_NAMESPACE })) : []),
    ];
  }
  return [];
}

/** "list pods in namespace kube-system" / "create pods/exec cluster-wide". */
export function describeCheck(c: AccessCheck): string {
  return `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ''} ${c.namespace ? `in namespace ${c.namespace}` : 'cluster-wide'}`;
}

/** Asks the server about one check: allowed or not (with the resource as RBAC names it), or why it cannot say. */
async function review(session: KubeSession, c: AccessCheck, signal?: AbortSignal): Promise<{ allowed: boolean; what: string } | { error: string }> {
  try {
    const r = await session.resolve(c.resource, signal);
    const namespace = r.namespaced ? c.namespace : undefined;
    const body = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: c.verb, group: r.group, resource: r.plural, subresource: c.subresource, namespace } },
    };
    const answer = await session.request('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { method: 'POST', body, signal });
    const what = describeCheck({ ...c, resource: r.group ? `${r.plural}.${r.group}` : r.plural, namespace });
    return { allowed: answer?.status?.allowed === true, what };
  } catch (err) {
    return { error: kubeErrorMessage(err) };
  }
}

/**
 * Checks every step's needs (each distinct check once). A step is denied when the server says
 * no to any of its checks; the reason lists what is missing.
 */
export async function preflightKube(steps: Step[], session: KubeSession, opts: PreflightOptions = {}): Promise<PreflightResult> {
  const denied = new Map<string, string>();
  const notes: string[] = [];
  const answers = new Map<string, ReturnType<typeof review>>();
  const ask = (c: AccessCheck) => {
    const key = JSON.stringify([c.verb, c.resource, c.subresource, c.namespace]);
    let p = answers.get(key);
    if (!p) answers.set(key, (p = review(session, c, opts.signal)));
    return p;
  };
  // Sequential per step, so an unreachable server costs one failed request, not one per check.
  for (const step of steps) {
    try {
      session.assertReachable();
    } catch (err) {
      notes.push(`RBAC preflight stopped: ${kubeErrorMessage(err)}`);
      break;
    }
    let checks: AccessCheck[];
    try {
      checks = stepChecks(step).map((c) => ({ ...c, resource: render(step, c.resource, opts), namespace: c.namespace === undefined ? undefined : render(step, c.namespace, opts) }));
    } catch (err) {
      notes.push(`${step.id}: permissions not checked: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    const missing: string[] = [];
    for (const c of checks) {
      if (session.isUnreachable) break;
      if (isTemplated(c.resource) || isTemplated(c.namespace)) {
        notes.push(`${step.id}: "${describeCheck(c)}" not checked (templated value)`);
        continue;
      }
      const answer = await ask(c);
      if ('error' in answer) notes.push(`${step.id}: "${describeCheck(c)}" not checked: ${answer.error}`);
      else if (!answer.allowed) missing.push(answer.what);
    }
    if (missing.length) denied.set(step.id, `no permission: cannot ${missing.join(', ')}`);
  }
  return { denied, notes: [...new Set(notes)] };
}

function render(step: Step, text: string, opts: PreflightOptions): string {
  return opts.renderText && isTemplated(text) ? opts.renderText(step, text) : text;
}

/** Templates a preflight can render before the run: ones that only read plan/extra vars. */
function varsRenderer(vars: Record<string, unknown>): (step: Step, text: string) => string {
  return (step, text) => {
    if (/\b(registered|facts|host|run)\b/.test(text)) return text; // known only during the run
    try {
      return renderText(text, templateContext({ vars, step: { id: step.id, name: step.name } }));
    } catch {
      return text;
    }
  };
}

/**
 * The run's preflight in one call: checks the API steps that will really run (remediation
 * steps are left out under --check), with `vars` templates rendered. Without a usable
 * kubeconfig it checks nothing: those steps report the kubeconfig problem themselves.
 */
export async function preflightRun(
  steps: Step[],
  kube: { session(): Promise<KubeSession | { error: string }> },
  opts: { vars: Record<string, unknown>; check: boolean; signal?: AbortSignal },
): Promise<PreflightResult> {
  const apiSteps = steps.filter((s) => (s.kind === 'k8s' || s.kind === 'probe') && !(opts.check && s.remediation));
  if (apiSteps.length === 0) return { denied: new Map(), notes: [] };
  const session = await kube.session();
  if ('error' in session) return { denied: new Map(), notes: [] };
  return preflightKube(apiSteps, session, { renderText: varsRenderer(opts.vars), signal: opts.signal });
}
