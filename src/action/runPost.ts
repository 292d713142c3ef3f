import { existsSync } from 'node:fs';
import { saveModelToCache } from '../inference/model/resolveModel.js';
import type { ActionRunner } from './ActionRunner.js';
import { createModelCache } from './actionsModelCache.js';
import { saveRuntimeToActionsCache } from './actionsRuntimeCache.js';
import { removeEgressFirewall } from '../sandbox/EgressFirewall.js';
import { parseFirewallInstallation } from '../sandbox/firewallState.js';
import { State } from './constants.js';
import { checkModelState, checkRuntimeState, stateRefusalMessage, type StateCheck } from './trustedState.js';

/**
 * The post phase runs after the job's other steps, even when they failed. It confirms where the
 * report is and saves a model the main step downloaded (a cache miss) into the model cache,
 * once, after use, and only if the file still verifies; and node-llama-cpp, when the main step
 * had to install it and models go to the Actions cache. Generated tests ran in between and could
 * have written to the state file, so what it names is checked first (trustedState).
 */
export async function runPost(runner: ActionRunner, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    await removeEgressFirewallLeft(runner, env);
    const reportPath = runner.getState(State.ReportPath);
    if (reportPath && existsSync(reportPath)) runner.info(`aqe report: ${reportPath}`);
    await saveDownloadedModel(runner, env);
    await saveInstalledRuntime(runner, env);
  } catch (error) {
    runner.warning(`Post step: ${(error as Error).message}`);
  }
}

/**
 * The main step removes its egress firewall before it delivers; when it failed or was cancelled first, the rules
 * (and anything still in its cgroup) are removed here. The state is checked like all state: only a firewall of
 * aqe's own naming is ever touched.
 */
async function removeEgressFirewallLeft(runner: ActionRunner, env: NodeJS.ProcessEnv): Promise<void> {
  const text = runner.getState(State.EgressFirewall);
  if (!text) return;
  const installation = parseFirewallInstallation(text);
  if (!installation) {
    runner.warning(`Post step: the state ${State.EgressFirewall} does not describe a firewall aqe installs, so nothing was removed.`);
    return;
  }
  try {
    for (const step of await removeEgressFirewall(installation, { env })) runner.info(`Egress firewall: ${step}.`);
  } catch (error) {
    runner.warning(`Post step: the egress firewall could not be removed: ${(error as Error).message}`);
  }
}

async function saveInstalledRuntime(runner: ActionRunner, env: NodeJS.ProcessEnv): Promise<void> {
  const checked = accepted(runner, await checkRuntimeState((name) => runner.getState(name), env));
  if (!checked) return;
  runner.info(`Saving node-llama-cpp to the Actions cache as ${checked.key}`);
  await saveRuntimeToActionsCache(checked.dir, checked.key, (m) => runner.warning(m));
}

async function saveDownloadedModel(runner: ActionRunner, env: NodeJS.ProcessEnv): Promise<void> {
  const checked = accepted(runner, await checkModelState((name) => runner.getState(name), env));
  if (!checked) return;
  const cache = createModelCache(checked.kind, env);
  if (!cache) return;
  await saveModelToCache(
    cache,
    { key: checked.key, path: checked.path },
    (m) => runner.info(m),
    (m) => runner.warning(m)
  );
}

function accepted<T>(runner: ActionRunner, check: StateCheck<T>): T | undefined {
  if (check.status === 'refused') runner.warning(stateRefusalMessage(check));
  return check.status === 'accepted' ? check.value : undefined;
}
