/** The egress firewall could not be installed, read or removed; the message names the step and what to do. */
export class FirewallError extends Error {
  override readonly name = 'FirewallError';
  constructor(
    readonly step: string,
    detail: string,
    fix: string
  ) {
    super(`Egress firewall: ${step} failed: ${detail}. ${fix}`);
  }
}
