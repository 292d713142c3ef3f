import { existsSync, readFileSync } from 'node:fs';
import { runProcess } from '../process/runProcess.js';
import { findBubblewrap, findProgram } from './bubblewrap.js';

/**
 * GitHub-hosted Ubuntu runners are throw-away VMs whose runner user has passwordless sudo, yet
 * they may lack bubblewrap, and Ubuntu 24.04's AppArmor forbids the unprivileged user namespaces
 * bwrap needs. There, and only there, aqe installs bubblewrap and lifts the restriction for the
 * job, as a workflow step would. A self-hosted runner's machine is the user's: it is never changed.
 */
export interface SudoSetupContext {
  env: NodeJS.ProcessEnv;
  /** Root needs no sudo, and no user namespace. */
  isRoot: boolean;
  /** The sysctl Ubuntu's AppArmor restriction is read from. */
  restrictionFile?: string;
}

const RESTRICTION_FILE = '/proc/sys/kernel/apparmor_restrict_unprivileged_userns';
const SUDO_TIMEOUT_MS = 180_000;

/** What was done, for the log; empty when nothing applied. Failures are reported, never thrown: the fallback follows. */
export async function enableNamespacesWithSudo(ctx: SudoSetupContext): Promise<string[]> {
  if (ctx.env.RUNNER_ENVIRONMENT !== 'github-hosted' || ctx.isRoot) return [];
  const sudo = findProgram('sudo', ctx.env.PATH);
  if (!sudo) return [];
  const done: string[] = [];
  const sudoRun = async (args: string[]): Promise<boolean> => {
    const result = await runProcess({
      command: sudo,
      args: ['-n', ...args],
      cwd: '/',
      env: { PATH: ctx.env.PATH ?? '/usr/bin:/bin', DEBIAN_FRONTEND: 'noninteractive' },
      timeoutMs: SUDO_TIMEOUT_MS
    }).catch(() => undefined);
    return result?.exitCode === 0;
  };
  if (!findBubblewrap(ctx.env.PATH)) {
    const installed =
      (await sudoRun(['apt-get', 'update', '-qq'])) && (await sudoRun(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'bubblewrap']));
    done.push(installed ? 'installed bubblewrap with sudo apt-get' : 'could not install bubblewrap with sudo apt-get');
  }
  const restriction = ctx.restrictionFile ?? RESTRICTION_FILE;
  if (existsSync(restriction) && readFileSync(restriction, 'utf8').trim() === '1') {
    const lifted = await sudoRun(['sysctl', '-w', 'kernel.apparmor_restrict_unprivileged_userns=0']);
    done.push(
      lifted
        ? "lifted Ubuntu's AppArmor restriction on unprivileged user namespaces with sudo sysctl"
        : "could not lift Ubuntu's AppArmor restriction on user namespaces"
    );
  }
  return done;
}
