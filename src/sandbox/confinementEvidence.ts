/**
 * How a refusal by the sandbox reads in a test's failure text. Node names the errno in every
 * error it throws for a system call, and the runners keep the message, so the codes are the
 * evidence; the line that holds one is what the report shows.
 */

/**
 * No route (the run's network namespace has only loopback), no name resolution (the resolver is
 * out of reach), or fetch's own wrapper around either. A refused connection is not evidence: on
 * loopback it is what a test gets from a port nobody opened, with or without a sandbox.
 */
const NETWORK = /\b(?:ENETUNREACH|EHOSTUNREACH|EAI_AGAIN|ENOTFOUND)\b|getaddrinfo|\bfetch failed\b/;
const WRITE_REFUSED = /\bEROFS\b|read-only file system/i;

/** The first line of `text` that shows a connection the network namespace refused, capped. */
export function networkEvidence(text: string): string | undefined {
  return evidence(text, NETWORK);
}

/** The first line of `text` that shows a write to a read-only path. */
export function writeRefusedEvidence(text: string): string | undefined {
  return evidence(text, WRITE_REFUSED);
}

function evidence(text: string, pattern: RegExp): string | undefined {
  const line = text.split('\n').find((l) => pattern.test(l));
  return line === undefined ? undefined : line.trim().slice(0, 300);
}
