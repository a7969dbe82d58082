// The documentation site in a real browser: the built site (apps/docs/.vitepress/dist, rebuilt here when its
// inputs changed since the last build) served on 127.0.0.1 and driven in Debian's Chromium with playwright-core.
// Every page must load without a console error, a page error or a failed request; sidebar navigation and the local
// search must work; the home page is screenshotted to test-results/home.png.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dist, isBuildFresh } from '../scripts/inputs.mjs';
import { CHROMIUM_ARGS, ensureChromium } from './support/chromium.js';
import { serveStatic, type StaticServer } from './support/static-server.js';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const screenshot = join(app, 'test-results', 'home.png');

/** Builds the site (scripts/build.mjs: TypeDoc Markdown + vitepress build) unless the last build is up to date. */
async function buildSite(): Promise<void> {
  if (isBuildFresh()) return;
  const child = spawn(process.execPath, [join(app, 'scripts', 'build.mjs')], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`building the docs site failed (exit ${code}):\n${output.slice(-6000)}`);
}

/** Every page of the built site, as URL paths (`/`, `/guide/pool.html`, ...); 404.html is not a page. */
function pagesOf(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (name.startsWith('.') || name === 'assets') return [];
      return statSync(path).isDirectory() ? walk(path) : name.endsWith('.html') ? [path] : [];
    });
  return walk(root)
    .map((file) => `/${relative(root, file).split(sep).join('/')}`)
    .filter((path) => path !== '/404.html')
    .map((path) => (path.endsWith('/index.html') ? path.slice(0, -'index.html'.length) : path))
    .sort();
}

interface Problem {
  readonly page: string;
  readonly kind: 'console' | 'pageerror' | 'requestfailed' | 'http';
  readonly detail: string;
}

let server: StaticServer;
let browser: Browser;
let context: BrowserContext;
let problems: Problem[] = [];

/** One browser tab that records every console error, page error and failed request, with the page it was on. */
class Tab {
  current = '';
  private readonly inFlight = new Set<Request>();

  constructor(readonly page: Page) {
    page.setDefaultTimeout(30_000);
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push({ page: this.current, kind: 'console', detail: message.text() });
    });
    page.on('pageerror', (error) => problems.push({ page: this.current, kind: 'pageerror', detail: String(error) }));
    page.on('request', (request) => this.inFlight.add(request));
    page.on('requestfinished', (request) => this.inFlight.delete(request));
    page.on('requestfailed', (request) => {
      this.inFlight.delete(request);
      const error = request.failure()?.errorText ?? '?';
      // VitePress prefetches the pages that visible links lead to (<link rel="prefetch">, when the browser is idle);
      // leaving a page cancels those still in flight. A prefetch that reaches the server and fails is caught below.
      if (error === 'net::ERR_ABORTED' && request.headers()['sec-purpose']?.includes('prefetch')) return;
      problems.push({ page: this.current, kind: 'requestfailed', detail: `${request.url()}: ${error}` });
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push({ page: this.current, kind: 'http', detail: `${response.status()} ${response.url()}` });
    });
  }

  static async open(): Promise<Tab> {
    return new Tab(await context.newPage());
  }

  /** Resolves once no request has been in flight for `quietMs` (fonts, the favicon, prefetches); at most 15 s. */
  async networkQuiet(quietMs = 100): Promise<void> {
    const deadline = Date.now() + 15_000;
    let quietSince = Date.now();
    while (Date.now() < deadline) {
      if (this.inFlight.size > 0) quietSince = Date.now();
      else if (Date.now() - quietSince >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`requests still in flight after 15 s: ${[...this.inFlight].map((request) => request.url()).join(', ')}`);
  }

  /** Loads a page, waits for VitePress's Vue app to hydrate it and for its requests to finish. */
  async goto(path: string): Promise<void> {
    await this.networkQuiet(); // leaving a page cancels what it still loads
    this.current = path;
    const response = await this.page.goto(server.origin + path, { waitUntil: 'load' });
    expect(response?.status(), `${path} answered`).toBe(200);
    await this.page.waitForFunction(() => Boolean((document.querySelector('#app') as { __vue_app__?: unknown } | null)?.__vue_app__));
    await this.networkQuiet();
  }

  /** Clicks a link and waits for the client-side router to reach `path`. */
  async follow(link: ReturnType<Page['locator']>, path: string): Promise<void> {
    await link.click();
    await this.page.waitForURL((url) => url.pathname === path);
    this.current = path;
    await this.networkQuiet();
  }

  /** The text of the page's main heading. */
  async heading(): Promise<string> {
    // The heading's anchor link renders as a zero-width space.
    return (await this.page.locator('.vp-doc h1').first().innerText()).replace(/\u200b/g, '').replace(/\s+/g, ' ').trim();
  }
}

