/**
 * A page that lays out rendered markdown roughly the way github.com shows a comment or a job
 * summary: the same box model for tables, code, details and alerts, with system fonts only, so a
 * headless browser can draw it without fetching anything.
 */

const GITHUB_LIKE_CSS = `
  :root { color-scheme: light; }
  body { margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
  .comment { box-sizing: border-box; width: 900px; margin: 16px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
  .comment-header { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0; border-radius: 6px 6px 0 0; color: #59636e; }
  .markdown-body { padding: 16px; word-wrap: break-word; }
  .markdown-body > :first-child { margin-top: 0; }
  h2, h3 { margin: 24px 0 16px; font-weight: 600; line-height: 1.25; }
  h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; }
  h3 { font-size: 1.25em; }
  p, ul, table, pre, blockquote, details { margin: 0 0 16px; }
  ul { padding-left: 2em; }
  a { color: #0969da; text-decoration: none; }
  code { padding: .2em .4em; font: 85% ui-monospace, "DejaVu Sans Mono", monospace; background: rgba(129, 139, 152, .12); border-radius: 6px; }
  pre { padding: 16px; overflow: auto; background: #f6f8fa; border-radius: 6px; }
  pre code { padding: 0; background: transparent; }
  table { display: block; width: max-content; max-width: 100%; overflow: auto; border-spacing: 0; border-collapse: collapse; }
  th, td { padding: 6px 13px; border: 1px solid #d1d9e0; }
  th { font-weight: 600; }
  tr:nth-child(2n) { background: #f6f8fa; }
  blockquote { padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
  summary { cursor: pointer; }
  sub { color: #59636e; }
`;

/** A whole HTML document holding `bodyHtml` (rendered markdown) in a comment box titled `heading`. */
export function githubPage(bodyHtml: string, heading: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeAttribute(heading)}</title>`,
    `<style>${GITHUB_LIKE_CSS}</style>`,
    '</head><body>',
    `<div class="comment"><div class="comment-header">${escapeAttribute(heading)}</div>`,
    `<div class="markdown-body">${bodyHtml}</div></div>`,
    '</body></html>'
  ].join('\n');
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Width and height from a PNG's IHDR chunk, which the format requires to come first. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (png.length < 24 || !png.subarray(0, 8).equals(signature) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`not a PNG file (${png.length} bytes, starting ${png.subarray(0, 16).toString('hex')})`);
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
