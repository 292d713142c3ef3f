/**
 * The environment of every process the sandbox starts, built from an allow-list: never the job's
 * environment minus some names, so a secret under a name nobody thought of (a token a previous
 * step exported, a cloud key, the runner's file-command paths) cannot reach the tests.
 */

/** Passed on as they are: how to find programs and how to format text; none carries a secret. */
const PASSED_ON = ['PATH', 'LANG', 'LANGUAGE', 'TZ', 'USER', 'LOGNAME', 'GITHUB_ACTIONS', 'RUNNER_OS', 'RUNNER_ARCH'] as const;

export interface SandboxEnvironmentSpec {
  /** The sandbox's own HOME, so nothing in the real one (.npmrc, .git-credentials, .ssh) is read as configuration. */
  home: string;
  /** The private temp directory. */
  tmpDir: string;
  /** Marks every process of one run, so survivors can be found after it. */
  marker: string;
  /** NODE_OPTIONS the runner needs (jest's ESM flag); the job's own NODE_OPTIONS never pass. */
  nodeOptions?: string;
  /** Settings for aqe's reporters inside the runner. */
  set?: Readonly<Record<string, string>>;
  /** Names the user listed in test-env. */
  passThrough?: readonly string[];
}

export function sandboxEnvironment(source: NodeJS.ProcessEnv, spec: SandboxEnvironmentSpec): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of [...PASSED_ON, ...(spec.passThrough ?? [])]) {
    if (source[name] !== undefined) env[name] = source[name];
  }
  for (const [name, value] of Object.entries(source)) {
    if (name.startsWith('LC_')) env[name] = value;
  }
  return {
    ...env,
    // Results are parsed and a CI log shows escape codes as garbage.
    CI: 'true',
    FORCE_COLOR: '0',
    NO_COLOR: '1',
    HOME: spec.home,
    XDG_CACHE_HOME: `${spec.home}/.cache`,
    XDG_CONFIG_HOME: `${spec.home}/.config`,
    XDG_DATA_HOME: `${spec.home}/.local/share`,
    TMPDIR: spec.tmpDir,
    TMP: spec.tmpDir,
    TEMP: spec.tmpDir,
    ...(spec.nodeOptions ? { NODE_OPTIONS: spec.nodeOptions } : {}),
    ...spec.set,
    AQE_SANDBOX_RUN: spec.marker
  };
}
