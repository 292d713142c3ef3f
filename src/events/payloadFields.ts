/** Reading a webhook payload, which is JSON of a shape nothing guarantees: every step may be missing. */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function field(v: unknown, key: string): unknown {
  return isObject(v) ? v[key] : undefined;
}

/** A non-empty string, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
