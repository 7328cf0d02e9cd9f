/**
 * `probe:` steps: the connectivity matrix. Discovers the probe pods, plans every test, runs
 * them through exec (the real websocket protocol) with a bounded per-test timeout and a
 * parallelism limit, and writes `connectivity-matrix.json` (for the analyzers) and a readable
 * grid (the step's own output file). The matrix is also the step's registered data.
 */
import { Writable } from 'node:stream';
import type { ConnectivityMatrix, ConnectivityResult, ConnectivityTest } from '../../analyze/types.js';
import type { Handler, HandlerResult } from '../../engine/types.js';
import type { ProbeStep } from '../../plan/types.js';
import { deadline } from '../../transport/abort.js';
import { kubeErrorMessage, type KubeSession } from '../../transport/kube-session.js';
import { execInPod } from '../k8s/exec.js';
import { DEFAULT_PROBE_IMAGE, DEFAULT_PROBE_NAME, DEFAULT_PROBE_NAMESPACE, DEPLOY_TIMEOUT_MS, deployProbes, type ProbeDeployment } from './deploy.js';
import { DEFAULT_PROBE_SELECTOR, discoverTopology, type ProbePod } from './discover.js';
import { formatMatrix } from './matrix-text.js';
import { ALL_TESTS, planProbes } from './plan-probes.js';
import { MTU_SCRIPT } from './tests.js';

/** Keeps the first few KB of a probe's output (error messages), never more. */
class Tail extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    if (this.text.length < 4096) this.text += chunk.toString('utf8');
    cb();
  }
}

async function runInPod(session: KubeSession, pod: ProbePod, script: string, timeoutMs: number, runSignal: AbortSignal) {
  const out = new Tail();
  const err = new Tail();
  const started = Date.now();
  const limit = deadline(runSignal, timeoutMs, 'probe');
  const signal = limit.signal;
  try {
    const r = await execInPod(session, { exec: ['sh', '-c', script], namespace: pod.namespace, pod: pod.name }, out, err, signal);
    const ms = Date.now() - started;
    if (r.aborted) return { ok: false, ms, out: out.text, error: `no answer within ${timeoutMs} ms` };
    return { ok: r.exitCode === 0, ms, out: out.text, error: r.exitCode === 0 ? undefined : (err.text.trim() || out.text.trim() || r.error || `exit ${r.exitCode}`).split('\n').slice(-2).join(' ') };
  } catch (e) {
    return { ok: false, ms: Date.now() - started, out: '', error: kubeErrorMessage(e) };
  } finally {
    limit.dispose();
  }
}

