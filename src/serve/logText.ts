/** The longest piece of request text a log line quotes; the rest is cut, so a client cannot flood the log. */
const MAX_LOGGED_CHARS = 200;

/**
 * Text from a request (a path, a model name) as it may appear in the server's log: JSON-quoted, so control
 * characters, newlines and terminal escapes show as `\n`, `\u001b` and cannot forge log lines or workflow commands
 * (`::` never starts a line of its own), and cut to a bounded length.
 */
export function logText(text: string): string {
  const cut = text.length > MAX_LOGGED_CHARS ? `${text.slice(0, MAX_LOGGED_CHARS)}…` : text;
  // JSON.stringify leaves U+2028/U+2029 and DEL as they are; they end lines in some viewers.
  return JSON.stringify(cut).replace(/[\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
