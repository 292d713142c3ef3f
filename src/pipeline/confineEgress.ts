import os from 'node:os';
import { InputError } from '../core/InputError.js';
import type { Logger } from '../core/Logger.js';
import type { EnforcementLayer, PrivacyOptions } from '../core/Privacy.js';
import { setProcessWrapper } from '../process/runProcess.js';
import type { AuditLog } from '../privacy/AuditLog.js';
import { EGRESS_POLICY_ENV, egressGuardEnvironment, type EgressPolicy, installEgressGuard } from '../privacy/egressGuard.js';
import type { FirewallInstallation } from '../sandbox/firewallState.js';
import {
  type FirewallProbe,
  firewallDroppedPackets,
  installEgressFirewall,
  newFirewallId,
  probeEgressFirewall,
  removeEgressFirewall
} from '../sandbox/EgressFirewall.js';

const REQUIRE_ISOLATION_FIX =
  'Run on a runner where aqe can use nftables or iptables (root or passwordless sudo, cgroup v2), or in the container with --network none; or set privacy-require-isolation to false to run with the in-process guard and the sandbox’s network namespace only';

/** Where the firewall's installation is kept for the post step, which removes it when the main step could not. */
export interface FirewallStateStore {
  save(installation: FirewallInstallation | null): void;
}

export interface EgressPlanContext {
  privacy: PrivacyOptions;
  audit: AuditLog;
  /** The bundled egress guard (dist/egressGuardPreload.js). */
  preloadFile: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  firewallState?: FirewallStateStore;
  /** What the firewall probe found, when the caller probed already (or must not touch the machine's rules: tests). */
  firewallProbe?: FirewallProbe;
}

/** What strict mode will enforce, found before any work starts; engage() puts it in place. */
export interface EgressPlan {
  /** The policy of every in-process guard: loopback and the allow-list. */
  readonly policy: EgressPolicy;
  readonly preloadFile: string;
  /** Layers that will hold for aqe's own process tree (the sandbox adds its own). */
  readonly layers: EnforcementLayer[];
  /** What the OS layers could not cover, in plain words. */
  readonly gaps: string[];
  engage(): Promise<EgressConfinement>;
}

export interface EgressConfinement {
  readonly layers: EnforcementLayer[];
  /** The plan's gaps, and the firewall's when it could not be installed after all. */
  readonly gaps: string[];
  /** Ends the drop (before delivery and the comment); idempotent. Returns the packets the firewall dropped. */
  lift(): Promise<{ firewallDropped?: number }>;
}

/**
 * Strict mode's egress drop for aqe's own process and every process it starts: the in-process guard here and,
 * through NODE_OPTIONS, in every Node child; an nftables/iptables firewall scoped to aqe's cgroup where root or
 * passwordless sudo allows it; and a container started with --network none counted as the OS layer it is.
 * Planned first, so privacy-require-isolation fails before the model is loaded or anything is read.
 */
export async function planEgressConfinement(ctx: EgressPlanContext): Promise<EgressPlan> {
  const env = ctx.env ?? process.env;
  const policy: EgressPolicy = {
    allow: ctx.privacy.allowedEndpoints.map((e) => ({ host: e.host, ...(e.port !== undefined ? { port: e.port } : {}) })),
    allowLoopback: true,
    auditFile: ctx.audit.file
  };
  const noNetwork = hasOnlyLoopback();
  const firewall: FirewallProbe = noNetwork
    ? { usable: false, reason: 'not needed: the container has no network' }
    : (ctx.firewallProbe ?? (await probeEgressFirewall(env)));
  const layers: EnforcementLayer[] = ['in-process'];
  if (noNetwork) layers.push('container-network-none');
  if (firewall.usable) layers.push('firewall');
  const gaps =
    noNetwork || firewall.usable
      ? []
      : [`non-Node processes aqe starts outside the sandbox are covered by no OS layer: the firewall cannot be set up (${firewall.reason})`];
  if (gaps.length > 0 && ctx.privacy.requireIsolation) {
    throw new InputError(
      'privacy-require-isolation',
      `it is true, but no OS-level egress drop can be set up here: ${firewall.usable ? '' : firewall.reason}`,
      REQUIRE_ISOLATION_FIX
    );
  }
  return {
    policy,
    preloadFile: ctx.preloadFile,
    layers,
    gaps,
    engage: () => engage(ctx, policy, firewall, { layers, gaps }, env)
  };
}

async function engage(
  ctx: EgressPlanContext,
  policy: EgressPolicy,
  firewall: FirewallProbe,
  planned: { layers: readonly EnforcementLayer[]; gaps: readonly string[] },
  env: NodeJS.ProcessEnv
): Promise<EgressConfinement> {
  const layers: EnforcementLayer[] = planned.layers.filter((l) => l !== 'firewall');
  const gaps = [...planned.gaps];
  let installation: FirewallInstallation | undefined;
  if (firewall.usable) {
    try {
      installation = await installEgressFirewall({ probe: firewall, id: newFirewallId(), pid: process.pid, allow: ctx.privacy.allowedEndpoints, env });
      ctx.firewallState?.save(installation);
      layers.push('firewall');
      ctx.logger.info(`Egress firewall in effect (${installation.tool}, cgroup ${installation.cgroup}): only loopback and allowed-endpoints are reachable.`);
    } catch (error) {
      const why = (error as Error).message;
      if (ctx.privacy.requireIsolation) {
        throw new InputError('privacy-require-isolation', `it is true, but the egress firewall could not be installed: ${why}`, REQUIRE_ISOLATION_FIX);
      }
      gaps.push(`non-Node processes aqe starts outside the sandbox are covered by no OS layer: the firewall could not be installed (${why})`);
    }
  }
  // After the firewall: resolving allowed host names for its rules is itself a lookup the guard would refuse.
  const uninstall = installEgressGuard(policy);
  const guardEnv = egressGuardEnvironment(policy, ctx.preloadFile);
  setProcessWrapper((spec) => {
    // The sandbox sets its own guard (its preload copy and a per-run audit file); every other child gets this one.
    if (spec.env?.[EGRESS_POLICY_ENV] !== undefined) return spec;
    const base = spec.env ?? process.env;
    const nodeOptions = [base.NODE_OPTIONS, guardEnv.NODE_OPTIONS].filter(Boolean).join(' ');
    return { ...spec, env: { ...base, ...guardEnv, NODE_OPTIONS: nodeOptions } };
  });
  let lifted: Promise<{ firewallDropped?: number }> | undefined;
  return {
    get layers() {
      return [...layers];
    },
    gaps,
    lift: () =>
      (lifted ??= (async () => {
        uninstall();
        setProcessWrapper((spec) => spec);
        if (!installation) return {};
        const dropped = await firewallDroppedPackets(installation, env).catch(() => undefined);
        try {
          for (const step of await removeEgressFirewall(installation, { env, pid: process.pid })) ctx.logger.info(`Egress firewall: ${step}.`);
          ctx.firewallState?.save(null);
        } catch (error) {
          ctx.logger.warn(`The egress firewall could not be removed now; the post step tries again: ${(error as Error).message}`);
        }
        return dropped === undefined ? {} : { firewallDropped: dropped };
      })())
  };
}

/** `--network none` leaves a container nothing but loopback: no packet can leave, whatever a process does. */
function hasOnlyLoopback(): boolean {
  // An interface without an address is not listed, and cannot carry a packet out either.
  return Object.values(os.networkInterfaces())
    .flat()
    .every((a) => a?.internal === true);
}
