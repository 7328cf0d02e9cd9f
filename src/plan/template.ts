/**
 * Handlebars templating of step fields.
 *
 * Every `{{expr}}` is rewritten (on the parsed AST, before compiling) into a call of an internal
 * output helper, so that:
 * - in shell mode (`renderShell`) each value is shell-QUOTED: a host called `a;rm -rf /` is one
 *   harmless argument. `{{{expr}}}` is RAW and UNSAFE: the value is pasted into the command
 *   line unquoted; use it only for values the plan author controls (e.g. a vars flag list).
 * - in text mode (`renderText`, `renderSavePath`) values are inserted as-is (no HTML escaping).
 * - an undefined value is an error naming the expression (`{{vars.typo}}`), not an empty string:
 *   a diagnostic command silently missing an argument is worse than a clear failure.
 * Helpers available to plan authors: if/unless/each/with/lookup plus default, join, json,
 * lower, upper, eq, ne. Anything else used as a helper is reported at validation time.
 */
import path from 'node:path';
import Handlebars from 'handlebars';
import { InputError, type InputProblem } from '../errors.js';
import { renderValue, type OutputMode } from './template-values.js';
import type { Host } from '../inventory/types.js';

/** Where a template came from (step file:line and dot-path), for error messages. */
export type TemplateWhere = Omit<InputProblem, 'message'>;

/** What templates see. `facts` is the same map as `registered` (kept for Ansible habits). */
export interface TemplateContext {
  /** `{ name, address, port, user, groups, ...host vars }` for per-host steps. */
  host?: Record<string, unknown>;
  vars: Record<string, unknown>;
  registered: Record<string, unknown>;
  facts?: Record<string, unknown>;
  step?: { id: string; name: string };
  run?: { stamp: string; dir: string };
}

const hb = Handlebars.create();
// `log` is left out on purpose: it would print to netdiag's console from inside a template.
const BUILTIN_HELPERS = new Set(['if', 'unless', 'each', 'with', 'lookup']);
const USER_HELPERS: Record<string, (...args: unknown[]) => unknown> = {
  default: (value, fallback) => (value === undefined || value === null || value === '' ? fallback : value),
  join: (list, sep) => (Array.isArray(list) ? list.map(String).join(typeof sep === 'string' ? sep : ',') : list),
  json: (value) => JSON.stringify(value),
  lower: (value) => (typeof value === 'string' ? value.toLowerCase() : value),
  upper: (value) => (typeof value === 'string' ? value.toUpperCase() : value),
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
};
const OUTPUT_HELPER: Record<OutputMode, string> = { shell: '__nd_shell', raw: '__nd_raw', text: '__nd_text', path: '__nd_path' };

/** Thrown by the output helpers; converted to an InputError at the render call. */
class TemplateValueError extends Error {}

for (const [name, fn] of Object.entries(USER_HELPERS)) {
  // Handlebars passes its `options` object last; drop it so `{{join list}}` sees sep undefined.
  hb.registerHelper(name, (...args: unknown[]) => fn(...args.slice(0, -1)));
}
for (const mode of Object.keys(OUTPUT_HELPER) as OutputMode[]) {
  hb.registerHelper(OUTPUT_HELPER[mode], function (this: unknown, ...args: unknown[]) {
    const options = args[args.length - 1] as Handlebars.HelperOptions;
    const expr = String(options.hash.__expr);
    // Plain paths are resolved here (own properties only) so a miss names the missing part.
    const value = options.hash.__path !== undefined ? resolvePath(this, String(options.hash.__path), expr) : args[0];
    if (value === undefined) throw new TemplateValueError(`{{${expr}}} is undefined`);
    return renderValue(value, mode);
  });
}

/** Looks `a.b.c` up from `context`, refusing inherited properties (no `constructor` tricks). */
function resolvePath(context: unknown, dotted: string, expr: string): unknown {
  const parts = dotted === '' ? [] : dotted.split('.');
  let cur = context;
  for (let i = 0; i < parts.length; i++) {
    if (cur === null || cur === undefined || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, parts[i])) {
      const where = i === 0 ? '' : ` ("${parts.slice(0, i).join('.')}" has no "${parts[i]}")`;
      if (cur === null || cur === undefined) throw new TemplateValueError(`{{${expr}}}: "${parts.slice(0, i).join('.')}" is ${cur === null ? 'null' : 'undefined'}`);
      throw new TemplateValueError(`{{${expr}}} is undefined${where}`);
    }
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  return cur;
}

