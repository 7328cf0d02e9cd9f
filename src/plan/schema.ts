/**
 * The YAML shape of a plan, as zod schemas. Objects are strict (an unknown key is an error:
 * a typo like `ignore_error:` must not be silently ignored). Step fields are Ansible's
 * snake_case; the `k8s:` body mirrors Kubernetes API field names (camelCase, as in
 * `labelSelector`), while netdiag's own modules `probe:` and `capture:` use snake_case.
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';

/** The keys that decide a step's kind; exactly one must be present. */
export const STEP_KIND_KEYS = ['ssh', 'local', 'kubectl', 'k8s', 'probe', 'capture'] as const;
export type StepKindKey = (typeof STEP_KIND_KEYS)[number];

/** Step ids are used as file/directory names and in `during:`, so keep them path-safe. */
export const STEP_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Register names appear in CEL (`registered.name`), so they must be identifiers. */
export const REGISTER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const stringList = z.array(z.string(), { error: 'expected a list of strings' });
const stringOrList = z.union([z.string(), stringList], { error: 'expected a string or a list of strings' });
const nonEmptyString = z.string().min(1);

/** `when:` may be a CEL string, a list of them (all must hold, as in Ansible) or a boolean. */
const conditionSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1), z.boolean()], { error: 'expected a CEL expression (string), a list of them, or true/false' })
  .transform((v) => (typeof v === 'boolean' ? String(v) : Array.isArray(v) ? (v.length === 1 ? v[0] : v.map((e) => `(${e})`).join(' && ')) : v));

/** Fields every step may carry. */
export const commonStepShape = {
  name: nonEmptyString,
  id: z.string().regex(STEP_ID_RE, { error: 'must start with a letter or digit and contain only letters, digits, _ . -' }).optional(),
  hosts: z
    .union([nonEmptyString, z.array(nonEmptyString).min(1)], { error: 'expected a host pattern (string) or a list of patterns' })
    .transform((v) => (Array.isArray(v) ? v.join(',') : v))
    .optional(),
  tags: stringOrList.optional(),
  when: conditionSchema.optional(),
  register: z.string().regex(REGISTER_RE, { error: 'must be an identifier (letters, digits, _), it is used as registered.<name>' }).optional(),
  save: nonEmptyString.optional(),
  timeout: durationSchema.optional(),
  retries: z.int().min(0).optional(),
  until: conditionSchema.optional(),
  delay: durationSchema.optional(),
  ignore_errors: z.boolean().optional(),
  become: z.boolean().optional(),
  remediation: z.boolean().optional(),
  run_once: z.boolean().optional(),
};

const k8sPatchSchema = z.strictObject({
  target: nonEmptyString,
  type: z.enum(['merge', 'strategic', 'json']).optional(),
  body: z.unknown(),
});

/** The operations of a `k8s:` step; exactly one per step. */
export const K8S_OPERATION_KEYS = ['list', 'get', 'logs', 'events', 'exec', 'rolloutRestart', 'patch', 'apply', 'delete'] as const;

export const k8sBodySchema = z.strictObject({
  list: nonEmptyString.optional(),
  get: nonEmptyString.optional(),
  name: nonEmptyString.optional(),
  namespace: nonEmptyString.optional(),
  allNamespaces: z.boolean().optional(),
  labelSelector: z.string().optional(),
  fieldSelector: z.string().optional(),
  logs: z.union([nonEmptyString, z.boolean()], { error: 'expected a pod name or true (with labelSelector)' }).optional(),
  container: nonEmptyString.optional(),
  tailLines: z.int().min(0).optional(),
  previous: z.boolean().optional(),
  limitBytes: z.int().min(1).optional(),
  events: z.union([nonEmptyString, z.boolean()], { error: 'expected true, or kind/name of one object' }).optional(),
  exec: z.array(z.string()).min(1).optional(),
  pod: nonEmptyString.optional(),
  rolloutRestart: nonEmptyString.optional(),
  patch: k8sPatchSchema.optional(),
  apply: z.unknown().optional(),
  delete: nonEmptyString.optional(),
  output: z.enum(['yaml', 'json']).optional(),
});
export type K8sBodyYaml = z.infer<typeof k8sBodySchema>;

export const probeBodySchema = z.strictObject({
  namespace: nonEmptyString.optional(),
  selector: z.string().optional(),
  deploy: z.strictObject({ image: nonEmptyString.optional(), name: nonEmptyString.optional() }).optional(),
  tests: stringList.optional(),
  external_name: nonEmptyString.optional(),
  parallel: z.int().min(1).optional(),
  per_test_timeout: durationSchema.optional(),
});

/** Filter that catches flannel (8472) and Calico/standard (4789) VXLAN. */
export const DEFAULT_CAPTURE_FILTER = 'udp port 8472 or udp port 4789';

export const captureBodySchema = z.strictObject({
  interface: nonEmptyString.default('any'),
  filter: nonEmptyString.default(DEFAULT_CAPTURE_FILTER),
  snaplen: z.int().min(1).max(262144).default(128),
  max_packets: z.int().min(1).default(10_000),
  duration: durationSchema.default(30_000),
  during: z.array(nonEmptyString).default([]),
});

/** Schema of each kind's body (the value under its kind key). */
export const kindBodySchemas = {
  ssh: nonEmptyString,
  local: z.union([nonEmptyString, z.array(z.string()).min(1)], { error: 'expected a shell command (string) or an argv list' }),
  kubectl: z.union([nonEmptyString, z.array(z.string()).min(1)], { error: 'expected kubectl arguments as a string or a list' }),
  k8s: k8sBodySchema,
  probe: probeBodySchema,
  capture: captureBodySchema,
} satisfies Record<StepKindKey, z.ZodType>;

function buildStepSchema<K extends StepKindKey>(kind: K) {
  return z.strictObject({ ...commonStepShape, [kind]: kindBodySchemas[kind] } as typeof commonStepShape & Record<K, (typeof kindBodySchemas)[K]>);
}
type StepSchema = ReturnType<typeof buildStepSchema<StepKindKey>>;
// zod 4 compiles each object schema on first use; build each kind's once, not once per step.
const stepSchemas = new Map<StepKindKey, StepSchema>();

/** Schema of a whole step of the given kind: common fields plus its kind key, nothing else. */
export function stepSchema(kind: StepKindKey): StepSchema {
  let schema = stepSchemas.get(kind);
  if (!schema) stepSchemas.set(kind, (schema = buildStepSchema(kind)));
  return schema;
}

/** Common fields only: for steps without a kind, to still report their other problems. */
export const commonOnlyStepSchema = z.strictObject(commonStepShape);

/** Top level of a plan file. Steps are checked one by one (see load.ts) to locate errors. */
export const planTopSchema = z.strictObject({
  name: nonEmptyString,
  description: z.string().optional(),
  strategy: z.enum(['linear', 'free']).optional(),
  vars: z.record(z.string(), z.unknown(), { error: 'expected a map of variables' }).nullish(),
  steps: z.array(z.unknown(), { error: 'expected a list of steps' }).min(1),
});
