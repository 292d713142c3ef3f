import { describe, expect, it } from '@jest/globals';
import { sandboxEnvironment } from '../../src/sandbox/sandboxEnvironment.js';

const JOB: NodeJS.ProcessEnv = {
  PATH: '/usr/local/bin:/usr/bin',
  HOME: '/home/runner',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
  GITHUB_ACTIONS: 'true',
  RUNNER_OS: 'Linux',
  GITHUB_TOKEN: 'ghs_dummy',
  'INPUT_GITHUB-TOKEN': 'ghs_dummy',
  ACTIONS_RUNTIME_TOKEN: 'runtime',
  ACTIONS_CACHE_URL: 'https://cache.invalid/',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc.invalid/',
  ANTHROPIC_API_KEY: 'sk-ant-dummy',
  NPM_TOKEN: 'npm_dummy',
  GITHUB_ENV: '/home/runner/work/_temp/_runner_file_commands/set_env_1',
  GITHUB_PATH: '/home/runner/work/_temp/_runner_file_commands/add_path_1',
  GITHUB_OUTPUT: '/home/runner/work/_temp/_runner_file_commands/set_output_1',
  GITHUB_STATE: '/home/runner/work/_temp/_runner_file_commands/save_state_1',
  GITHUB_STEP_SUMMARY: '/home/runner/work/_temp/_runner_file_commands/step_summary_1',
  JEST_WORKER_ID: '3',
  VITEST_POOL_ID: '2',
  NODE_OPTIONS: '--require ./evil.cjs',
  NODE_ENV: 'production',
  FORCE_COLOR: '3',
  DATABASE_URL: 'postgres://localhost/test'
};

const SPEC = { home: '/run/aqe/home', tmpDir: '/tmp', marker: '1-1-abc' };

describe('sandboxEnvironment', () => {
  it('passes only the allow-list: no token, key, runner file command or runtime setting of the job', () => {
    const env = sandboxEnvironment(JOB, SPEC);
    expect(Object.keys(env).sort()).toEqual(
      [
        'PATH',
        'LANG',
        'LC_ALL',
        'TZ',
        'GITHUB_ACTIONS',
        'RUNNER_OS',
        'CI',
        'FORCE_COLOR',
        'NO_COLOR',
        'HOME',
        'XDG_CACHE_HOME',
        'XDG_CONFIG_HOME',
        'XDG_DATA_HOME',
        'TMPDIR',
        'TMP',
        'TEMP',
        'AQE_SANDBOX_RUN'
      ].sort()
    );
    expect(env).toMatchObject({
      PATH: JOB.PATH,
      HOME: '/run/aqe/home',
      TMPDIR: '/tmp',
      CI: 'true',
      FORCE_COLOR: '0',
      NO_COLOR: '1',
      AQE_SANDBOX_RUN: '1-1-abc'
    });
    expect(Object.values(env).join('\n')).not.toMatch(/dummy|runtime|oidc|_runner_file_commands|evil/);
  });

  it('adds the NODE_OPTIONS and reporter settings asked for, and the variables the user named', () => {
    const env = sandboxEnvironment(JOB, {
      ...SPEC,
      nodeOptions: '--experimental-vm-modules',
      set: { AQE_DIR: '/out' },
      passThrough: ['DATABASE_URL', 'NOT_SET']
    });
    expect(env).toMatchObject({ NODE_OPTIONS: '--experimental-vm-modules', AQE_DIR: '/out', DATABASE_URL: 'postgres://localhost/test' });
    expect('NOT_SET' in env).toBe(false);
    expect(sandboxEnvironment(JOB, { ...SPEC, nodeOptions: '' }).NODE_OPTIONS).toBeUndefined();
  });

  it('keeps its own HOME and marker even when the user names HOME', () => {
    const env = sandboxEnvironment(JOB, { ...SPEC, passThrough: ['HOME', 'AQE_SANDBOX_RUN'] });
    expect(env.HOME).toBe('/run/aqe/home');
    expect(env.AQE_SANDBOX_RUN).toBe('1-1-abc');
  });
});
