/** Parses "12.34", "-0.5" or "7" into integer cents; more than two decimals is an error. */
export function parseCents(text: string): number {
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) {
    throw new SyntaxError(`parseCents: not an amount: "${text}"`);
  }
  const [, minus, units, fraction = ''] = match;
  const cents = Number(units) * 100 + Number(fraction.padEnd(2, '0'));
  return minus ? -cents : cents;
}

/** Formats integer cents as "1,234.50" (with a leading "-" for negative amounts). */
export function formatCents(cents: number): string {
  if (!Number.isInteger(cents)) {
    throw new RangeError(`formatCents: cents must be an integer, got ${cents}`);
  }
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${units}.${String(abs % 100).padStart(2, '0')}`;
}
