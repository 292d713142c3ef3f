// Loaded with `node --import <this file>` (egressGuardEnvironment puts it in NODE_OPTIONS): installs the egress guard
// before the process's own code runs, with the policy from AQE_EGRESS_POLICY. A missing or malformed policy throws,
// so a misconfigured child fails loudly instead of running unguarded.
import { EGRESS_POLICY_ENV, installEgressGuard, parseEgressPolicy } from './egressGuard.js';

installEgressGuard(parseEgressPolicy(process.env[EGRESS_POLICY_ENV]));
