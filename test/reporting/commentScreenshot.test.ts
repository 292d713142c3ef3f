/**
 * The comment and the summary as a browser draws them: rendered with GitHub's cmark-gfm, laid out
 * in a GitHub-like page by Debian's chromium (headless), and written as screenshots to
 * test-artifacts/ for a person to look at. Every request the page makes is refused, so nothing
 * leaves the machine even where a report's text held an image.
 */

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

import { renderComment, renderSummary } from '../../src/reporting/renderMarkdown.js';
import { githubPage, pngSize } from '../support/githubPage.js';
import { renderGithubHtml } from '../support/githubMarkdown.js';
import { INJECTED_IMAGE, makeHybridReport } from './hybridReportFixture.js';

const CHROMIUM = process.env.AQE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-artifacts');
const PAGE_WIDTH = 960;

const skipReason = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (Debian: apt-get install chromium; or point AQE_CHROMIUM at one)`;
if (skipReason !== undefined && process.env.AQE_CI_REQUIRE_CHROMIUM === '1') {
  throw new Error(`AQE_CI_REQUIRE_CHROMIUM is set, but the screenshot test cannot run: ${skipReason}`);
}
const describeChromium = skipReason === undefined ? describe : describe.skip;
if (skipReason !== undefined) console.warn(`Skipping the comment screenshot test: ${skipReason}`);

/**
 * The few DOM members the functions run in the page use. The project is typed for Node without the
 * DOM library, and these are declared in this module only, so no other file sees a `document`.
 */
interface PageElement {
  readonly children: ArrayLike<PageElement>;
  readonly textContent: string | null;
  open?: boolean;
  getBoundingClientRect(): { left: number };
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
declare const document: { querySelectorAll(selector: string): ArrayLike<PageElement>; body: { innerText: string } };
declare const window: { __aqeInjected?: unknown };

interface Laid {
  /** Per table: each row's cell count and the left edges of its cells, header row first. */
  tables: Array<Array<{ cells: number; lefts: number[] }>>;
  details: string[];
  injected: boolean;
}

/** A fresh page whose every request is refused and noted; the document itself comes from setContent, not the network. */
async function offlinePage(browser: Browser, refused: string[]): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: PAGE_WIDTH, height: 800 });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    refused.push(request.url());
    void request.abort('blockedbyclient');
  });
  return page;
}

/** The page's tables as drawn, its <details> summaries, and whether any handler of injected HTML ran. */
async function layoutOf(page: Page): Promise<Laid> {
  return page.evaluate(() => ({
    tables: Array.from(document.querySelectorAll('table')).map((table) =>
      Array.from(table.querySelectorAll('tr')).map((tr) => {
        const cells = Array.from(tr.children);
        return { cells: cells.length, lefts: cells.map((c) => Math.round(c.getBoundingClientRect().left)) };
      })
    ),
    details: Array.from(document.querySelectorAll('details > summary')).map((s) => s.textContent ?? ''),
    injected: window.__aqeInjected !== undefined
  }));
}

/** Loads `markdown` as GitHub renders it, opens every <details> so the picture shows them, and waits for the page to settle. */
async function show(page: Page, markdown: string, heading: string): Promise<void> {
  await page.setContent(githubPage(renderGithubHtml(markdown), heading), { waitUntil: 'load' });
  await page.evaluate(() => {
    for (const d of Array.from(document.querySelectorAll('details'))) d.open = true;
  });
}

async function screenshot(page: Page, name: string): Promise<{ width: number; height: number }> {
  const file = path.join(ARTIFACTS, name);
  await page.screenshot({ path: file, fullPage: true });
  return pngSize(await readFile(file));
}

/** Every row of every table has the header's cells, each starting where its header cell starts. */
function expectColumnsAligned(tables: Laid['tables']): void {
  expect(tables.length).toBeGreaterThan(0);
  for (const [header, ...rows] of tables) {
    for (const row of rows) {
      expect(row.cells).toBe(header!.cells);
      expect(row.lefts).toEqual(header!.lefts);
    }
  }
}

describeChromium('the comment and the summary in a browser', () => {
  let browser: Browser;
  const report = makeHybridReport();

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root cannot use chromium's own sandbox; the page is local text with every request refused.
      args: ['--headless=new', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--no-first-run', '--font-render-hinting=none'],
      timeout: 15_000
    });
  }, 20_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('draws the comment with aligned tables and its details, runs no injected handler, and writes comment.png', async () => {
    const refused: string[] = [];
    const page = await offlinePage(browser, refused);
    await show(page, renderComment(report), 'github-actions commented');
    const laid = await layoutOf(page);
    expect(laid.injected).toBe(false);
    expect(refused).toEqual([]);
    expectColumnsAligned(laid.tables);
    // The files table as a reviewer reads it: five columns, a row per candidate.
    expect(laid.tables[0]![0]!.cells).toBe(5);
    expect(laid.tables[0]!.length).toBe(1 + report.candidates.length);
    expect(laid.details.map((s) => s.split(':')[0])).toEqual(
      expect.arrayContaining(['❌ Rejected candidates (3)', 'Skipped files (1)', '⚙️ Inference', '🧭 Routing', '💰 Cost'])
    );
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain(INJECTED_IMAGE);
    expect(text).toContain('Time per phase: targets 850 ms');
    const size = await screenshot(page, 'comment.png');
    expect(size.width).toBe(PAGE_WIDTH);
    expect(size.height).toBeGreaterThan(800);
    expect(size.height).toBeLessThan(20_000);
    await page.close();
  });

  it('draws the summary with its phase table and the charts as mermaid blocks, and writes summary.png', async () => {
    const refused: string[] = [];
    const page = await offlinePage(browser, refused);
    await show(page, renderSummary(report), 'Job summary');
    const laid = await layoutOf(page);
    expect(laid.injected).toBe(false);
    expect(refused).toEqual([]);
    expectColumnsAligned(laid.tables);
    const charts = await page.evaluate(() => Array.from(document.querySelectorAll('pre > code.language-mermaid')).map((c) => c.textContent ?? ''));
    expect(charts.map((c) => c.split('\n')[1]?.trim())).toEqual(['title Candidates by outcome', 'title Time per phase in ms']);
    const size = await screenshot(page, 'summary.png');
    expect(size.width).toBe(PAGE_WIDTH);
    expect(size.height).toBeGreaterThan(1_200);
    await page.close();
  });

  it('would have caught the injection: the same image as raw HTML has its request refused and runs its handler', async () => {
    const refused: string[] = [];
    const page = await offlinePage(browser, refused);
    await page.setContent(githubPage(`<p>${INJECTED_IMAGE}</p>`, 'control'), { waitUntil: 'load' });
    await page.waitForFunction(() => window.__aqeInjected !== undefined, { timeout: 5_000 });
    expect((await layoutOf(page)).injected).toBe(true);
    expect(refused).toEqual(['https://example.com/pixel.png']);
    await page.close();
  });
});
