/** Static checks of templates against the plan's variables, run at validation time. */
import Handlebars from 'handlebars';

type AnyNode = { type: string; [k: string]: any }; // the Handlebars AST is walked structurally

/**
 * Plain `{{vars.x}}` outputs whose variable is not in `vars` (plan vars + `-e`). Those would
 * fail on every host at run time, so validation reports them early. Helper arguments
 * (`{{default vars.x "y"}}`) and anything inside a block (`if`, `each`, …) are not checked:
 * there a missing value can be intended.
 */
export function undefinedVarRefs(template: string, vars: Record<string, unknown>): string[] {
  if (!template.includes('vars.')) return [];
  let ast: AnyNode;
  try {
    ast = Handlebars.parse(template) as unknown as AnyNode;
  } catch {
    return []; // syntax errors are checkTemplate's to report
  }
  const out: string[] = [];
  // Top-level statements only: `{{#if vars.x}}{{vars.x}}{{/if}}` guards its content on purpose.
  for (const stmt of ast.body) {
    if (stmt.type !== 'MustacheStatement' || stmt.params.length || stmt.hash) continue;
    const p = stmt.path;
    if (p.type !== 'PathExpression' || p.data || p.depth !== 0) continue;
    const [head, ...rest] = p.parts as string[];
    if (head === 'vars' && rest.length && !hasPath(vars, rest)) out.push(`vars.${rest.join('.')}`);
  }
  return [...new Set(out)];
}

function hasPath(root: unknown, parts: string[]): boolean {
  let cur = root;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, p)) return false;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur !== undefined;
}
