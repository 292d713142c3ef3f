/**
 * Failure text from a test runner, cut to fit a report line or a repair prompt without losing
 * what says what went wrong. The first error line and its code frame are at the head (a babel
 * SyntaxError with its `>  8 |` frame), the assertion that failed last is at the tail, and what
 * makes such messages long is the middle: dozens of parser stack frames. So long runs of stack
 * frames are folded first, and only then is the middle cut, head and tail both kept.
 */

/** Frames of one run of `at …` lines that are kept; the caller's own frames come first in a run. */
const FRAMES_PER_RUN = 6;
const STACK_FRAME = /^\s+at\s/;
/** Share of the cap given to the head when the middle must be cut. */
const HEAD_SHARE = 0.65;

export function condenseFailureText(text: string, maxChars: number): string {
  const folded = foldStackFrames(stripAnsi(text));
  if (folded.length <= maxChars) return folded;
  const marker = (cut: number): string => `\n… (${cut} characters cut) …\n`;
  const room = Math.max(0, maxChars - marker(folded.length).length);
  const headChars = Math.floor(room * HEAD_SHARE);
  const tailChars = room - headChars;
  const head = cutAtLineEnd(folded.slice(0, headChars));
  const tail = cutAtLineStart(folded.slice(folded.length - tailChars));
  return `${head}${marker(folded.length - head.length - tail.length)}${tail}`;
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

function foldStackFrames(text: string): string {
  const out: string[] = [];
  let run = 0;
  let dropped = 0;
  const flush = (): void => {
    if (dropped > 0) out.push(`      … ${dropped} more stack frame(s)`);
    run = 0;
    dropped = 0;
  };
  for (const line of text.split('\n')) {
    if (STACK_FRAME.test(line)) {
      if (run++ < FRAMES_PER_RUN) out.push(line);
      else dropped++;
      continue;
    }
    // `    at parser.next (<anonymous>)`-style continuation lines are frames too; blank lines end a run.
    flush();
    out.push(line);
  }
  flush();
  return out.join('\n');
}

/** Whole lines where the cut allows, so no half a frame or half a code-frame row is shown. */
function cutAtLineEnd(head: string): string {
  const end = head.lastIndexOf('\n');
  return end > head.length / 2 ? head.slice(0, end) : head;
}

function cutAtLineStart(tail: string): string {
  const start = tail.indexOf('\n');
  return start >= 0 && start < tail.length / 2 ? tail.slice(start + 1) : tail;
}

/** The first line with text, trimmed and capped: what a one-line warning quotes of a runner's error. */
export function firstLine(text: string, maxChars = 300): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, maxChars);
}
