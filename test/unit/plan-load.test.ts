import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { loadPlan, parsePlan } from '../../src/plan/load.js';
import type { CaptureStep, K8sStep, ProbeStep, SshStep } from '../../src/plan/types.js';

const root = path.resolve(import.meta.dirname, '../..');
const sample = path.join(root, 'test/fixtures/plans/good/all-kinds.yaml');

function problems(text: string): string[] {
  try {
    parsePlan('p.yaml', text);
  } catch (err) {
    if (err instanceof InputError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('loadPlan on the sample plan (every step kind)', () => {
  it('normalises every kind with defaults, ids, tags and locations', async () => {
    const plan = await loadPlan(sample);
    expect(plan.name).toBe('all-kinds');
    expect(plan.file).toBe(sample);
    expect(plan.sha256).toBe(createHash('sha256').update(readFileSync(sample)).digest('hex'));
    expect(new Set(plan.steps.map((s) => s.kind))).toEqual(new Set(['ssh', 'local', 'kubectl', 'k8s', 'probe', 'capture']));
    expect(plan.steps.map((s) => s.id)).toContain('coredns_pods');
    expect(plan.steps.map((s) => s.id)).toContain('coredns-logs'); // slug of "CoreDNS logs"

    const first = plan.steps[0] as K8sStep;
    expect(first).toMatchObject({ kind: 'k8s', index: 0, tags: ['dns'], timeoutMs: 60_000, retries: 0, become: false, remediation: false, register: 'coredns' });
    expect(first.k8s).toEqual({ list: 'pods', namespace: '{{vars.namespace}}', labelSelector: 'k8s-app=kube-dns' });
    expect(first.loc).toEqual({ file: sample, line: 9, col: 5 });

    const nat = plan.steps.find((s) => s.id === 'iptables-nat') as SshStep;
    expect(nat).toMatchObject({ hosts: 'nodes', become: true, timeoutMs: 30_000, tags: ['iptables', 'nat'], save: 'iptables-{{host.name}}.txt', command: 'iptables-save -t nat' });
    expect(nat.fieldLocs?.hosts).toMatchObject({ line: nat.loc.line + 1 });

    const ping = plan.steps.find((s) => s.id === 'vxlan-ping') as SshStep;
    expect(ping).toMatchObject({ retries: 2, until: 'result.rc == 0', delayMs: 500, register: 'vxlan_ping' });

    const capture = plan.steps.find((s) => s.kind === 'capture') as CaptureStep;
    expect(capture.capture).toEqual({ interface: 'eth0', filter: 'udp port {{vars.vxlan_port}}', snaplen: 256, maxPackets: 500, durationMs: 20_000, during: ['vxlan-ping', 'probe-matrix'] });

    const probe = plan.steps.find((s) => s.kind === 'probe') as ProbeStep;
    expect(probe.probe).toEqual({ namespace: 'netdiag-probe', deploy: { image: 'busybox:1.36' }, tests: ['pod-to-pod', 'pod-to-service', 'dns'], parallel: 4, perTestTimeoutMs: 3000 });

    expect(plan.steps.find((s) => s.remediation)).toMatchObject({ kind: 'k8s', tags: ['fix', 'never'] });
    expect(plan.steps.find((s) => s.runOnce)).toMatchObject({ hosts: 'all', when: 'vars.vxlan_port == 8472' });
  });

  it('lets -e extra vars override plan vars', async () => {
    const plan = await loadPlan(sample, { extraVars: { vxlan_port: 4789, extra: 'x' } });
    expect(plan.vars).toMatchObject({ vxlan_port: 4789, namespace: 'kube-system', extra: 'x' });
  });

  it('says when the file does not exist', async () => {
    await expect(loadPlan('/nonexistent/plan.yaml')).rejects.toThrow(/plan\.yaml: plan file not found/);
  });
});

describe('parsePlan details', () => {
  it('applies capture and until defaults', () => {
    const plan = parsePlan(
      'p.yaml',
      `name: d
steps:
  - { name: t, id: t, local: "true", until: "result.rc == 0" }
  - { name: c, hosts: all, capture: { during: [t] } }
`,
    );
    expect(plan.steps[0]).toMatchObject({ retries: 3, delayMs: 5000 });
    expect((plan.steps[1] as CaptureStep).capture).toEqual({ interface: 'any', filter: 'udp port 8472 or udp port 4789', snaplen: 128, maxPackets: 10_000, durationMs: 30_000, during: ['t'] });
  });

  it('accepts Ansible-style list `when:` (all must hold), list hosts and numeric timeouts', () => {
    const plan = parsePlan(
      'p.yaml',
      `name: d
steps:
  - name: s
    hosts: [web, db]
    ssh: uptime
    timeout: 90
    when: [vars.a == 1, "has(vars.b)"]
`,
    );
    expect(plan.steps[0]).toMatchObject({ hosts: 'web,db', timeoutMs: 90_000, when: '(vars.a == 1) && (has(vars.b))' });
  });

  it('reports every problem at once, sorted, with file:line:col and dot-path', () => {
    const out = problems(`name: x
steps:
  - name: a
    local: 1
    tags: 3
  - name: b
    kubectl: get pods
    become: maybe
    frobnicate: 1
`);
    expect(out).toEqual([
      'p.yaml:4:12: steps[0].local: expected a shell command (string) or an argv list',
      'p.yaml:5:11: steps[0].tags: expected a string or a list of strings',
      'p.yaml:8:13: steps[1].become: expected true or false, got a string ("maybe")',
      'p.yaml:9:5: steps[1].frobnicate: unknown key "frobnicate"',
    ]);
  });

  it('checks k8s operations, register names, ids and during targets', () => {
    expect(problems(`name: x\nsteps:\n  - { name: a, k8s: { namespace: x } }\n`)[0]).toContain('k8s needs one operation');
    expect(problems(`name: x\nsteps:\n  - { name: a, k8s: { get: pods } }\n`)[0]).toContain('k8s get needs name:');
    expect(problems(`name: x\nsteps:\n  - { name: a, k8s: { exec: [ls] } }\n`)[0]).toContain('exec needs pod:');
    expect(problems(`name: x\nsteps:\n  - { name: a, local: ls, register: my-out }\n`)[0]).toContain('must be an identifier');
    expect(problems(`name: x\nsteps:\n  - { name: a, local: ls, id: ../evil }\n`)[0]).toContain('steps[0].id: must start with a letter or digit');
    expect(problems(`name: x\nsteps:\n  - { name: c, hosts: all, capture: { during: [c] } }\n`)[0]).toContain('cannot run during itself');
    expect(problems(`name: x\nsteps: []\n`)[0]).toBe('p.yaml:2:8: steps: needs at least 1 item(s)');
  });

  it('compile-checks templates in every templated field', () => {
    const out = problems(`name: x
steps:
  - name: a
    k8s: { logs: "{{bad helper}}", namespace: x }
`);
    expect(out[0]).toMatch(/^p\.yaml:4:18: steps\[0\]\.k8s\.logs: template uses unknown helper "bad"/);
  });
});

describe('undefined vars in templates', () => {
  const plan = (vars: string, ssh: string) => `name: v\nvars: ${vars}\nsteps:\n  - { name: a, hosts: all, ssh: ${JSON.stringify(ssh)} }\n`;
  it('reports plain {{vars.x}} outputs missing from vars, but accepts -e and helper defaults', () => {
    expect(problems(plan('{ a: 1 }', 'echo {{vars.b}}'))[0]).toContain('template uses {{vars.b}}');
    expect(problems(plan('{ a: { b: 1 } }', 'echo {{vars.a.c}}'))[0]).toContain('{{vars.a.c}}');
    expect(problems(plan('{ a: 1 }', 'echo {{vars.a}} {{default vars.b "x"}} {{#if vars.z}}{{vars.z}}{{/if}}'))).toEqual([]);
    expect(() => parsePlan('p.yaml', plan('{}', 'echo {{vars.b}}'), { extraVars: { b: 2 } })).not.toThrow();
  });
});
