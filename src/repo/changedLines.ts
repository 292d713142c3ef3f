/**
 * Which lines of each file a pull request adds or rewrites, read from unified diff text: a whole
 * `git diff` (any context size; aqe runs it with -U0) or GitHub's per-file `patch` field, which
 * is the hunks of one file without the file headers.
 *
 * Lines are numbers in the NEW version of the file, 1-based. A line counts as changed when the
 * diff shows it with `+`: added outright, or rewritten (a `-`/`+` pair is an edit). Context lines
 * are unchanged. Deletions leave nothing in the new file to point at, so a deletion-only hunk
 * adds no line but the file still counts as changed.
 */

export type FileDiffStatus = 'added' | 'modified' | 'removed' | 'renamed' | 'copied';

export interface FileDiff {
  /** Repo-relative path of the new version; for a removed file, the path it had. */
  path: string;
  /** The path before a rename or copy; absent otherwise. */
  previousPath?: string;
  status: FileDiffStatus;
  /** Binary content: git shows no lines, so `addedLines` says nothing about it. */
  binary: boolean;
  /** Added or rewritten lines of the new version, ascending, without repeats. */
  addedLines: number[];
}

export class DiffParseError extends Error {
  override readonly name = 'DiffParseError';
}

/** Parses the output of `git diff` (with the default a/ and b/ prefixes) into one entry per file. */
export function parseGitDiff(text: string): FileDiff[] {
  const lines = text.split('\n');
  const files: FileDiff[] = [];
  let current: ParsingFile | undefined;
  let inBinaryPatch = false;
  const finish = (): void => {
    if (current) files.push(finishFile(current));
    current = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = stripCr(raw);
    if (line.startsWith('diff --git ')) {
      finish();
      inBinaryPatch = false;
      current = { header: parseGitHeaderNames(line.slice('diff --git '.length)), status: 'modified', binary: false, added: [] };
      continue;
    }
    // Text before the first file (a format-patch mail, a diffstat) is not part of any file.
    if (!current || inBinaryPatch) continue;
    if (line.startsWith('@@ ')) {
      i = readHunk(lines, i, current.added);
    } else if (line.startsWith('--- ')) {
      current.oldName = parseMarkerName(line.slice(4), 'a/');
    } else if (line.startsWith('+++ ')) {
      current.newName = parseMarkerName(line.slice(4), 'b/');
    } else if (line.startsWith('new file mode ')) {
      current.status = 'added';
    } else if (line.startsWith('deleted file mode ')) {
      current.status = 'removed';
    } else if (line.startsWith('rename from ') || line.startsWith('copy from ')) {
      current.status = line.startsWith('rename') ? 'renamed' : 'copied';
      current.fromName = unquoteIfQuoted(line.slice(line.indexOf(' from ') + 6));
    } else if (line.startsWith('rename to ') || line.startsWith('copy to ')) {
      current.toName = unquoteIfQuoted(line.slice(line.indexOf(' to ') + 4));
    } else if (line.startsWith('Binary files ') && line.endsWith(' differ')) {
      current.binary = true;
    } else if (line === 'GIT binary patch') {
      current.binary = true;
      // base85 data follows until the next file; none of it is a diff line.
      inBinaryPatch = true;
    }
  }
  finish();
  return files;
}

/**
 * Parses the hunks of one file without file headers, as GitHub's "list pull request files"
 * sends them in `patch`, into the added or rewritten lines of the new version.
 */
export function parsePatchLines(patch: string): number[] {
  const lines = patch.split('\n');
  const added: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = stripCr(lines[i]!);
    if (line.startsWith('@@ ')) i = readHunk(lines, i, added);
    else if (line === '' || line.startsWith('\\')) continue;
    else throw new DiffParseError(`Unexpected line ${i + 1} outside a hunk in a patch: ${JSON.stringify(line.slice(0, 80))}`);
  }
  return sortedUnique(added);
}

/** Collapses ascending line numbers into inclusive [start, end] runs, for messages and prompts. */
export function toLineRanges(lines: readonly number[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const line of lines) {
    const last = ranges[ranges.length - 1];
    if (last && line === last[1] + 1) last[1] = line;
    else if (!last || line > last[1]) ranges.push([line, line]);
  }
  return ranges;
}

interface ParsingFile {
  header: { oldName?: string; newName?: string };
  oldName?: string | null;
  newName?: string | null;
  fromName?: string;
  toName?: string;
  status: FileDiffStatus;
  binary: boolean;
  added: number[];
}

