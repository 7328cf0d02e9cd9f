/**
 * The built-in secret patterns that can be recognised on a single line (or a window of a binary
 * file). Every rule captures what precedes the secret in the named group `pre` and the secret
 * itself in `s`, so one engine can either replace the secret with a marker (text files) or mask
 * it byte-for-byte (pcaps and other binary files, whose structure must not move).
 *
 * Decisions worth knowing:
 * - kubeconfig `client-certificate-data` and `certificate-authority-data` are KEPT: they are
 *   public certificates (no key material) and support needs them to check expiry and issuers.
 * - Values that cannot be secrets (`true`, `false`, `null`, empty, a YAML block indicator) are
 *   left alone, so `automountServiceAccountToken: false` stays evidence.
 * - Text is handled as latin1 so every byte round-trips unchanged; patterns are ASCII.
 */

/** `[REDACTED:<kind>]`, the marker that replaces a secret in text files. */
export function marker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/** One inline rule. `regex` must be global and define the groups `pre` and `s`. */
export interface InlineRule {
  /** Kind used in the marker and the counts (a function when it depends on the key name). */
  kind: string | ((groups: Record<string, string | undefined>) => string);
  regex: RegExp;
  /** Return true to leave this match alone (e.g. a boolean value). */
  skip?: (secret: string) => boolean;
  /** The secret is an unquoted YAML value: quote the marker so the YAML keeps a string type. */
  yamlValue?: boolean;
}

