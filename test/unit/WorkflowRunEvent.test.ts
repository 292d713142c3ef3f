import { describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EventError } from '../../src/events/PullRequestEvent.js';
import { parseWorkflowRunPayload, readWorkflowRunEvent } from '../../src/events/WorkflowRunEvent.js';
import { workflowRunPayload } from '../support/workflowRunPayload.js';

const SHA = 'A'.repeat(40);
const payload = (o: { event?: string } = {}): Record<string, Record<string, unknown>> =>
  workflowRunPayload({ owner: 'acme', repo: 'shop', runId: 77, headSha: SHA, headOwner: 'someone', ...o }) as Record<string, Record<string, unknown>>;

describe('parseWorkflowRunPayload', () => {
  it('reads the run, its head and both repositories', () => {
    expect(parseWorkflowRunPayload(payload(), 'event.json')).toEqual({
      owner: 'acme',
      repo: 'shop',
      runId: 77,
      headSha: 'a'.repeat(40),
      headBranch: 'feature',
      headOwner: 'someone',
      headRepoFullName: 'someone/shop'
    });
  });

  it('refuses a run that a pull_request did not trigger, saying how to limit the workflow', () => {
    for (const event of ['pull_request_target', 'push']) {
      expect(() => parseWorkflowRunPayload(payload({ event }), 'event.json')).toThrow(
        new EventError(
          `The workflow run this job follows was triggered by "${event}", not pull_request, so it has no pull request report to comment from. Limit the workflow_run workflow to pull request runs: \`if: github.event.workflow_run.event == 'pull_request'\``
        )
      );
    }
  });

  it('names the fields a payload lacks, and a head_sha that is no commit', () => {
    const noHead = payload();
    delete noHead.workflow_run!.head_repository;
    expect(() => parseWorkflowRunPayload(noHead, 'event.json')).toThrow(
      /lacks repository\.full_name, workflow_run\.id, head_sha, head_branch or head_repository/
    );
    const badSha = payload();
    badSha.workflow_run!.head_sha = '$(curl evil)';
    expect(() => parseWorkflowRunPayload(badSha, 'event.json')).toThrow('has head_sha "$(curl evil)", which is not a commit sha');
    expect(() => parseWorkflowRunPayload({ pull_request: {} }, 'event.json')).toThrow(/has no "workflow_run" object.*on: workflow_run/);
  });
});

describe('readWorkflowRunEvent', () => {
  it('refuses another event before reading the file, and explains the second workflow', async () => {
    await expect(readWorkflowRunEvent(undefined, 'pull_request')).rejects.toThrow(
      /triggered by "pull_request", but mode comment-from-artifact reads a workflow_run event\. Use mode: comment-from-artifact only in a second workflow triggered by `on: workflow_run`/
    );
  });

  it('reads the payload from GITHUB_EVENT_PATH, and names a file that is not JSON', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-workflow-run-'));
    try {
      await writeFile(path.join(dir, 'ok.json'), JSON.stringify(payload()));
      await expect(readWorkflowRunEvent(path.join(dir, 'ok.json'), 'workflow_run')).resolves.toMatchObject({ runId: 77 });
      await writeFile(path.join(dir, 'bad.json'), '{');
      await expect(readWorkflowRunEvent(path.join(dir, 'bad.json'), 'workflow_run')).rejects.toThrow(/bad\.json \(GITHUB_EVENT_PATH\) cannot be read as JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
