import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { enableNamespacesWithSudo } from '../../src/sandbox/enableNamespacesWithSudo.js';

/** A sudo that writes down what it was asked to run and answers with the given exit code. */
async function fakeSudo(dir: string, exitCode: number): Promise<string> {
  const log = path.join(dir, 'sudo.log');
  await writeFile(path.join(dir, 'sudo'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\nexit ${exitCode}\n`);
  await chmod(path.join(dir, 'sudo'), 0o755);
  return log;
}

describe('enableNamespacesWithSudo', () => {
  let root: string;
  let restricted: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'aqe-sudo-'));
    restricted = path.join(root, 'apparmor_restrict_unprivileged_userns');
    await writeFile(restricted, '1\n');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('on a GitHub-hosted runner, installs bubblewrap and lifts the AppArmor restriction with sudo -n', async () => {
    const bin = await mkdtemp(path.join(root, 'hosted-'));
    const log = await fakeSudo(bin, 0);
    const done = await enableNamespacesWithSudo({ env: { RUNNER_ENVIRONMENT: 'github-hosted', PATH: bin }, isRoot: false, restrictionFile: restricted });
    expect(done).toEqual(['installed bubblewrap with sudo apt-get', "lifted Ubuntu's AppArmor restriction on unprivileged user namespaces with sudo sysctl"]);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      '-n apt-get update -qq',
      '-n apt-get install -y -qq --no-install-recommends bubblewrap',
      '-n sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'
    ]);
  });

  it('says what it could not do when sudo refuses, so the fallback warning has the reason', async () => {
    const bin = await mkdtemp(path.join(root, 'refused-'));
    await fakeSudo(bin, 1);
    const done = await enableNamespacesWithSudo({ env: { RUNNER_ENVIRONMENT: 'github-hosted', PATH: bin }, isRoot: false, restrictionFile: restricted });
    expect(done).toEqual(['could not install bubblewrap with sudo apt-get', "could not lift Ubuntu's AppArmor restriction on user namespaces"]);
  });

  it('never touches a self-hosted runner, a root process or a machine without the restriction', async () => {
    const bin = await mkdtemp(path.join(root, 'untouched-'));
    const log = await fakeSudo(bin, 0);
    await writeFile(path.join(bin, 'bwrap'), '');
    expect(await enableNamespacesWithSudo({ env: { RUNNER_ENVIRONMENT: 'self-hosted', PATH: bin }, isRoot: false, restrictionFile: restricted })).toEqual([]);
    expect(await enableNamespacesWithSudo({ env: { RUNNER_ENVIRONMENT: 'github-hosted', PATH: bin }, isRoot: true, restrictionFile: restricted })).toEqual([]);
    expect(
      await enableNamespacesWithSudo({ env: { RUNNER_ENVIRONMENT: 'github-hosted', PATH: bin }, isRoot: false, restrictionFile: path.join(root, 'missing') })
    ).toEqual([]);
    await expect(readFile(log, 'utf8')).rejects.toThrow(/ENOENT/);
  });
});
