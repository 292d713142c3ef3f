import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { EventError, parsePullRequestPayload, PULL_REQUEST_TARGET_REFUSAL, readPullRequestEvent } from '../../src/events/PullRequestEvent.js';

function prPayload(overrides: { headFullName?: string } = {}) {
  return {
    action: 'synchronize',
    number: 42,
    pull_request: {
      number: 42,
      title: 'Add cart discounts',
      html_url: 'https://github.com/acme/shop/pull/42',
      state: 'open',
      base: {
        ref: 'main',
        sha: 'a'.repeat(40),
        repo: { full_name: 'acme/shop', name: 'shop', owner: { login: 'acme' } }
      },
      head: {
        ref: 'feature/discounts',
        sha: 'b'.repeat(40),
        repo: { full_name: overrides.headFullName ?? 'acme/shop', name: 'shop' }
      }
    },
    repository: { full_name: 'acme/shop' },
    sender: { login: 'dev' }
  };
}

/** The part of prPayload() that the rejection cases below delete or mistype. */
interface DamagedPayload {
  number?: number;
  pull_request: {
    number?: number | string;
    base: { sha?: string; repo?: { full_name: string } };
    head: { sha?: string };
  };
  repository?: { full_name: string };
}

async function rejection(p: Promise<unknown>): Promise<EventError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(EventError);
    return error as EventError;
  }
  throw new Error('expected an EventError');
}

describe('readPullRequestEvent', () => {
  let dir: string;
  let eventFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'aqe-event-'));
    eventFile = path.join(dir, 'event.json');
    await writeFile(eventFile, JSON.stringify(prPayload()));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([[undefined], ['']])('explains a missing GITHUB_EVENT_PATH (%j)', async (eventPath) => {
    const e = await rejection(readPullRequestEvent(eventPath, 'pull_request'));
    expect(e.name).toBe('EventError');
    expect(e.message).toContain('GITHUB_EVENT_PATH is not set');
    expect(e.message).toContain('`on: pull_request`');
    expect(e.message).toContain('aqe run --base');
  });

  it('explains an unreadable event file, naming the path and the cause', async () => {
    const missing = path.join(dir, 'nope.json');
    const e = await rejection(readPullRequestEvent(missing, 'pull_request'));
    expect(e.message).toContain(`The event file ${missing} (GITHUB_EVENT_PATH) cannot be read`);
    expect(e.message).toContain('ENOENT');
  });

  it('explains a directory given as event file', async () => {
    const e = await rejection(readPullRequestEvent(dir, 'pull_request'));
    expect(e.message).toContain('cannot be read');
  });

  it('explains an event file that is not JSON', async () => {
    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, '{"pull_request": ');
    const e = await rejection(readPullRequestEvent(bad, 'pull_request'));
    expect(e.message).toBe(`The event file ${bad} (GITHUB_EVENT_PATH) is not valid JSON. Point it at a pull_request webhook payload.`);
  });

  it.each(['push', 'workflow_dispatch', 'schedule'])('rejects the %s event and explains `on: pull_request`', async (eventName) => {
    const e = await rejection(readPullRequestEvent(eventFile, eventName));
    expect(e.message).toContain(`triggered by "${eventName}"`);
    expect(e.message).toContain('`on: pull_request`');
    expect(e.message).toContain('opened, synchronize, reopened');
  });

  it.each(['pull_request', undefined])('reads a pull request for event name %s', async (eventName) => {
    const info = await readPullRequestEvent(eventFile, eventName);
    expect(info.owner).toBe('acme');
    expect(info.number).toBe(42);
  });

  it.each([[{}], [{ allowPullRequestTarget: false }]])('refuses pull_request_target (policy %j), saying why and what to do', async (policy) => {
    const e = await rejection(readPullRequestEvent(eventFile, 'pull_request_target', policy));
    expect(e.message).toBe(PULL_REQUEST_TARGET_REFUSAL);
    expect(e.message).toContain('triggered by "pull_request_target"');
    expect(e.message).toMatch(/token that can write to the repository and the repository's secrets/);
    expect(e.message).toContain("runs the pull request's code");
    expect(e.message).toContain('`on: pull_request`');
    expect(e.message).toContain('`allow-pull-request-target: true`');
  });

  it('reads a pull_request_target event when allow-pull-request-target opts in', async () => {
    const info = await readPullRequestEvent(eventFile, 'pull_request_target', { allowPullRequestTarget: true });
    expect(info).toMatchObject({ owner: 'acme', repo: 'shop', number: 42 });
  });

  it('still rejects other events when pull_request_target is allowed', async () => {
    const e = await rejection(readPullRequestEvent(eventFile, 'push', { allowPullRequestTarget: true }));
    expect(e.message).toContain('triggered by "push"');
  });

  it('rejects a payload without pull_request even when the event name claims one', async () => {
    const pushLike = path.join(dir, 'push.json');
    await writeFile(pushLike, JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/shop' } }));
    const e = await rejection(readPullRequestEvent(pushLike, 'pull_request'));
    expect(e.message).toBe(
      `The event in ${pushLike} has no "pull_request" object, so it is not a pull request event. Trigger the workflow with \`on: pull_request\`.`
    );
  });
});

