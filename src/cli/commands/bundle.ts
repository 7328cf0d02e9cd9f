/** `netdiag bundle <run-dir>`: pack an existing run into a redacted support bundle. */
import type { Command } from 'commander';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand } from '../command.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

interface BundleFlags {
  redact: boolean;
  redactPattern?: string[];
  redactors?: string;
  obfuscate: boolean;
  maxFileSize: string;
  maxTotalSize: string;
  redactInPlace: boolean;
  estimate: boolean;
  artifacts: string;
  out?: string;
  json: boolean;
}

export const register: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('bundle')
    .description('pack a run directory into netdiag-<plan>-<stamp>.tar.gz (+ .sha256), redacted by default')
    .argument('<run-dir>', 'run directory, e.g. artifacts/network-diagnosis/20261121T235200Z')
    .option('--no-redact', 'do not apply the built-in redaction (user patterns still apply)')
    .option('--redact-pattern <regex>', 'also redact matches of this regex (repeatable)', collect)
    .option('--redactors <file>', 'YAML list of {name, regex, replace?} to redact as well')
    .option('--obfuscate', 'replace IPs, MACs and host names by consistent pseudonyms (map written beside the bundle)', false)
    .option('--max-file-size <size>', 'per-file cap; logs keep their newest part', '20MiB')
    .option('--max-total-size <size>', 'total budget over uncompressed content', '200MiB')
    .option('--redact-in-place', 'also redact the files in the run directory itself', false)
    .option('--estimate', 'print the expected bundle size and cuts without writing a bundle (give a run directory, or a plan to use its newest run)', false)
    .option('--artifacts <dir>', 'with --estimate and a plan: the artifact root to look in', 'artifacts')
    .option('-o, --out <dir>', 'directory for the bundle (default: the run directory’s parent)')
    .option('--json', 'print the result as JSON', false)
    .action(async (runDir: string, o: BundleFlags) => {
      const { parseSizeFlag, formatSize } = await import('../../artifacts/budget.js');
      const perFileCapBytes = parseSizeFlag('--max-file-size', o.maxFileSize);
      const totalBudgetBytes = parseSizeFlag('--max-total-size', o.maxTotalSize);
      if (o.estimate) {
        const { estimateBundle } = await import('../../artifacts/bundle-estimate.js');
        // Given a plan instead of a run directory: estimate from that plan's newest earlier run.
        if (/\.ya?ml$/.test(runDir)) {
          const { loadPlan } = await import('../../plan/load.js');
          const { newestRunOf } = await import('../../artifacts/previous-run.js');
          runDir = await newestRunOf((await loadPlan(runDir)).name, o.artifacts);
          if (!o.json) process.stdout.write(`estimating from the newest earlier run: ${runDir}\n`);
        }
        const e = await estimateBundle(runDir, { perFileCapBytes, totalBudgetBytes });
        if (o.json) process.stdout.write(JSON.stringify(e, null, 2) + '\n');
        else {
          process.stdout.write(
            `${e.files} files, ${formatSize(e.originalBytes)} in the run directory → ${formatSize(e.bundledBytes)} bundled, ` +
              `about ${formatSize(e.estimatedBytes)} compressed${e.overBudget ? ' (still over the total budget)' : ''}\n`,
          );
          for (const c of e.cuts) {
            const what = c.keepBytes === 0 ? 'dropped' : `kept ${c.keep} ${formatSize(c.keepBytes)}`;
            process.stdout.write(`  ${c.rel}: ${formatSize(c.bytes)} → ${what} (${c.reason})\n`);
          }
        }
        setExitCode(ExitCode.ok);
        return;
      }
      const { createBundleInWorker } = await import('../../artifacts/bundle-worker.js');
      const r = await createBundleInWorker(runDir, {
        redact: o.redact,
        extraPatterns: o.redactPattern,
        redactorsFile: o.redactors,
        obfuscate: o.obfuscate,
        perFileCapBytes,
        totalBudgetBytes,
        redactInPlace: o.redactInPlace,
        outDir: o.out,
      });
      if (o.json) {
        const { manifest: _m, ...rest } = r;
        process.stdout.write(JSON.stringify(rest, null, 2) + '\n');
      } else {
        const kinds = Object.entries(r.redactions).map(([k, n]) => `${k} ×${n}`);
        process.stdout.write(`bundle: ${r.bundlePath} (${formatSize(r.bytes)}, ${r.files} files)\n`);
        process.stdout.write(`sha256: ${r.sha256Path}\n`);
        process.stdout.write(`redacted: ${kinds.length > 0 ? kinds.join(', ') : 'nothing found'}${o.redact ? '' : ' (built-in redaction OFF)'}\n`);
        if (r.mappingPath) process.stdout.write(`obfuscation map (keep it, do not send it): ${r.mappingPath}\n`);
        if (r.truncated.length > 0) process.stdout.write(`truncated to fit: ${r.truncated.join(', ')}\n`);
        if (r.dropped.length > 0) process.stdout.write(`left out: ${r.dropped.join(', ')}\n`);
      }
      setExitCode(ExitCode.ok);
    });
};