/** Env/variable names that hold secrets: *PASSWORD*, *TOKEN*, *SECRET*, *API_KEY*, … */
export const SECRET_NAME = /(?:PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;
const SECRET_NAME_SRC = '(?:PASSWORD|PASSWD|TOKEN|SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)';

/** Mapping keys whose value is a secret (the key must END with one of these words). */
const SECRET_KEY_SRC =
  '[A-Za-z0-9_.\\-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|client-key-data|credentials?)';

/** Already redacted, or not a secret at all. */
const NOT_A_SECRET = /^(?:|true|false|null|~|yes|no|\{\}|\[\]|[|>][+-]?\d*|["']{2}|"?\[REDACTED:.*)$/i;

/** Kind from a key name: `client-key-data` → kubeconfig-client-key, `*password*` → password, … */
export function kindForKey(key: string): string {
  const k = key.toLowerCase();
  if (k.endsWith('client-key-data')) return 'kubeconfig-client-key';
  if (/pass(?:word|wd)$/.test(k)) return 'password';
  if (k.endsWith('token')) return 'token';
  return 'secret';
}

const AWS_KEY_ID = /A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA|BIA|CCA)[A-Z0-9]{16}/;
const TRIGGER_WORDS = ['key', 'token', 'secret', 'passw', 'pwd', 'bearer', 'authoriz', 'credential', 'last-applied'];

/**
 * Cheap pre-check: text on which none of the trigger words occurs cannot match any inline rule,
 * so the rules are skipped. Most evidence lines (logs, iptables, routes) take this path; it is
 * what makes redaction run at disk speed rather than regex speed. (Plain `includes` on a
 * lower-cased copy is several times faster than one case-insensitive alternation regex.)
 */
export function mayHoldSecret(text: string): boolean {
  const lower = text.toLowerCase();
  for (const w of TRIGGER_WORDS) if (lower.includes(w)) return true;
  if (lower.includes('://') && lower.includes('@')) return true;
  return AWS_KEY_ID.test(text);
}

/** Not already a marker (avoids double redaction by later rules). */
const NR = '(?!\\[REDACTED)';

export const INLINE_RULES: InlineRule[] = [
  {
    // A whole PEM private key on one line (JSON-escaped "\n", or a one-line log dump).
    kind: 'private-key',
    regex: /(?<pre>-----BEGIN (?<t>[A-Z0-9 ]*)PRIVATE KEY(?: BLOCK)?-----)(?<s>(?:(?!-----END)[\s\S])+)(?=-----END \k<t>PRIVATE KEY)/g,
    skip: (s) => s.startsWith('[REDACTED:'),
  },
  {
    kind: 'authorization',
    regex: new RegExp(
      `(?<pre>(?<![\\w-])(?:proxy-)?authorization["']?\\s*[:=]\\s*\\[?\\s*["']?(?:(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256)\\s+)?)(?<s>${NR}[^\\s"'\\]},]+(?:[ \\t]+[^\\s"'\\]},]+)*)`,
      'gi',
    ),
  },
  {
    kind: 'bearer-token',
    regex: new RegExp(`(?<pre>\\bbearer\\s+)(?<s>${NR}[A-Za-z0-9\\-._~+/]{8,}=*)`, 'gi'),
  },
  {
    kind: 'aws-access-key-id',
    regex: /(?<pre>(?<![A-Z0-9]))(?<s>(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16})(?![A-Z0-9])/g,
  },
  {
    kind: 'aws-secret-access-key',
    regex: /(?<pre>(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)["']?\s*[:=]\s*["']?)(?<s>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
  },
  {
    kind: 'url-password',
    regex: new RegExp(`(?<pre>\\b[a-z][a-z0-9+.\\-]*://[^\\s/:@"'<>]*:)(?<s>${NR}[^\\s/@"'<>]+)(?=@)`, 'gi'),
  },
  {
    // `{"name":"DB_PASSWORD","value":"…"}` and `{name: DB_PASSWORD, value: …}` on one line.
    kind: 'env-secret',
    regex: new RegExp(
      `(?<pre>["']?name["']?\\s*:\\s*["']?[A-Za-z0-9_.\\-]*${SECRET_NAME_SRC}[A-Za-z0-9_.\\-]*["']?\\s*,\\s*["']?value["']?\\s*:\\s*["']?)(?<s>${NR}(?:[^"'\\\\,}]|\\\\.)+)`,
      'gi',
    ),
  },
  {
    // ADO/JDBC-style connection strings: `Server=db;User Id=sa;Password=…;`.
    kind: 'connection-string-password',
    regex: new RegExp(`(?<pre>(?<![\\w\\-])(?:password|pwd|passwd)\\s*=\\s*)(?<s>${NR}[^;'"\\s&]+)`, 'gi'),
  },
  {
    // `DB_PASSWORD=…`, `export API_TOKEN="…"` (env dumps, shell scripts, container args).
    kind: 'env-secret',
    regex: new RegExp(
      `(?<pre>(?<![\\w\\-.])[A-Za-z0-9_]*${SECRET_NAME_SRC}[A-Za-z0-9_]*=)(?<s>${NR}(?:"[^"]*"|'[^']*'|[^\\s"';&]+))`,
      'gi',
    ),
  },
  {
    // `--token=…`, `--password …` on command lines.
    kind: 'credential-flag',
    regex: new RegExp(
      `(?<pre>--(?:password|passwd|token|secret|api-key|apikey|client-secret|access-key|secret-key|bearer-token|auth-token)(?:=|[ \\t]+))(?<s>${NR}(?!-)[^\\s"',]+)`,
      'gi',
    ),
  },
  {
    kind: 'last-applied-configuration',
    regex: /(?<pre>"kubectl\.kubernetes\.io\/last-applied-configuration"\s*:\s*")(?<s>(?:[^"\\]|\\.)+)(?=")/g,
    skip: (s) => s.startsWith('[REDACTED:'),
  },
  {
    // JSON `"password": "…"`, `"token": "…"`, `"client-key-data": "…"` anywhere on the line.
    kind: (g) => kindForKey(g.k ?? ''),
    regex: new RegExp(`(?<pre>"(?<k>${SECRET_KEY_SRC})"\\s*:\\s*")(?<s>(?:[^"\\\\]|\\\\.)+)(?=")`, 'gi'),
    skip: (s) => NOT_A_SECRET.test(s),
  },
  {
    // YAML `password: …` / `- token: "…"` (the whole rest of the line is the value).
    kind: (g) => kindForKey(g.k ?? ''),
    regex: new RegExp(`(?<pre>^[ \\t]*(?:-[ \\t]+)*(?<k>${SECRET_KEY_SRC})[ \\t]*:[ \\t]+)(?<s>[^\\r\\n]*?)(?=[ \\t]*\\r?$)`, 'gim'),
    skip: (s) => NOT_A_SECRET.test(s),
    yamlValue: true,
  },
  {
    // INI / properties `aws_secret_access_key = …`, `password = …`.
    kind: (g) => kindForKey(g.k ?? ''),
    regex: new RegExp(`(?<pre>^[ \\t]*(?<k>${SECRET_KEY_SRC})[ \\t]*=[ \\t]*)(?<s>[^\\r\\n]*?)(?=[ \\t]*\\r?$)`, 'gim'),
    skip: (s) => NOT_A_SECRET.test(s),
  },
];

/** A user pattern (`--redact-pattern`, `--redactors FILE`), already validated. */
export interface UserPattern {
  name: string;
  regex: RegExp;
  /** Replacement in `String.replace` syntax ($1…); absent → the whole match becomes the marker. */
  replace?: string;
}

/** How one rule's matches are rewritten: a marker (text) or same-length masking (binary). */
export type RedactMode = 'text' | 'binary';

/**
 * Applies one inline rule to `text`, adding to `counts`. In binary mode the secret bytes are
 * replaced by `*` so lengths and offsets never change.
 */
export function applyInlineRule(text: string, rule: InlineRule, mode: RedactMode, counts: Record<string, number>): string {
  rule.regex.lastIndex = 0;
  return text.replace(rule.regex, (match: string, ...rest: unknown[]) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined>;
    const pre = groups.pre ?? '';
    const secret = groups.s ?? '';
    if (secret.length === 0 || rule.skip?.(secret)) return match;
    const kind = typeof rule.kind === 'function' ? rule.kind(groups) : rule.kind;
    counts[kind] = (counts[kind] ?? 0) + 1;
    const after = match.slice(pre.length + secret.length);
    if (mode === 'binary') return pre + '*'.repeat(secret.length) + after;
    return pre + yamlSafe(secret, marker(kind), rule.yamlValue === true) + after;
  });
}

/** Keeps quoting intact: a quoted value stays quoted, an unquoted YAML value gets quotes. */
function yamlSafe(secret: string, mark: string, yamlValue: boolean): string {
  if (!yamlValue) return mark;
  const q = secret[0];
  if ((q === '"' || q === "'") && secret.length >= 2 && secret.endsWith(q)) return `${q}${mark}${q}`;
  return `"${mark}"`;
}

/** Applies a user pattern; the kind is `user:<name>`. */
export function applyUserPattern(text: string, p: UserPattern, mode: RedactMode, counts: Record<string, number>): string {
  const kind = `user:${p.name}`;
  p.regex.lastIndex = 0;
  return text.replace(p.regex, (...args: unknown[]) => {
    const match = args[0] as string;
    if (match.length === 0 || match.startsWith('[REDACTED:')) return match;
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (mode === 'binary') return '*'.repeat(match.length);
    if (p.replace === undefined) return marker(kind);
    // Expand $1… against this match only, so user replacements behave like String.replace.
    const single = new RegExp(p.regex.source, p.regex.flags.replace('g', ''));
    return match.replace(single, p.replace);
  });
}