const KNOWN_HELPERS = new Set([...BUILTIN_HELPERS, ...Object.keys(USER_HELPERS)]);

/** How a whole template is rendered (raw is per-mustache inside shell templates). */
type RenderMode = 'shell' | 'text' | 'path';

type AnyNode = { type: string; [k: string]: any }; // the Handlebars AST is walked structurally

/** Syntax + helper check of a template; returns problems (empty when fine). */
export function checkTemplate(template: string, where: TemplateWhere = {}): InputProblem[] {
  try {
    prepare(template, 'text');
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.problems.map((p) => ({ ...where, ...p, message: p.message }));
    throw err;
  }
}

/** Renders a command line: `{{x}}` values shell-quoted, `{{{x}}}` raw (unsafe, see file doc). */
export function renderShell(template: string, ctx: TemplateContext, where: TemplateWhere = {}): string {
  return render(template, 'shell', ctx, where);
}

/** Renders plain text: values inserted as-is, no HTML escaping, no quoting. */
export function renderText(template: string, ctx: TemplateContext, where: TemplateWhere = {}): string {
  return render(template, 'text', ctx, where);
}

/** Why `relative` may not be used as a save path, or undefined when it is fine. */
export function savePathProblem(relative: string): string | undefined {
  if (relative.includes('\0')) return 'save path contains a NUL byte';
  if (relative.trim() === '') return 'save path is empty';
  if (path.isAbsolute(relative) || relative.startsWith('~')) return `save path must be relative to the run directory, got "${relative}"`;
  if (relative.split(/[\\/]+/).includes('..')) return `save path may not contain "..", got "${relative}"`;
  const normal = path.posix.normalize(relative);
  if (normal === '.' || normal === './' || normal.endsWith('/')) return `save path must name a file, got "${relative}"`;
  return undefined;
}

/**
 * Renders a `save:` template and returns the absolute path inside `runDir`. Interpolated
 * values cannot add directories: `/` in a value becomes `_`, and a value `.`/`..` becomes `_`
 * (a host named `../../etc` saves as `.._.._etc`). The author's own text is then checked:
 * absolute paths, `..` segments and NUL bytes are refused (InputError at `where`). Symlinks inside the run
 * directory are the opener's job (open with O_NOFOLLOW / check realpath).
 */
export function renderSavePath(template: string, ctx: TemplateContext, runDir: string, where: TemplateWhere = {}): string {
  const relative = render(template, 'path', ctx, where);
  const problem = savePathProblem(relative);
  if (problem) throw new InputError({ ...where, message: problem });
  const root = path.resolve(runDir);
  const full = path.resolve(root, relative);
  if (!full.startsWith(root + path.sep)) throw new InputError({ ...where, message: `save path "${relative}" leaves the run directory` });
  return full;
}

/** Builds the context templates and conditions see for one step × host. */
export function templateContext(input: {
  host?: Host;
  vars: Record<string, unknown>;
  registered?: Record<string, unknown>;
  step?: { id: string; name: string };
  run?: { stamp: string; dir: string };
}): TemplateContext {
  const registered = input.registered ?? {};
  const h = input.host;
  return {
    ...(h ? { host: { ...h.vars, name: h.name, address: h.address, port: h.port, user: h.user, groups: h.groups } } : {}),
    vars: input.vars,
    registered,
    facts: registered,
    ...(input.step ? { step: input.step } : {}),
    ...(input.run ? { run: input.run } : {}),
  };
}

function render(template: string, mode: RenderMode, ctx: TemplateContext, where: TemplateWhere): string {
  if (!template.includes('{{')) return template; // fast path: most step fields are literal
  const fn = prepare(template, mode, where);
  try {
    return fn(ctx);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const nice = err instanceof TemplateValueError ? msg : msg.replace(/^"([^"]+)" not defined in .*? - (\d+:\d+)$/, '"$1" is not defined (template position $2)');
    throw new InputError({ ...where, message: `template: ${nice}` });
  }
}

const cache = new Map<string, Handlebars.TemplateDelegate>();

