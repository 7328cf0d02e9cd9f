/**
 * The issue 7 targets, evaluated against whatever has been measured so far; a target whose
 * inputs are missing is `ok: undefined` ("not measured").
 */
const sec = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** `[{ name, measured, ok }]` for RESULTS.md. */
export function evaluateTargets(r) {
  const t = [];
  const at = (n) => r.sweep?.find((row) => row.nodes === n);
  const s20 = at(20);
  t.push({ name: 'node sweep, 20 nodes: netdiag ≤ 1.3× raw ssh', measured: s20 ? `${(s20.netdiag / s20.raw).toFixed(2)}× (${sec(s20.netdiag)} vs ${sec(s20.raw)})` : '—', ok: s20 ? s20.netdiag <= 1.3 * s20.raw : undefined });
  t.push({ name: 'node sweep, 20 nodes: ≥ 20× faster than Ansible', measured: s20?.ansible ? `${(s20.ansible / s20.netdiag).toFixed(1)}× (${sec(s20.ansible)} vs ${sec(s20.netdiag)})` : '—', ok: s20?.ansible ? s20.ansible >= 20 * s20.netdiag : undefined });
  const s10 = at(10);
  const s100 = at(100);
  t.push({ name: '100 nodes: wall ≤ 2× 10-node wall', measured: s10 && s100 ? `${(s100.netdiag / s10.netdiag).toFixed(2)}× (${sec(s100.netdiag)} vs ${sec(s10.netdiag)})` : '—', ok: s10 && s100 ? s100.netdiag <= 2 * s10.netdiag : undefined });
  t.push({ name: '100 nodes: peak RSS ≤ 200 MB', measured: s100 ? `${s100.rss.toFixed(0)} MiB` : '—', ok: s100 ? s100.rss * 1.048576 <= 200 : undefined });
  for (const kind of ['local', 'ssh']) {
    const st = r.streaming?.find((x) => x.kind === kind);
    t.push({ name: `1 GiB output (${kind}): peak RSS ≤ 150 MB`, measured: st ? `${st.peakRssMiB.toFixed(0)} MiB, ${st.mbps.toFixed(0)} MB/s${st.code ? `, exit ${st.code}` : ''}` : '—', ok: st ? st.peakRssMiB * 1.048576 <= 150 && st.bytes === 1024 ** 3 : undefined });
  }
  const e = r.e2e;
  t.push({ name: 'default plan: wall ≤ capture window + 10 s', measured: e?.captureMs !== undefined ? `${sec(e.ms)} vs ${sec(e.captureMs)} + 10 s` : '—', ok: e?.captureMs !== undefined ? e.ms <= e.captureMs + 10_000 : undefined });
  const su = r.startup;
  t.push({ name: 'startup ≤ 3× node -e 0', measured: su ? `${su.ratio.toFixed(2)}× (${sec(su.cliMs)} vs ${sec(su.nodeMs)})` : '—', ok: su ? su.ratio <= 3 : undefined });
  return t;
}
