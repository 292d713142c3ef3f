/** One file a pull request touches, as GitHub's "list pull request files" reports it. */
export interface ChangedFile {
  /** Repo-relative path with forward slashes. */
  filename: string;
  status: 'added' | 'modified' | 'removed' | 'renamed' | 'copied' | 'changed' | 'unchanged';
}

/** Where a run learns what changed and where it reports back; the action and the CLI each supply one. */
export interface PullRequestHost {
  listChangedFiles(): Promise<ChangedFile[]>;
}
