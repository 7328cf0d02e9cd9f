import { readdirSync } from 'node:fs';
import path from 'node:path';
import { it } from 'vitest';
import { analyze } from '../../src/analyze/index.js';
import { loadEvidence } from '../../src/analyze/load-evidence.js';
import { LAB_RUNS } from '../fixtures/evidence/evidence-set.js';
it('dump', async () => {
  for (const s of (process.env.SCEN ?? readdirSync(LAB_RUNS).join(',')).split(',')) {
    const r = analyze(await loadEvidence(path.join(LAB_RUNS, s)));
    console.log(`\n=== ${s}`);
    for (const f of r.findings) console.log(`${f.rootCause ? 'ROOT' : 'symp'} ${f.severity} ${f.id} [${f.nodes}] ${f.confidence} explains=${f.explains} :: ${f.title}`);
    if (process.env.NC) for (const n of r.notChecked) console.log('  NC', n.rule, n.reason);
    if (process.env.FULL) console.log(JSON.stringify(r.findings[0], null, 1));
  }
});
