/** Left-aligned plain-text columns, the way `ip`/`ss` print them (readable in a ticket). */
export function textTable(header: string[], rows: Array<Array<string | number>>, indent = '  '): string[] {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, col) => Math.max(...cells.map((r) => (r[col] ?? '').length)));
  return cells.map((r) => indent + r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]))).join('  ').trimEnd());
}
