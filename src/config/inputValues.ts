import { InputError } from '../core/InputError.js';

/**
 * The value kinds action inputs and CLI flags share, each read one way everywhere: a wrong value is an InputError
 * naming the input, what was found and what to give instead.
 */

export function parseInteger(input: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw new InputError(input, `"${quoteless(text)}" is not a whole number`, `Give a number from ${min} to ${max}`);
  const n = Number(text);
  if (n < min || n > max) throw new InputError(input, `${n} is out of range`, `Give a number from ${min} to ${max}`);
  return n;
}

export function parseBoolean(input: string, text: string): boolean {
  const t = text.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(t)) return true;
  if (['false', 'no', '0', 'off'].includes(t)) return false;
  throw new InputError(input, `"${quoteless(text)}" is not a boolean`, 'Use true or false');
}

/** An amount in USD: decimals allowed (2.50), never negative. */
export function parseUsd(input: string, text: string, range: { min: number; max: number }): number {
  const fix = `Give an amount in US dollars from ${range.min} to ${range.max}, written like 2.50 (no $ sign, a dot for decimals)`;
  if (/^-\s*(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new InputError(input, `${text.replace(/\s+/g, '')} is negative`, fix);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new InputError(input, `"${quoteless(text)}" is not an amount`, fix);
  const n = Number(text);
  if (n < range.min || n > range.max) throw new InputError(input, `${n} is out of range`, fix);
  return n;
}

/** A percentage from 0 to 100, decimals allowed (72.5); a trailing % is accepted, since that is how people write one. */
export function parsePercentage(input: string, text: string): number {
  const fix = 'Give a percentage from 0 to 100, written like 80 or 72.5';
  const digits = text.replace(/\s*%$/, '');
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(digits)) throw new InputError(input, `"${quoteless(text)}" is not a percentage`, fix);
  const n = Number(digits);
  if (n > 100) throw new InputError(input, `${n} is out of range`, fix);
  return n;
}

/** User text for inside "…" in a message: control characters escaped (it reaches a CI log), cut short. */
function quoteless(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text).slice(1, -1);
}
