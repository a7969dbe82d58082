/** A plain-text table (Markdown-compatible, so it can be pasted into a README as is). */

/**
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 * @param {('l' | 'r')[]} [align] per column; numbers default to right
 */
export function formatTable(header, rows, align = []) {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(3, ...cells.map((row) => row[i].length)));
  const side = header.map((_, i) => align[i] ?? (i === 0 ? 'l' : 'r'));
  const pad = (text, i) => (side[i] === 'r' ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (row) => `| ${row.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (side[i] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...cells.slice(1).map(line)].join('\n');
}

/** ms with two decimals. */
export function ms(value) {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}
