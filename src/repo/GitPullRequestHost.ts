import type { ChangedFile, PullRequestHost } from './ChangedFile.js';
import { changedFilesFromGit } from './git.js';

/**
 * Changed files, with their changed lines, from the local history (one `git diff -U0`): the
 * CLI's source, and the action's fallback.
 */
export class GitPullRequestHost implements PullRequestHost {
  constructor(
    private readonly repoDir: string,
    private readonly base: string,
    private readonly head: string
  ) {}

  listChangedFiles(): Promise<ChangedFile[]> {
    return changedFilesFromGit(this.repoDir, this.base, this.head);
  }
}
