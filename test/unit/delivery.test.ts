import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { explainPushFailure } from '../../src/delivery/commitAcceptedTests.js';
import { withoutSecrets } from '../../src/delivery/deliveryGit.js';
import { checkArtifactName } from '../../src/delivery/DirectoryArtifactUploader.js';
import { basicCredential, isHttpRemote, redactToken, tokenAuthEnv } from '../../src/delivery/gitTokenAuth.js';
import { resolvePushTarget } from '../../src/delivery/resolvePushTarget.js';
import { resolveInside } from '../../src/delivery/writeAcceptedTests.js';
import type { PullRequestInfo } from '../../src/events/PullRequestEvent.js';
import { PACKAGE_ROOT } from '../support/actionHarness.js';

describe('tokenAuthEnv', () => {
  it('clears inherited headers for the remote, then adds the token, after config the environment already carries', () => {
    const env = tokenAuthEnv(
      { PATH: '/bin', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.autocrlf', GIT_CONFIG_VALUE_0: 'false' },
      'https://github.com/aqe/example',
      't0k3n'
    );
    expect(env).toEqual({
      PATH: '/bin',
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'core.autocrlf',
      GIT_CONFIG_VALUE_0: 'false',
      GIT_CONFIG_KEY_1: 'http.https://github.com/aqe/example.extraheader',
      GIT_CONFIG_VALUE_1: '',
      GIT_CONFIG_KEY_2: 'http.https://github.com/aqe/example.extraheader',
      GIT_CONFIG_VALUE_2: `AUTHORIZATION: basic ${Buffer.from('x-access-token:t0k3n').toString('base64')}`
    });
  });

  it('starts at 0 without earlier entries', () => {
    expect(tokenAuthEnv({}, 'https://h/r', 't')).toMatchObject({ GIT_CONFIG_COUNT: '2', GIT_CONFIG_KEY_0: 'http.https://h/r.extraheader' });
  });

  it('scrubs the token and its header form from text passed on', () => {
    expect(redactToken(`bad t0k3n and ${basicCredential('t0k3n')}`, 't0k3n')).toBe('bad *** and ***');
    expect(redactToken('nothing', undefined)).toBe('nothing');
  });

  it('sends a header only to http(s) remotes', () => {
    expect(isHttpRemote('https://github.com/a/b')).toBe(true);
    expect(isHttpRemote('git@github.com:a/b.git')).toBe(false);
    expect(isHttpRemote('/srv/git/b.git')).toBe(false);
  });
});

describe('explainPushFailure', () => {
  it.each([
    [' ! [rejected]        abc -> feature (fetch first)\nerror: failed to push some refs', /feature moved on since this run checked it out/],
    [' ! [rejected] HEAD -> feature (non-fast-forward)', /moved on/],
    [
      "remote: Write access to repository not granted.\nfatal: unable to access 'https://github.com/a/b/': The requested URL returned error: 403",
      /permissions: contents: write/
    ],
    ['remote: Permission to a/b.git denied to github-actions[bot].', /permissions: contents: write/],
    ['remote: error: GH006: Protected branch update failed for refs/heads/feature.', /feature is protected/],
    ['fatal: something else', /see git's message/]
  ])('explains %j', (stderr, why) => {
    expect(explainPushFailure(stderr, 'feature')).toMatch(why);
  });
});

describe('paths and names', () => {
  it('keeps test files inside the repository', () => {
    expect(resolveInside('/repo', 'test/a.test.ts')).toBe('/repo/test/a.test.ts');
    for (const bad of ['../a.test.ts', '/etc/a.test.ts', 'test/../../a.test.ts', '.'])
      expect(() => resolveInside('/repo', bad)).toThrow(/not a path inside \/repo/);
  });

  it('refuses artifact names GitHub refuses', () => {
    expect(() => checkArtifactName('aqe-accepted-tests-pr7')).not.toThrow();
    for (const bad of ['', 'a/b', 'a\\b', 'a:b', 'a*', '..']) expect(() => checkArtifactName(bad)).toThrow(/not a valid artifact name/);
  });
});

describe('action.yml and delivery', () => {
  it('declares on-accepted and accepted-files, and no description holds an expression the runner would evaluate', async () => {
    const action = parse(await readFile(path.join(PACKAGE_ROOT, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string; default?: string }>;
      outputs: Record<string, { description: string }>;
    };
    expect(action.inputs['on-accepted']).toMatchObject({ default: 'write', description: expect.stringMatching(/contents: write.*artifact/s) });
    expect(action.outputs['accepted-files']?.description).toMatch(/one per line/);
    // The runner evaluates ${{ }} in action.yml descriptions, and fails to load the action on an unknown context.
    for (const entry of [...Object.values(action.inputs), ...Object.values(action.outputs)]) expect(entry.description).not.toContain('${{');
  });
});

describe('resolvePushTarget for a pull request', () => {
  const pr: PullRequestInfo = {
    owner: 'aqe',
    repo: 'example',
    number: 7,
    title: 'A change',
    baseSha: 'b'.repeat(40),
    headSha: 'a'.repeat(40),
    baseRef: 'main',
    headRef: 'feature',
    fromFork: false,
    headRepoFullName: 'aqe/example'
  };
  // No checkout at this path: the target comes from the event alone, nothing is read from a .git/config.
  const nowhere = '/nonexistent/checkout';

  it('pushes to <server>/<owner>/<repo> of the event, github.com by default', async () => {
    expect(await resolvePushTarget(nowhere, pr, 'tok')).toEqual({
      target: {
        kind: 'event',
        remote: 'https://github.com/aqe/example',
        remoteUrl: 'https://github.com/aqe/example',
        label: 'aqe/example',
        branch: 'feature',
        expectedHead: 'a'.repeat(40),
        token: 'tok'
      }
    });
    expect(await resolvePushTarget(nowhere, pr, undefined, 'https://ghes.example.com/')).toMatchObject({
      target: { remoteUrl: 'https://ghes.example.com/aqe/example' }
    });
    expect(await resolvePushTarget(nowhere, pr, undefined, 'http://127.0.0.1:8080')).toMatchObject({
      target: { remoteUrl: 'http://127.0.0.1:8080/aqe/example' }
    });
  });

  it.each([
    ['a server URL of another scheme', {}, 'file:///srv/git', /GITHUB_SERVER_URL is "file:\/\/\/srv\/git", not the http\(s\) address/],
    ['a server URL with credentials in it', {}, 'https://user:pw@github.com', /GITHUB_SERVER_URL/],
    ['a server URL that is no URL', {}, 'github.com', /GITHUB_SERVER_URL/],
    [
      'an owner that is no GitHub name',
      { owner: '../evil', headRepoFullName: '../evil/example' },
      undefined,
      /names the repository "\.\.\/evil\/example", which is not an owner\/name/
    ],
    ['a repository name of dots', { repo: '..', headRepoFullName: 'aqe/..' }, undefined, /not an owner\/name/],
    ['no head commit', { headSha: '' }, undefined, /does not name the pull request's head commit/],
    ['a fork', { headRepoFullName: 'someone/example' }, undefined, /comes from the fork someone\/example/]
  ])('refuses %s', async (_name, overrides: Partial<PullRequestInfo>, serverUrl, why) => {
    const resolution = await resolvePushTarget(nowhere, { ...pr, ...overrides }, 'tok', serverUrl);
    expect(resolution).toEqual({ refusal: expect.stringMatching(why) });
  });
});

describe('withoutSecrets', () => {
  it("drops the token input, the runner's tokens and anything named like a secret, and keeps the rest", () => {
    const env = {
      PATH: '/bin',
      HOME: '/home/runner',
      'INPUT_GITHUB-TOKEN': 'ghs_x',
      GITHUB_TOKEN: 'ghs_y',
      ACTIONS_RUNTIME_TOKEN: 'jwt',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token',
      NPM_AUTH_TOKEN: 'npm',
      MY_SECRET: 's',
      DB_PASSWORD: 'p',
      GITHUB_REPOSITORY: 'aqe/example'
    };
    expect(withoutSecrets(env)).toEqual({ PATH: '/bin', HOME: '/home/runner', GITHUB_REPOSITORY: 'aqe/example' });
  });
});
