/**
 * Turning untrusted text (model output, compiler errors, file names, PR titles) into
 * GitHub-flavoured markdown that cannot break the surrounding layout.
 */

/**
 * ASCII punctuation that changes meaning in GFM inline text or table rows. A backslash escape
 * works for every ASCII punctuation character in CommonMark, including inside table cells,
 * so one escaping serves tables, lists and quotes alike.
 * `<` and `&` are here because GitHub renders inline HTML and entities; a compiler message
 * such as "expected <details>" must not open a real tag.
 */
const MARKDOWN_SPECIAL = /[\\`*_[\]<>|~&]/g;
const LINE_BREAK = /\r\n|\r|\n/g;
/** `@name` and `@org/team` as GitHub links them (and notifies them): an `@` after a non-word character, then a name. */
const MENTION = /(^|\W)@(?=[A-Za-z0-9])/g;
/** U+2060 WORD JOINER: invisible, and GitHub no longer sees a mention behind it. */
const MENTION_BREAK = '\u2060';

/**
 * A file name, PR title or model answer saying `@someone` must not ping them from our comment.
 * GitHub links mentions in rendered text nodes, after markdown escapes are gone, so the `@` is
 * kept and an invisible joiner is put behind it instead.
 */
export function neutralizeMentions(text: string): string {
  return text.replace(MENTION, `$1@${MENTION_BREAK}`);
}

/** Free text for a table cell, list item or quote: markup neutralised, line breaks kept as <br>. */
export function escapeText(text: string): string {
  // A raw newline would end the table row or list item; <br> keeps the break visible.
  return neutralizeMentions(text)
    .replace(MARKDOWN_SPECIAL, (ch) => `\\${ch}`)
    .replace(LINE_BREAK, '<br>');
}

/**
 * An inline code span, for paths and identifiers. Backslash escapes do not work inside code
 * spans, so the fence is made longer than any backtick run in the content instead.
 * Inside a table GFM still splits cells on `|` within code spans unless it is written `\|`
 * (and then shows a plain `|`); outside a table `\|` would show the backslash.
 */
export function codeSpan(text: string, where: 'table' | 'text' = 'text'): string {
  let content = text.replace(LINE_BREAK, ' ');
  if (where === 'table') content = content.replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // A span that starts or ends with a backtick needs padding, which CommonMark strips again.
  const padded = content.startsWith('`') || content.endsWith('`') ? ` ${content} ` : content;
  return `${fence}${padded}${fence}`;
}

/** Cuts text to at most `max` UTF-16 units, marking the cut; never splits a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return '…'.slice(0, Math.max(0, max));
  return `${sliceWhole(text, max - 1)}…`;
}

/** `text.slice(0, end)` that steps back instead of leaving half a surrogate pair behind. */
export function sliceWhole(text: string, end: number): string {
  if (end <= 0) return '';
  if (end >= text.length) return text;
  const last = text.charCodeAt(end - 1);
  const isHighSurrogate = last >= 0xd800 && last <= 0xdbff;
  return text.slice(0, isHighSurrogate ? end - 1 : end);
}

/** Largest prefix of `text` whose UTF-8 encoding fits in `maxBytes`. */
export function sliceToUtf8Bytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  // Every UTF-16 unit costs at least one byte, so maxBytes units is an upper bound; binary search below it.
  let low = 0;
  let high = Math.min(text.length, maxBytes);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(sliceWhole(text, mid), 'utf8') <= maxBytes) low = mid;
    else high = mid - 1;
  }
  return sliceWhole(text, low);
}

export type ColumnAlign = 'left' | 'right' | 'center';

/** A GFM table from cells that are already escaped markdown. */
export function markdownTable(headers: string[], rows: string[][], align: ColumnAlign[] = []): string {
  const rule = headers.map((_, i) => {
    switch (align[i]) {
      case 'right':
        return '---:';
      case 'center':
        return ':---:';
      default:
        return '---';
    }
  });
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}

/** A collapsible block; the blank line after <summary> is what makes GitHub render the body as markdown. */
export function detailsBlock(summary: string, body: string): string {
  return `<details>\n<summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/** A GitHub alert ("> [!WARNING]"); older renderers still show it as a plain quote. */
export function alertBlock(kind: 'NOTE' | 'WARNING' | 'IMPORTANT', markdown: string): string {
  const quoted = markdown
    .split('\n')
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');
  return `> [!${kind}]\n${quoted}`;
}

/**
 * Text inside raw HTML (such as a <summary> line) is not markdown: backslash escapes would show,
 * so it gets HTML entities instead.
 */
export function escapeHtml(text: string): string {
  return neutralizeMentions(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(LINE_BREAK, ' ');
}