function prepare(template: string, mode: RenderMode, where: TemplateWhere = {}): Handlebars.TemplateDelegate {
  const key = `${mode}\0${template}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let ast: AnyNode;
  try {
    ast = hb.parse(template) as unknown as AnyNode;
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n').filter((l) => l && !/^-*\^$/.test(l)).join(' ') : String(err);
    throw new InputError({ ...where, message: `template syntax: ${msg}` });
  }
  const problems: string[] = [];
  rewrite(ast, mode, template.split('\n'), problems);
  if (problems.length) throw new InputError(problems.map((message) => ({ ...where, message })));
  const fn = hb.compile(ast as unknown as hbs.AST.Program, { strict: true, noEscape: true });
  if (cache.size > 2000) cache.clear(); // templates are few; this only bounds pathological plans
  cache.set(key, fn);
  return fn;
}

/** Rewrites mustaches into output-helper calls and collects unknown helpers / partials. */
function rewrite(program: AnyNode, mode: RenderMode, lines: string[], problems: string[]): void {
  program.body = program.body.map((stmt: AnyNode) => {
    switch (stmt.type) {
      case 'MustacheStatement': {
        checkCall(stmt, problems);
        const helper = OUTPUT_HELPER[mode === 'shell' ? (stmt.escaped ? 'shell' : 'raw') : mode];
        return wrapOutput(stmt, helper, sourceOf(stmt, lines));
      }
      case 'BlockStatement':
        if (stmt.params.length || stmt.hash) checkCall(stmt, problems);
        if (stmt.program) rewrite(stmt.program, mode, lines, problems);
        if (stmt.inverse) rewrite(stmt.inverse, mode, lines, problems);
        return stmt;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        problems.push('template partials ({{> …}}) are not supported');
        return stmt;
      case 'Decorator':
      case 'DecoratorBlock':
        problems.push('template decorators are not supported');
        return stmt;
      default:
        return stmt;
    }
  });
}

/** A call with arguments must name a known helper; subexpressions are checked recursively. */
function checkCall(node: AnyNode, problems: string[]): void {
  const name = node.path?.type === 'PathExpression' ? node.path.original : undefined;
  if ((node.params.length || node.hash) && name !== undefined && !KNOWN_HELPERS.has(name)) {
    problems.push(`template uses unknown helper "${name}" (known: ${[...KNOWN_HELPERS].join(', ')})`);
  }
  for (const p of [...node.params, ...(node.hash?.pairs.map((h: AnyNode) => h.value) ?? [])]) {
    if (p.type === 'SubExpression') checkCall(p, problems);
  }
}

function wrapOutput(stmt: AnyNode, helper: string, exprText: string): AnyNode {
  const loc = stmt.loc;
  const str = (value: string) => ({ type: 'StringLiteral', value, original: value, loc });
  const pair = (key: string, value: string) => ({ type: 'HashPair', key, value: str(value), loc });
  const p = stmt.path;
  const isBareHelper = p.type === 'PathExpression' && KNOWN_HELPERS.has(p.original);
  const plainPath = p.type === 'PathExpression' && !p.data && p.depth === 0 && !stmt.params.length && !stmt.hash && !isBareHelper;
  const pairs = [pair('__expr', exprText)];
  let params: AnyNode[] = [];
  if (plainPath) pairs.push(pair('__path', p.parts.join('.')));
  else params = [stmt.params.length || stmt.hash || isBareHelper ? { type: 'SubExpression', path: p, params: stmt.params, hash: stmt.hash, loc } : p];
  return {
    type: 'MustacheStatement',
    path: { type: 'PathExpression', data: false, depth: 0, parts: [helper], original: helper, loc },
    params,
    hash: { type: 'Hash', pairs, loc },
    escaped: false,
    strip: stmt.strip,
    loc,
  };
}

/** The text between the braces of a mustache, for error messages. */
function sourceOf(stmt: AnyNode, lines: string[]): string {
  const { start, end } = stmt.loc;
  const text =
    start.line === end.line
      ? lines[start.line - 1].slice(start.column, end.column)
      : [lines[start.line - 1].slice(start.column), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column)].join('\n');
  return text.replace(/^\{\{\{?~?\s*/, '').replace(/\s*~?\}?\}\}$/, '');
}