let tab: Tab;

beforeAll(async () => {
  const executablePath = ensureChromium();
  await buildSite();
  server = await serveStatic(dist);
  browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  tab = await Tab.open();
}, 15 * 60_000);

afterEach(() => {
  const seen = problems;
  problems = [];
  expect(seen, 'console errors, page errors or failed requests').toEqual([]);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
});

// Two tabs: the machine has two cores, shared with the other test projects.
const SWEEP_TABS = 2;

describe('the documentation site', () => {
  it('loads every page without console errors, page errors or failed requests', async () => {
    const pages = pagesOf(dist);
    // The guides, the API index and the API index page of every package.
    expect(pages).toContain('/');
    expect(pages).toContain('/api/');
    const packagesDir = join(app, '..', '..', 'packages');
    for (const name of readdirSync(packagesDir)) {
      const manifest = join(packagesDir, name, 'package.json');
      if (!statSync(manifest, { throwIfNoEntry: false })?.isFile()) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
      expect(pages, `API reference of ${pkg.name}`).toContain(`/api/${pkg.name}/`);
    }
    // A few tabs at once, each page loaded from scratch.
    const queue = [...pages];
    const visited: string[] = [];
    const sweep = async (): Promise<void> => {
      const sweeper = await Tab.open();
      try {
        for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
          await sweeper.goto(path);
          expect(await sweeper.page.title(), `${path} is not the 404 page`).not.toMatch(/^404/);
          expect(await sweeper.page.locator('.NotFound').count(), `${path} renders a page`).toBe(0);
          const heading = path === '/' ? sweeper.page.locator('h1').first() : sweeper.page.locator('.vp-doc h1').first();
          expect((await heading.innerText()).trim(), `${path} has a heading`).not.toBe('');
          visited.push(path);
        }
        await sweeper.networkQuiet();
      } finally {
        await sweeper.page.close();
      }
    };
    await Promise.all(Array.from({ length: SWEEP_TABS }, sweep));
    expect(visited.sort()).toEqual(pages);
    // Every sidebar link leads to one of those pages.
    await tab.goto('/api/');
    const links = await tab.page
      .locator('.VPSidebar a.link[href]')
      .evaluateAll((anchors) => anchors.map((anchor) => (anchor as HTMLAnchorElement).pathname));
    expect(links.length).toBeGreaterThan(pages.length / 2);
    for (const link of links) expect(pages, `sidebar link ${link}`).toContain(link);
  }, 10 * 60_000);

  it('navigates by the sidebar and the nav bar without reloading the page', async () => {
    const { page } = tab;
    await tab.goto('/api/');
    await page.evaluate(() => ((window as { __notReloaded?: boolean }).__notReloaded = true));
    const guideLinks = await page
      .locator('.VPSidebar .group')
      .filter({ hasNotText: 'API reference' })
      .locator('a.link[href]')
      .evaluateAll((anchors) =>
        anchors.map((anchor) => ({ href: (anchor as HTMLAnchorElement).pathname, text: anchor.textContent?.replace(/\s+/g, ' ').trim() ?? '' })),
      );
    expect(guideLinks.length, 'the sidebar lists the guides').toBeGreaterThan(3);
    for (const { href, text } of guideLinks.filter((link) => link.href !== '/')) {
      await tab.follow(page.locator(`.VPSidebar a.link[href="${href}"]`).first(), href);
      await expect.poll(() => tab.heading(), { message: `the heading of ${href}` }).toContain(text);
      expect(await page.locator(`.VPSidebar .VPSidebarItem.is-active > .item > a.link[href="${href}"]`).count(), `${href} is the active sidebar entry`).toBe(1);
    }
    // The nav bar's API entry, a package of the API reference, then one of its classes.
    await tab.follow(page.locator('.VPNavBar a', { hasText: /^API$/ }).first(), '/api/');
    await tab.follow(page.locator('.vp-doc a', { hasText: '@multiproc/pool' }).first(), '/api/@multiproc/pool/');
    await expect.poll(() => tab.heading()).toContain('@multiproc/pool');
    await tab.follow(page.locator('.vp-doc a', { hasText: /^Pool$/ }).first(), '/api/@multiproc/pool/classes/Pool.html');
    await expect.poll(() => tab.heading()).toBe('Class: Pool');
    // Back goes back, in the app.
    await page.goBack();
    await page.waitForURL((url) => url.pathname === '/api/@multiproc/pool/');
    tab.current = '/api/@multiproc/pool/';
    await expect.poll(() => tab.heading()).toContain('@multiproc/pool');
    expect(await page.evaluate(() => (window as { __notReloaded?: boolean }).__notReloaded), 'client-side navigation throughout').toBe(true);
  }, 5 * 60_000);

  it('finds the Pool guide and its API page when searching for "Pool.map"', async () => {
    const { page } = tab;
    await tab.goto('/');
    await tab.goto('/api/');
    // The Pool guide: the guide in the sidebar (outside the API reference) whose file is pool.md.
    const guides = await page
      .locator('.VPSidebar .group')
      .filter({ hasNotText: 'API reference' })
      .locator('a.link[href]')
      .evaluateAll((anchors) => anchors.map((anchor) => (anchor as HTMLAnchorElement).pathname));
    const poolGuide = guides.find((path) => /(^|\/)pools?(\.html)?$/i.test(path));
    expect(poolGuide, `a Pool guide among ${guides.join(', ')}`).toBeDefined();
    const poolApi = '/api/@multiproc/pool/classes/Pool.html';

    await page.locator('#local-search .DocSearch-Button').click();
    const input = page.locator('#localsearch-input');
    await input.waitFor();
    await input.pressSequentially('Pool.map', { delay: 20 });
    await page.locator('#localsearch-list a.result').first().waitFor();
    const found = async (): Promise<string[]> =>
      page.locator('#localsearch-list a.result').evaluateAll((anchors) => anchors.map((anchor) => (anchor as HTMLAnchorElement).pathname));
    await expect.poll(async () => ({ guide: (await found()).includes(poolGuide!), api: (await found()).includes(poolApi) })).toEqual({ guide: true, api: true });

    // Choosing a result opens it.
    await tab.follow(page.locator(`#localsearch-list a.result[href^="${poolGuide}#"], #localsearch-list a.result[href="${poolGuide}"]`).first(), poolGuide!);
    await expect.poll(() => tab.heading()).toMatch(/pool/i);
  }, 2 * 60_000);

  it('takes a screenshot of the home page', async () => {
    await tab.goto('/');
    mkdirSync(dirname(screenshot), { recursive: true });
    await tab.page.screenshot({ path: screenshot, fullPage: true });
    const png = readFileSync(screenshot);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16), 'width').toBe(1280);
    expect(png.readUInt32BE(20), 'height').toBeGreaterThanOrEqual(900);
    expect(png.length).toBeGreaterThan(10_000);
  });
});