/** Runs tasks with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const probeHandler: Handler<ProbeStep> = {
  describe: ({ step, renderText }) =>
    `connectivity matrix between pods matching ${renderText(step.probe.selector ?? DEFAULT_PROBE_SELECTOR)}${step.probe.namespace ? ` in ${renderText(step.probe.namespace)}` : ' in all namespaces'}${
      step.probe.deploy ? ` (none running: deploy DaemonSet ${renderText(step.probe.namespace ?? DEFAULT_PROBE_NAMESPACE)}/${renderText(step.probe.deploy.name ?? DEFAULT_PROBE_NAME)}, removed at run end)` : ''
    }`,
  async run(exec): Promise<HandlerResult> {
    const p = exec.step.probe;
    const session = await exec.services.kube.session();
    if ('error' in session) return { status: 'failed', error: session.error };
    const perTest = p.perTestTimeoutMs ?? 5000;
    const selector = p.selector ? exec.renderText(p.selector) : DEFAULT_PROBE_SELECTOR;
    let namespace = p.namespace ? exec.renderText(p.namespace) : undefined;
    let topo;
    try {
      topo = await discoverTopology(session, { namespace, selector });
    } catch (e) {
      return { status: 'failed', error: `cannot discover probe pods: ${kubeErrorMessage(e)}` };
    }
    let deployed: ProbeDeployment | undefined;
    // Existing probe pods win: the step deploys only when none is running.
    if (topo.pods.length === 0 && p.deploy) {
      namespace ??= DEFAULT_PROBE_NAMESPACE;
      const name = p.deploy.name ? exec.renderText(p.deploy.name) : DEFAULT_PROBE_NAME;
      const image = p.deploy.image ? exec.renderText(p.deploy.image) : DEFAULT_PROBE_IMAGE;
      exec.stdout.write(`deploying DaemonSet ${namespace}/${name} (image ${image}, pods labelled ${selector}); it is removed at the end of the run\n`);
      const limit = deadline(exec.signal, DEPLOY_TIMEOUT_MS, 'probe deployment');
      try {
        deployed = await deployProbes(session, { namespace, name, image, selector }, limit.signal, exec.services.onRunEnd);
        topo = await discoverTopology(session, { namespace, selector });
      } catch (e) {
        if (exec.signal.aborted) return { status: 'interrupted', error: 'interrupted while deploying probe pods' };
        return { status: 'failed', error: `cannot deploy probe pods: ${kubeErrorMessage(e)}` };
      } finally {
        limit.dispose();
      }
      if (exec.signal.aborted) return { status: 'interrupted', error: 'interrupted while waiting for the probe pods', data: { deployed } };
      const missing = deployed.expectedNodes.filter((n) => !deployed!.readyNodes.includes(n));
      exec.stdout.write(`probe pods Running on ${deployed.readyNodes.length}/${deployed.expectedNodes.length} node(s)${missing.length ? ` — none on ${missing.join(', ')} after ${DEPLOY_TIMEOUT_MS / 1000} s` : ''}\n\n`);
      if (missing.length) exec.stderr.write(`probe pods did not start on ${missing.join(', ')}: those nodes are missing from the matrix\n`);
    }
    if (topo.pods.length === 0) {
      const hint = p.deploy ? `the deployed DaemonSet ${namespace}/${deployed?.name} started none within ${DEPLOY_TIMEOUT_MS / 1000} s (image pull? set deploy.image for air-gapped clusters)` : 'deploy probe pods (one per node) first, or add `deploy: {}`';
      return { status: 'failed', error: `no Running pod matches ${selector}: ${hint}`, data: deployed ? { deployed } : undefined };
    }
    const tests = (p.tests ?? ALL_TESTS) as ConnectivityTest[];
    const mtus = new Map<string, number>();
    await pool(topo.pods, p.parallel ?? 8, async (pod) => {
      const r = await runInPod(session, pod, MTU_SCRIPT, perTest, exec.signal);
      const mtu = Number.parseInt(r.out.trim(), 10);
      if (r.ok && mtu > 0) mtus.set(pod.name, mtu);
    });
    const planned = planProbes(topo, { tests, externalName: p.externalName ? exec.renderText(p.externalName) : undefined, mtuOf: (name) => mtus.get(name) });
    const byName = new Map(topo.pods.map((x) => [x.name, x]));
    const results: ConnectivityResult[] = await pool(planned, p.parallel ?? 8, async (probe) => {
      const r = exec.signal.aborted ? { ok: false, ms: 0, error: 'interrupted' } : await runInPod(session, byName.get(probe.from)!, probe.script, perTest, exec.signal);
      const { script: _s, ...rest } = probe;
      return { ...rest, ok: r.ok, latencyMs: r.ms, ...(r.error ? { error: r.error } : {}) };
    });
    const matrix: ConnectivityMatrix = { pods: topo.pods.map(({ name, node, ip }) => ({ name, node, ip })), results };
    const json = await exec.openFile('connectivity-matrix.json');
    json.stream.end(JSON.stringify(matrix, null, 2) + '\n');
    const file = await json.finish();
    exec.stdout.write(formatMatrix(matrix));
    if (exec.signal.aborted) return { status: 'interrupted', files: [file], data: matrix };
    // Failed probes are findings for the analyzers, not a failure of the step.
    return { status: 'ok', exitCode: 0, files: [file], data: matrix };
  },
};
