import { type BubblewrapProbe, findBubblewrap, probeBubblewrap } from '../../src/sandbox/bubblewrap.js';

/**
 * Whether this machine can make the namespaces the sandbox uses, probed once for the test files
 * that prove the confinement. Elsewhere they are skipped with the reason; CI sets
 * AQE_CI_REQUIRE_NAMESPACES=1 (it installs bubblewrap), so there a failed probe fails the suite
 * instead of skipping the proof silently.
 */
export const namespaces: BubblewrapProbe = await probeBubblewrap(findBubblewrap(process.env.PATH));

if (!namespaces.usable && process.env.AQE_CI_REQUIRE_NAMESPACES === '1') {
  throw new Error(`AQE_CI_REQUIRE_NAMESPACES is set, but the namespace tests cannot run: ${namespaces.reason}`);
}
