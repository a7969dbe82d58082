// The sidebar: the guides (read from content/, laid out by scripts/prepare.mjs from docs/), then the API
// reference of every package (content/api/typedoc-sidebar.json, written by typedoc-vitepress-theme).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DefaultTheme } from 'vitepress';

/** Guides whose file name (without .md) is listed here come first, in this order; the others follow, by title. */
const ORDER = [
  'index',
  'getting-started',
  'concepts',
  'process',
  'pool',
  'channel',
  'sync',
  'shared',
  'transport',
  'multiproc',
  'coming-from-python',
  'python',
  'performance',
  'errors',
];

/** Folders of content/ that hold no guides. */
const SKIP = new Set(['api', 'public', 'node_modules', '.vitepress']);

interface Guide {
  readonly slug: string;
  readonly title: string;
  readonly link: string;
}

/** The page's title: its frontmatter `title`, else its first `# ` heading, else its file name. */
export function pageTitle(file: string, fallback: string): string {
  const text = readFileSync(file, 'utf8');
  const frontmatter = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  const body = frontmatter ? text.slice(frontmatter[0].length) : text;
  const fmTitle = frontmatter?.[1] ? /^title:\s*(.+)$/m.exec(frontmatter[1])?.[1] : undefined;
  const heroName = frontmatter?.[1] ? /^\s+name:\s*(.+)$/m.exec(frontmatter[1])?.[1] : undefined;
  let inFence = false;
  let heading: string | undefined;
  for (const line of body.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    if (!inFence && line.startsWith('# ')) {
      heading = line.slice(2);
      break;
    }
  }
  const raw = fmTitle ?? heading ?? heroName ?? fallback;
  return raw
    .trim()
    .replace(/^['"]|['"]$/g, '')
    .replace(/`/g, '')
    .replace(/\s*\{#[^}]*\}\s*$/, '');
}

function rank(slug: string): number {
  const index = ORDER.indexOf(slug);
  return index === -1 ? ORDER.length : index;
}

function guidesIn(dir: string, root: string): Guide[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md') && statSync(join(dir, name)).isFile())
    .map((name) => {
      const slug = name.slice(0, -'.md'.length);
      const path = relative(root, join(dir, slug)).split(sep).join('/');
      const link = slug === 'index' ? `/${path.slice(0, -'index'.length)}` : `/${path}`;
      return { slug, title: pageTitle(join(dir, name), slug), link };
    })
    .sort((a, b) => rank(a.slug) - rank(b.slug) || a.title.localeCompare(b.title));
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1).replace(/[-_]/g, ' ');
}

/** One group for the top-level guides, then one per folder of guides (depth-first). */
export function guideSidebar(content: string): DefaultTheme.SidebarItem[] {
  const groups: DefaultTheme.SidebarItem[] = [];
  const top = guidesIn(content, content);
  if (top.length > 0) {
    groups.push({ text: 'Guides', items: top.map(({ title, link }) => ({ text: title, link })) });
  }
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (SKIP.has(name) || name.startsWith('.') || !statSync(path).isDirectory()) continue;
      const guides = guidesIn(path, content);
      if (guides.length > 0) {
        const index = guides.find((guide) => guide.slug === 'index');
        const text = index ? index.title : capitalize(name);
        groups.push({ text, collapsed: false, items: guides.map(({ title, link }) => ({ text: title, link })) });
      }
      walk(path);
    }
  };
  walk(content);
  return groups;
}

/** The API reference: one collapsible entry per package, each with its classes, functions, types. */
export function apiSidebar(content: string): DefaultTheme.SidebarItem[] {
  const file = join(content, 'api', 'typedoc-sidebar.json');
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`node scripts/prepare.mjs\` (the build script does) before vitepress`);
  }
  const packages = JSON.parse(readFileSync(file, 'utf8')) as DefaultTheme.SidebarItem[];
  return [{ text: 'API reference', link: '/api/', collapsed: false, items: packages }];
}
