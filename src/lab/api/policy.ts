/**
 * The lab's RBAC knob. Everything is allowed for the lab token unless a deny rule matches; rules
 * come from `--deny`, the NETDIAG_LAB_API_DENY environment variable and `<labDir>/api-policy.json`
 * (`{"deny": ["create:pods/exec", "patch:daemonsets.apps"]}`, re-read when it changes) so tests
 * can exercise netdiag's RBAC preflight and run-time 403 handling against a live server.
 *
 * Rule syntax: `<verb|*>:<resource>[.<group>][/<subresource>]`, e.g. `list:pods`,
 * `*:ippools.crd.projectcalico.org`, `create:pods/exec`.
 */
import { readFile, stat } from 'node:fs/promises';
import { forbidden, type ApiError } from './status.js';

/** The user the lab token authenticates as (appears in Forbidden messages). */
export const LAB_USER = 'netdiag-lab-admin';

/** What a request asks to do, as the real authorizer sees it. */
export interface RequestAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

interface DenyRule {
  verb: string;
  resource: string;
  group: string;
  subresource?: string;
}

/** Parses one deny rule; undefined when malformed (ignored, with a log line). */
export function parseDenyRule(text: string): DenyRule | undefined {
  const m = /^([a-z*]+):([a-z0-9*-]+)((?:\.[a-z0-9-]+)*)(?:\/([a-z*]+))?$/.exec(text.trim());
  if (!m) return undefined;
  return { verb: m[1], resource: m[2], group: m[3] ? m[3].slice(1) : '', subresource: m[4] };
}

function matches(rule: DenyRule, a: RequestAttributes): boolean {
  return (
    (rule.verb === '*' || rule.verb === a.verb) &&
    (rule.resource === '*' || rule.resource === a.resource) &&
    (rule.resource === '*' || rule.group === a.group) &&
    (rule.subresource ?? '') === (a.subresource ?? '')
  );
}

/** The message the real server writes for a denied request. */
export function forbiddenError(a: RequestAttributes): ApiError {
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const subject = a.name ? `${a.resource}${a.group ? `.${a.group}` : ''} "${a.name}"` : `${a.resource}${a.group ? `.${a.group}` : ''}`;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return forbidden(`${subject} is forbidden: User "${LAB_USER}" cannot ${a.verb} resource "${full}" in API group "${a.group}" ${scope}`, a.name, a.resource, a.group);
}

/** Deny rules from fixed sources plus the policy file (re-read on mtime change). */
export class Policy {
  private fileRules: DenyRule[] = [];
  private fileMtime = -1;
  private readonly fixed: DenyRule[];

  constructor(
    fixedRules: string[],
    private readonly policyFile: string,
    private readonly log: (line: string) => void,
  ) {
    this.fixed = this.parseAll(fixedRules, 'options');
  }

  private parseAll(texts: string[], origin: string): DenyRule[] {
    const out: DenyRule[] = [];
    for (const t of texts.filter((x) => x.trim() !== '')) {
      const r = parseDenyRule(t);
      if (r) out.push(r);
      else this.log(`ignoring malformed deny rule ${JSON.stringify(t)} from ${origin}`);
    }
    return out;
  }

  private async refresh(): Promise<void> {
    try {
      const st = await stat(this.policyFile);
      if (st.mtimeMs === this.fileMtime) return;
      this.fileMtime = st.mtimeMs;
      const parsed = JSON.parse(await readFile(this.policyFile, 'utf8')) as { deny?: unknown };
      this.fileRules = this.parseAll(Array.isArray(parsed.deny) ? parsed.deny.map(String) : [], this.policyFile);
    } catch {
      // No (or unreadable) policy file: no extra rules.
      this.fileRules = [];
      this.fileMtime = -1;
    }
  }

  /** True when a deny rule matches the request. */
  async denies(a: RequestAttributes): Promise<boolean> {
    await this.refresh();
    return [...this.fixed, ...this.fileRules].some((r) => matches(r, a));
  }
}

/** Answers a SelfSubjectAccessReview body (POST …/selfsubjectaccessreviews). */
export async function reviewAccess(policy: Policy, body: any): Promise<object> {
  const spec = body?.spec ?? {};
  const ra = spec.resourceAttributes;
  let allowed = true;
  let reason = '';
  if (ra) {
    const attrs: RequestAttributes = { verb: ra.verb ?? '', group: ra.group ?? '', resource: ra.resource ?? '', subresource: ra.subresource || undefined, namespace: ra.namespace || undefined, name: ra.name || undefined };
    allowed = !(await policy.denies(attrs));
    reason = allowed ? 'RBAC: allowed by ClusterRoleBinding "netdiag-lab-admin" of ClusterRole "cluster-admin"' : '';
  }
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec,
    status: allowed ? { allowed: true, reason } : { allowed: false },
  };
}
