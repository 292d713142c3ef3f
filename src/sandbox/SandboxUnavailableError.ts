/** How to get the namespaces, for every message that reports them missing. */
export const SANDBOX_FIX =
  'Install bubblewrap on the runner (Debian/Ubuntu: apt-get install bubblewrap; the container image has it) and allow user namespaces, or set sandbox to auto to run with the weaker fallback';

/** sandbox: require, and the namespaces cannot be built on this runner. */
export class SandboxUnavailableError extends Error {
  override readonly name = 'SandboxUnavailableError';
  constructor(reason: string) {
    super(`sandbox is require, but the tests cannot be confined: ${reason}. ${SANDBOX_FIX}.`);
  }
}
