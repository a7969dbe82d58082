// Copies the results in this app's README into the documentation site's docs/performance.md: keeps the
// page's own introduction (everything before its first "## Latest full run" heading) and replaces the rest
// with every "## " section of the README except "Running". Run after updating the README:
//   node scripts/performance-doc.mjs        (from apps/bench)
import { readFileSync, writeFileSync } from 'node:fs';

const README = new URL('../README.md', import.meta.url);
const PAGE = new URL('../../../docs/performance.md', import.meta.url);
const FIRST_COPIED = '## Latest full run';

const page = readFileSync(PAGE, 'utf8');
const cut = page.indexOf(`\n${FIRST_COPIED}`);
if (cut < 0) throw new Error(`docs/performance.md has no "${FIRST_COPIED}" heading to replace from`);
const sections = readFileSync(README, 'utf8')
  .split(/^(?=## )/m)
  .filter((section) => section.startsWith('## ') && !section.startsWith('## Running'))
  .map((section) => section.trimEnd() + '\n');
if (!sections[0]?.startsWith(FIRST_COPIED)) throw new Error(`the README's first results section is not "${FIRST_COPIED}"`);
writeFileSync(PAGE, `${page.slice(0, cut + 1)}${sections.join('\n')}`);
console.log(`docs/performance.md: ${sections.length} sections from apps/bench/README.md`);