function finishFile(file: ParsingFile): FileDiff {
  // The ---/+++ and rename/copy lines name files unambiguously; the diff --git line is the last resort.
  const oldName = file.fromName ?? file.oldName ?? file.header.oldName;
  const newName = file.toName ?? file.newName ?? file.header.newName;
  const path = file.status === 'removed' ? (oldName ?? newName) : (newName ?? oldName);
  if (path === undefined || path === null) throw new DiffParseError('A file in the diff names no path (expected "diff --git a/... b/..." or ---/+++ lines).');
  const result: FileDiff = { path, status: file.status, binary: file.binary, addedLines: sortedUnique(file.added) };
  if ((file.status === 'renamed' || file.status === 'copied') && oldName && oldName !== path) result.previousPath = oldName;
  return result;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Reads the hunk whose header is lines[start], appending the new-file numbers of its `+` lines
 * to `added`. The header's line counts say where the hunk ends, so a body line that happens to
 * look like a header ("+++ x", "diff --git" inside added text) is never mistaken for one.
 * Returns the index of the hunk's last line.
 */
function readHunk(lines: readonly string[], start: number, added: number[]): number {
  const header = stripCr(lines[start]!);
  const match = HUNK_HEADER.exec(header);
  if (!match) throw new DiffParseError(`Malformed hunk header: ${JSON.stringify(header.slice(0, 80))}`);
  let oldLeft = match[2] === undefined ? 1 : Number(match[2]);
  let newLeft = match[4] === undefined ? 1 : Number(match[4]);
  let newLine = Number(match[3]);
  let i = start;
  while (oldLeft > 0 || newLeft > 0) {
    i++;
    if (i >= lines.length) throw new DiffParseError(`The diff ends inside the hunk "${header}": it was cut short.`);
    const line = lines[i]!;
    const kind = line[0];
    if (kind === '+') {
      added.push(newLine++);
      newLeft--;
    } else if (kind === '-') {
      oldLeft--;
    } else if (kind === ' ' || line === '' || line === '\r') {
      // Context; some tools strip the space of an empty context line.
      newLine++;
      oldLeft--;
      newLeft--;
    } else if (kind === '\\') {
      // "\ No newline at end of file" describes the line before it and occupies no line.
    } else {
      throw new DiffParseError(
        `Line ${i + 1} of the diff is not a hunk line although the hunk "${header}" is not complete: ${JSON.stringify(line.slice(0, 80))}`
      );
    }
    if (oldLeft < 0 || newLeft < 0) throw new DiffParseError(`The hunk "${header}" has more lines than its header counts.`);
  }
  return i;
}

/** Name on a ---/+++ line: null for /dev/null; a trailing tab (and timestamp) is not part of it. */
function parseMarkerName(text: string, prefix: string): string | null {
  let name: string;
  if (text.startsWith('"')) {
    const quoted = readQuoted(text, 0);
    if (!quoted) throw new DiffParseError(`Malformed quoted file name: ${text}`);
    name = quoted.value;
  } else {
    const tab = text.indexOf('\t');
    name = tab === -1 ? text : text.slice(0, tab);
  }
  if (name === '/dev/null') return null;
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

/**
 * The two names on a "diff --git a/X b/Y" line. Unquoted names may contain spaces, which makes
 * the split ambiguous; as git itself does, an unquoted pair is read as two equal names when the
 * line allows it (only renames and copies differ, and those carry explicit "rename from/to").
 */
function parseGitHeaderNames(rest: string): { oldName?: string; newName?: string } {
  const strip = (name: string, prefix: string): string => (name.startsWith(prefix) ? name.slice(prefix.length) : name);
  if (rest.startsWith('"')) {
    const first = readQuoted(rest, 0);
    if (!first || rest[first.end] !== ' ') return {};
    const second = rest.slice(first.end + 1);
    const newName = second.startsWith('"') ? readQuoted(second, 0)?.value : second;
    return { oldName: strip(first.value, 'a/'), newName: newName === undefined ? undefined : strip(newName, 'b/') };
  }
  if (rest.endsWith('"')) {
    for (let at = rest.indexOf(' "'); at !== -1; at = rest.indexOf(' "', at + 1)) {
      const quoted = readQuoted(rest, at + 1);
      if (quoted && quoted.end === rest.length) return { oldName: strip(rest.slice(0, at), 'a/'), newName: strip(quoted.value, 'b/') };
    }
    return {};
  }
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2;
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (rest[half] === ' ' && strip(a, 'a/') === strip(b, 'b/')) return { oldName: strip(a, 'a/'), newName: strip(b, 'b/') };
  }
  const split = rest.indexOf(' b/');
  if (split === -1) return {};
  return { oldName: strip(rest.slice(0, split), 'a/'), newName: rest.slice(split + 3) };
}

function unquoteIfQuoted(text: string): string {
  if (!text.startsWith('"')) return text;
  const quoted = readQuoted(text, 0);
  if (!quoted) throw new DiffParseError(`Malformed quoted file name: ${text}`);
  return quoted.value;
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/**
 * Reads a C-style quoted name starting at text[start] (git quotes names with control characters,
 * quotes or backslashes, and, unless core.quotePath is off, non-ASCII bytes as octal escapes).
 * Returns the name and the index just after the closing quote, or undefined if it is malformed.
 */
function readQuoted(text: string, start: number): { value: string; end: number } | undefined {
  if (text[start] !== '"') return undefined;
  const bytes: number[] = [];
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') return { value: Buffer.from(bytes).toString('utf8'), end: i + 1 };
    if (ch !== '\\') {
      const char = String.fromCodePoint(text.codePointAt(i)!);
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) return undefined;
    if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(text.slice(i + 1))![0];
      bytes.push(parseInt(octal, 8));
      i += octal.length;
    } else if (next in C_ESCAPES) {
      bytes.push(C_ESCAPES[next]!);
      i += 1;
    } else {
      return undefined;
    }
  }
  return undefined;
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function sortedUnique(lines: number[]): number[] {
  return [...new Set(lines)].sort((a, b) => a - b);
}
