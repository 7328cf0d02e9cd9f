/** Step kinds the plan format knows but this build cannot run yet fail clearly, per target. */
import type { Handler } from '../engine/types.js';
import type { Step } from '../plan/types.js';

export function unavailable<S extends Step>(kind: S['kind']): Handler<S> {
  return {
    describe: ({ step }) => `${kind}: ${step.name}`,
    run: async () => ({ status: 'failed', error: `${kind} steps are not supported by this netdiag build yet` }),
  };
}
