/**
 * Markdown rendered the way GitHub renders comments and job summaries, for tests that check
 * what a reader sees rather than what our strings look like.
 *
 * cmark-gfm is GitHub's own fork of cmark, with the extensions github.com turns on: table,
 * strikethrough, autolink and tagfilter. Raw HTML is let through (`unsafe`), because GitHub's
 * cmark does the same and leaves the cleaning to a sanitiser that runs afterwards on the HTML.
 * That sanitiser is not part of cmark and not reproduced here, and tagfilter only turns the
 * `<` of nine tags into `&lt;` (title, textarea, style, xmp, iframe, noembed, noframes, script,
 * plaintext): an `<img onerror>` or `<a href>` survives it. So whatever HTML comes out below
 * is what our own escaping let through, which is the strictest reading a test can take.
 */

import cmark from 'cmark-gfm';
import { type DefaultTreeAdapterMap, parseFragment } from 'parse5';

export type HtmlNode = DefaultTreeAdapterMap['childNode'];
export type HtmlElement = DefaultTreeAdapterMap['element'];
export type HtmlFragment = DefaultTreeAdapterMap['documentFragment'];

const GITHUB_OPTIONS = {
  unsafe: true,
  extensions: { table: true, strikethrough: true, autolink: true, tagfilter: true }
} as const;

export function renderGithubHtml(markdown: string): string {
  return cmark.renderHtmlSync(markdown, GITHUB_OPTIONS);
}

/** The rendered HTML, parsed by a spec-compliant HTML parser the way a browser would build it. */
export function renderGithubFragment(markdown: string): HtmlFragment {
  return parseFragment(renderGithubHtml(markdown));
}

function isElement(node: HtmlNode | HtmlFragment): node is HtmlElement {
  return 'tagName' in node;
}

function childrenOf(node: HtmlNode | HtmlFragment): HtmlNode[] {
  if (isElement(node) && node.tagName === 'template') return (node as DefaultTreeAdapterMap['template']).content.childNodes;
  return 'childNodes' in node ? node.childNodes : [];
}

/** Every element under `root`, in document order. */
export function elementsIn(root: HtmlNode | HtmlFragment): HtmlElement[] {
  const found: HtmlElement[] = [];
  const visit = (node: HtmlNode | HtmlFragment): void => {
    if (isElement(node)) found.push(node);
    for (const child of childrenOf(node)) visit(child);
  };
  for (const child of childrenOf(root)) visit(child);
  return found;
}

/** Elements under `root` with this tag name. */
export function elementsNamed(root: HtmlNode | HtmlFragment, tagName: string): HtmlElement[] {
  return elementsIn(root).filter((e) => e.tagName === tagName);
}

/** The text a reader sees in `node`, entities decoded. */
export function textOf(node: HtmlNode | HtmlFragment): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return childrenOf(node).map(textOf).join('');
}

/** The direct children of `element` that are elements with this tag name. */
export function childElements(element: HtmlElement, tagName: string): HtmlElement[] {
  return element.childNodes.filter((c): c is HtmlElement => isElement(c) && c.tagName === tagName);
}

export interface RenderedTable {
  header: HtmlElement[];
  rows: HtmlElement[][];
}

/** Header cells and body rows of every table, as the HTML has them (GFM pads short rows and drops excess cells). */
export function tablesIn(root: HtmlNode | HtmlFragment): RenderedTable[] {
  return elementsNamed(root, 'table').map((table) => {
    const headRow = childElements(table, 'thead').flatMap((head) => childElements(head, 'tr'))[0];
    const bodyRows = childElements(table, 'tbody').flatMap((body) => childElements(body, 'tr'));
    return {
      header: headRow ? childElements(headRow, 'th') : [],
      rows: bodyRows.map((tr) => childElements(tr, 'td'))
    };
  });
}

/** "tag attr attr" for each element: the shape of the page, with no text in it. */
export function elementShape(root: HtmlNode | HtmlFragment): string[] {
  return elementsIn(root).map((e) => [e.tagName, ...e.attrs.map((a) => a.name).sort()].join(' '));
}
