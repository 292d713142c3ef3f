import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DeliveryMode } from '../core/RunOptions.js';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { AcceptedTest } from './AcceptedTest.js';
import type { ArtifactUploader } from './ArtifactUploader.js';
import { commitAcceptedTests, type GitIdentity } from './commitAcceptedTests.js';
import { resolvePushTarget } from './resolvePushTarget.js';
import { writeAcceptedTests } from './writeAcceptedTests.js';

/** What the host (action or CLI) knows that delivery needs; the same for the whole run. */
export interface DeliverySettings {
  /** commit: the pull request whose head branch receives the commit; absent or null: the checked-out branch's upstream. */
  pullRequest?: PullRequestInfo | null;
  /** commit: sent to an http(s) remote for the push only. */
  token?: string;
  /** commit with a pull request: GITHUB_SERVER_URL, where the event's repository is pushed to; https://github.com when absent. */
  serverUrl?: string;
  /** commit: author and committer; the github-actions bot when absent. */
  author?: GitIdentity;
  /** artifact: where the tests go and under which name. */
  artifact?: { name: string; uploader: ArtifactUploader };
}

export interface DeliveryContext extends DeliverySettings {
  /** The repository directory the test paths are relative to (working-directory). */
  repoDir: string;
  /** Scratch space for the artifact's staging folder and the commit's index. */
  tempDir: string;
  tests: readonly AcceptedTest[];
  /** Receives every warning as it happens; they are also returned in `warnings`. */
  warn: (message: string) => void;
}

export interface DeliveryResult {
  /** The mode that was asked for. */
  requested: DeliveryMode;
  /** The mode that was carried out: `write` when commit or artifact had to fall back. */
  mode: DeliveryMode;
  /** Test files created in the working tree (repo-relative). */
  written: string[];
  committed?: { sha: string; branch: string };
  artifact?: { name: string; id?: number; size?: number; files: string[] };
  warnings: string[];
}

/**
 * Delivers the accepted tests the way `on-accepted` asks. A mode that cannot be carried out
 * falls back to writing them into the working tree with a warning, so accepted tests are never
 * lost; nothing the user wrote is ever replaced.
 */
export async function deliverAcceptedTests(mode: DeliveryMode, ctx: DeliveryContext): Promise<DeliveryResult> {
  const warnings: string[] = [];
  const warn = (message: string): void => {
    warnings.push(message);
    ctx.warn(message);
  };
  const result = (done: Omit<DeliveryResult, 'requested' | 'warnings'>): DeliveryResult => ({ requested: mode, ...done, warnings });
  if (ctx.tests.length === 0) return result({ mode, written: [] });

  if (mode === 'commit') {
    const target = await resolvePushTarget(ctx.repoDir, ctx.pullRequest, ctx.token, ctx.serverUrl);
    const outcome = await commitAcceptedTests({
      repoDir: ctx.repoDir,
      tempDir: ctx.tempDir,
      tests: ctx.tests,
      warn,
      target,
      ...(ctx.author ? { author: ctx.author } : {})
    });
    return outcome.committed
      ? result({ mode: 'commit', written: outcome.written, committed: outcome.committed })
      : result({ mode: 'write', written: outcome.written });
  }

  if (mode === 'artifact') {
    if (!ctx.artifact) {
      warn('on-accepted: artifact: this run has no way to upload artifacts; the accepted tests were written into the working tree instead.');
    } else {
      const uploaded = await uploadArtifact(ctx, ctx.artifact, warn);
      if (uploaded) return result({ mode: 'artifact', written: [], artifact: uploaded });
    }
  }
  return result({ mode: 'write', written: await writeAcceptedTests(ctx.repoDir, ctx.tests, warn) });
}

/** The files are staged outside the working tree, which artifact mode leaves untouched. */
async function uploadArtifact(
  ctx: DeliveryContext,
  artifact: NonNullable<DeliverySettings['artifact']>,
  warn: (message: string) => void
): Promise<DeliveryResult['artifact'] | undefined> {
  await mkdir(ctx.tempDir, { recursive: true });
  const staging = await mkdtemp(path.join(ctx.tempDir, 'aqe-artifact-'));
  try {
    const files = await writeAcceptedTests(staging, ctx.tests, warn);
    const uploaded = await artifact.uploader.upload(
      artifact.name,
      files.map((f) => path.join(staging, f)),
      staging
    );
    return {
      name: artifact.name,
      files,
      ...(uploaded.id !== undefined ? { id: uploaded.id } : {}),
      ...(uploaded.size !== undefined ? { size: uploaded.size } : {})
    };
  } catch (error) {
    warn(
      `on-accepted: artifact: uploading the artifact "${artifact.name}" failed: ${(error as Error).message} The accepted tests were written into the working tree instead.`
    );
    return undefined;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
