/**
 * One step of the YAML plan → a typed, normalised Step. The kind is decided by which single
 * kind key (`ssh`, `local`, `kubectl`, `k8s`, `probe`, `capture`) the step carries.
 */
import type { z } from 'zod';
import type { InputProblem } from '../errors.js';
import { STEP_KIND_KEYS, K8S_OPERATION_KEYS, commonOnlyStepSchema, stepSchema, type StepKindKey } from './schema.js';
import type { K8sOperation, SourceLocation, Step, StepCommon } from './types.js';
import { zodProblems } from './zod-problems.js';
import type { YamlSource } from './yaml-source.js';

/** Default per-step timeout (issue 2: 60 s). */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** Ansible's defaults for `until:` loops: 3 retries, 5 s apart. */
export const DEFAULT_UNTIL_RETRIES = 3;
export const DEFAULT_DELAY_MS = 5_000;

/** Kinds that act on inventory hosts and make no sense without `hosts:`. */
const KINDS_NEEDING_HOSTS: ReadonlySet<StepKindKey> = new Set(['ssh', 'capture']);

/** A readable, path-safe id from a step name: `CoreDNS pods` → `coredns-pods`. */
export function slugify(name: string, index: number): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return slug || `step-${index + 1}`;
}

/** Tags as written (`dns`, `dns,vxlan` or a list) → a de-duplicated list. */
export function normaliseTags(tags: string | string[] | undefined): string[] {
  const list = tags === undefined ? [] : Array.isArray(tags) ? tags : tags.split(',');
  return [...new Set(list.map((t) => t.trim()).filter(Boolean))];
}

/** Normalises `raw` (the value at `steps[index]`); returns the step or the problems found. */
export function normaliseStep(src: YamlSource, index: number, raw: unknown): { step?: Step; problems: InputProblem[] } {
  const base = ['steps', index] as const;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [src.problem(base, 'expected a map (a step with name and one of ' + STEP_KIND_KEYS.join(', ') + ')')] };
  }
  const record = raw as Record<string, unknown>;
  const label = typeof record.name === 'string' ? `step "${record.name}"` : `step ${index + 1}`;
  const kinds = STEP_KIND_KEYS.filter((k) => k in record);
  if (kinds.length === 0) {
    const common = commonOnlyStepSchema.safeParse(record);
    const rest = common.success ? [] : zodProblems(src, base, record, common.error);
    return { problems: [src.problem(base, `${label} has no kind: it needs exactly one of ${STEP_KIND_KEYS.join(', ')}`), ...rest] };
  }
  if (kinds.length > 1) {
    return { problems: [src.problem([...base, kinds[1]], `${label} has more than one kind (${kinds.join(', ')}): use exactly one per step`, { key: true })] };
  }
  const kind = kinds[0];
  const parsed = stepSchema(kind).safeParse(record);
  if (!parsed.success) return { problems: zodProblems(src, base, record, parsed.error) };
  const v = parsed.data as z.infer<ReturnType<typeof stepSchema>> & Record<StepKindKey, unknown>;

  const problems: InputProblem[] = [];
  if (KINDS_NEEDING_HOSTS.has(kind) && v.hosts === undefined) {
    problems.push(src.problem(base, `${label}: ${kind} steps need hosts: (an inventory pattern such as all or nodes)`));
  }
  const loc = src.locate(base);
  const fieldLocs: Partial<Record<string, SourceLocation>> = {};
  for (const key of Object.keys(record)) fieldLocs[key] = src.locate([...base, key]);
  const common: StepCommon = {
    name: v.name,
    id: v.id ?? slugify(v.name, index),
    index,
    ...(v.hosts !== undefined ? { hosts: v.hosts } : {}),
    tags: normaliseTags(v.tags),
    ...(v.when !== undefined ? { when: v.when } : {}),
    ...(v.register !== undefined ? { register: v.register } : {}),
    ...(v.save !== undefined ? { save: v.save } : {}),
    timeoutMs: v.timeout ?? DEFAULT_TIMEOUT_MS,
    retries: v.retries ?? (v.until !== undefined ? DEFAULT_UNTIL_RETRIES : 0),
    ...(v.until !== undefined ? { until: v.until } : {}),
    delayMs: v.delay ?? DEFAULT_DELAY_MS,
    ignoreErrors: v.ignore_errors ?? false,
    become: v.become ?? false,
    remediation: v.remediation ?? false,
    runOnce: v.run_once ?? false,
    loc,
    fieldLocs,
  };

  let step: Step;
  switch (kind) {
    case 'ssh':
      step = { ...common, kind, command: v.ssh as string };
      break;
    case 'local':
      step = { ...common, kind, command: v.local as string | string[] };
      break;
    case 'kubectl':
      step = { ...common, kind, args: v.kubectl as string | string[] };
      break;
    case 'k8s': {
      const op = v.k8s as K8sOperation;
      problems.push(...k8sProblems(src, [...base, 'k8s'], op, label));
      step = { ...common, kind, k8s: op };
      break;
    }
    case 'probe': {
      const p = v.probe as { namespace?: string; selector?: string; deploy?: { image?: string; name?: string }; tests?: string[]; external_name?: string; parallel?: number; per_test_timeout?: number };
      step = {
        ...common,
        kind,
        probe: {
          ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
          ...(p.selector !== undefined ? { selector: p.selector } : {}),
          ...(p.deploy !== undefined ? { deploy: p.deploy } : {}),
          ...(p.tests !== undefined ? { tests: p.tests } : {}),
          ...(p.external_name !== undefined ? { externalName: p.external_name } : {}),
          ...(p.parallel !== undefined ? { parallel: p.parallel } : {}),
          ...(p.per_test_timeout !== undefined ? { perTestTimeoutMs: p.per_test_timeout } : {}),
        },
      };
      break;
    }
    case 'capture': {
      const c = v.capture as { interface: string; filter: string; snaplen: number; max_packets: number; duration: number; during: string[] };
      step = {
        ...common,
        kind,
        capture: { interface: c.interface, filter: c.filter, snaplen: c.snaplen, maxPackets: c.max_packets, durationMs: c.duration, during: c.during },
      };
      break;
    }
  }
  return { step, problems };
}

/** A k8s body must do exactly one thing, with what that operation needs. */
function k8sProblems(src: YamlSource, path: readonly (string | number)[], op: K8sOperation, label: string): InputProblem[] {
  const ops = K8S_OPERATION_KEYS.filter((k) => op[k] !== undefined && op[k] !== false);
  if (ops.length === 0) return [src.problem(path, `${label}: k8s needs one operation: ${K8S_OPERATION_KEYS.join(', ')}`)];
  if (ops.length > 1) return [src.problem([...path, ops[1]], `${label}: k8s has more than one operation (${ops.join(', ')})`, { key: true })];
  const problems: InputProblem[] = [];
  if (op.get !== undefined && op.name === undefined) problems.push(src.problem(path, `${label}: k8s get needs name:`));
  if (op.exec !== undefined && op.pod === undefined && !op.labelSelector) problems.push(src.problem(path, `${label}: k8s exec needs pod: or labelSelector:`));
  if (op.logs === true && !op.labelSelector) problems.push(src.problem(path, `${label}: k8s logs: true needs labelSelector: (or give the pod name as logs: <pod>)`));
  return problems;
}
