/** Which permissions each step needs (the pure half of the RBAC preflight; the lab test asks a real server). */
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../plan/load.js';
import { describeCheck, stepChecks } from './preflight.js';

const plan = parsePlan(
  '/tmp/ndt-preflight-unit.yaml',
  `name: checks
steps:
  - { name: list, id: list, k8s: { list: pods, namespace: kube-system } }
  - { name: list all, id: listall, k8s: { list: ippools.crd.projectcalico.org, allNamespaces: true } }
  - { name: get, id: get, k8s: { get: ds, name: kube-proxy, namespace: kube-system } }
  - { name: events, id: events, k8s: { events: pod/x } }
  - { name: logs pod, id: logspod, k8s: { logs: coredns-1, namespace: kube-system } }
  - { name: logs sel, id: logssel, k8s: { logs: true, labelSelector: a=b, allNamespaces: true } }
  - { name: exec pod, id: execpod, k8s: { exec: [ls], pod: p } }
  - { name: exec sel, id: execsel, k8s: { exec: [ls], labelSelector: a=b, namespace: n } }
  - { name: restart, id: restart, remediation: true, k8s: { rolloutRestart: daemonset/kube-proxy, namespace: kube-system } }
  - { name: patch, id: patch, k8s: { patch: { target: deployment/coredns, body: {} }, namespace: kube-system } }
  - { name: delete, id: delete, k8s: { delete: daemonset/probe } }
  - name: apply
    id: apply
    k8s:
      namespace: netdiag
      apply:
        - { apiVersion: apps/v1, kind: DaemonSet, metadata: { name: probe } }
        - { apiVersion: v1, kind: ConfigMap, metadata: { name: cfg, namespace: other } }
  - { name: matrix, id: matrix, probe: { deploy: {} } }
  - { name: shell, id: shell, local: hostname }
`,
);
const checks = (id: string) => stepChecks(plan.steps.find((s) => s.id === id)!).map(describeCheck);

describe('stepChecks', () => {
  it('maps every k8s operation to the verbs it sends', () => {
    expect(checks('list')).toEqual(['list pods in namespace kube-system']);
    expect(checks('listall')).toEqual(['list ippools.crd.projectcalico.org cluster-wide']);
    expect(checks('get')).toEqual(['get ds in namespace kube-system']);
    expect(checks('events')).toEqual(['list events in namespace default']);
    expect(checks('logspod')).toEqual(['get pods in namespace kube-system', 'get pods/log in namespace kube-system']);
    expect(checks('logssel')).toEqual(['list pods cluster-wide', 'get pods/log cluster-wide']);
    expect(checks('execpod')).toEqual(['create pods/exec in namespace default']);
    expect(checks('execsel')).toEqual(['list pods in namespace n', 'create pods/exec in namespace n']);
    expect(checks('restart')).toEqual(['patch daemonset in namespace kube-system']);
    expect(checks('patch')).toEqual(['patch deployment in namespace kube-system']);
    expect(checks('delete')).toEqual(['delete daemonset in namespace default']);
    expect(checks('apply')).toEqual([
      'create DaemonSet.apps in namespace netdiag',
      'delete DaemonSet.apps in namespace netdiag',
      'create ConfigMap in namespace other',
      'delete ConfigMap in namespace other',
    ]);
  });

  it('probe steps need pods/nodes/services and exec (and the DaemonSet they deploy); other kinds nothing', () => {
    expect(checks('matrix')).toEqual([
      'list pods cluster-wide',
      'list nodes cluster-wide',
      'list services cluster-wide',
      'create pods/exec cluster-wide',
      'create daemonsets.apps in namespace netdiag',
      'delete daemonsets.apps in namespace netdiag',
    ]);
    expect(checks('shell')).toEqual([]);
  });
});
