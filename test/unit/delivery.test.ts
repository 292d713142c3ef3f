import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { explainPushFailure } from '../../src/delivery/commitAcceptedTests.js';
import { checkArtifactName } from '../../src/delivery/DirectoryArtifactUploader.js';
import { basicCredential, isHttpRemote, redactToken, tokenAuthEnv } from '../../src/delivery/gitTokenAuth.js';
import { resolveInside } from '../../src/delivery/writeAcceptedTests.js';
import { PACKAGE_ROOT } from '../support/actionHarness.js';

describe('tokenAuthEnv', () => {
  it('clears inherited headers for the remote, then adds the token, after config the environment already carries', () => {
    const env = tokenAuthEnv({ PATH: '/bin', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.autocrlf', GIT_CONFIG_VALUE_0: 'false' }, 'https://github.com/aqe/example', 't0k3n');
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
    ['remote: Write access to repository not granted.\nfatal: unable to access \'https://github.com/a/b/\': The requested URL returned error: 403', /permissions: contents: write/],
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
    for (const bad of ['../a.test.ts', '/etc/a.test.ts', 'test/../../a.test.ts', '.']) expect(() => resolveInside('/repo', bad)).toThrow(/not a path inside \/repo/);
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