describe('parsePullRequestPayload', () => {
  it('parses a realistic pull_request payload', () => {
    expect(parsePullRequestPayload(prPayload(), 'event.json')).toEqual({
      owner: 'acme',
      repo: 'shop',
      number: 42,
      title: 'Add cart discounts',
      url: 'https://github.com/acme/shop/pull/42',
      baseSha: 'a'.repeat(40),
      headSha: 'b'.repeat(40),
      baseRef: 'main',
      headRef: 'feature/discounts',
      fromFork: false,
      headRepoFullName: 'acme/shop'
    });
  });

  it('detects a fork when the head repository differs from the base', () => {
    const info = parsePullRequestPayload(prPayload({ headFullName: 'contributor/shop' }), 'event.json');
    expect(info.fromFork).toBe(true);
    expect(info.headRepoFullName).toBe('contributor/shop');
    expect(info.owner).toBe('acme');
    expect(info.repo).toBe('shop');
  });

  it('does not call a PR a fork when the head repository is unknown (deleted fork)', () => {
    const payload = prPayload() as { pull_request: { head: { repo: unknown } } };
    payload.pull_request.head.repo = null;
    expect(parsePullRequestPayload(payload, 'e').fromFork).toBe(false);
    // ...but it is not known to be this repository either, so nothing may be pushed to it.
    expect(parsePullRequestPayload(payload, 'e')).not.toHaveProperty('headRepoFullName');
  });

  it('falls back to repository.full_name and the top-level number', () => {
    const payload = {
      number: 7,
      repository: { full_name: 'octo/lib' },
      pull_request: { base: { sha: 'base1' }, head: { sha: 'head1' } }
    };
    expect(parsePullRequestPayload(payload, 'e')).toEqual({
      owner: 'octo',
      repo: 'lib',
      number: 7,
      title: '',
      url: undefined,
      baseSha: 'base1',
      headSha: 'head1',
      baseRef: '',
      headRef: '',
      fromFork: false
    });
  });

  it.each([
    ['base.sha', (p: DamagedPayload) => delete p.pull_request.base.sha],
    ['head.sha', (p: DamagedPayload) => delete p.pull_request.head.sha],
    ['an empty head.sha', (p: DamagedPayload) => (p.pull_request.head.sha = '')],
    [
      'number',
      (p: DamagedPayload) => {
        delete p.pull_request.number;
        delete p.number;
      }
    ],
    [
      'a string number',
      (p: DamagedPayload) => {
        p.pull_request.number = '42';
        delete p.number;
      }
    ],
    [
      'full_name',
      (p: DamagedPayload) => {
        delete p.pull_request.base.repo;
        delete p.repository;
      }
    ],
    [
      'a full_name without owner',
      (p: DamagedPayload) => {
        p.pull_request.base.repo!.full_name = 'shop';
      }
    ]
  ])('rejects a payload lacking %s', (_what, mutate) => {
    const payload = prPayload();
    mutate(payload);
    expect(() => parsePullRequestPayload(payload, 'src.json')).toThrow(
      new EventError(
        'The pull_request event in src.json lacks repository full_name, number, base.sha or head.sha. Use the payload GitHub sends for pull_request events.'
      )
    );
  });

  it.each([[null], [[]], ['text'], [{ pull_request: [] }], [{ pull_request: 'x' }], [{ pull_request: null }]])(
    'rejects %j as having no pull_request object',
    (payload) => {
      expect(() => parsePullRequestPayload(payload, 'src.json')).toThrow(/has no "pull_request" object/);
    }
  );
});
