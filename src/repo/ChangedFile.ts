/** One file a pull request touches, as GitHub's "list pull request files" reports it. */
export interface ChangedFile {
  /** Repo-relative path with forward slashes. */
  filename: string;
  status: 'added' | 'modified' | 'removed' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  /** The path before a rename or copy, when known. */
  previousFilename?: string;
  /**
   * The lines of the new version the pull request adds or rewrites: 1-based line numbers,
   * ascending, without repeats (a list rather than ranges, since callers test single lines
   * against coverage; `toLineRanges` in changedLines.ts compresses them for display).
   * `[]`: the file changed but no line of its new version is new (deletions only, a pure rename,
   * a mode change, a removed file). `undefined`: not known (binary, or the diff was unavailable
   * or too large), so treat the whole file as changed.
   */
  changedLines?: number[];
}

/** Where a run learns what changed and where it reports back; the action and the CLI each supply one. */
export interface PullRequestHost {
  listChangedFiles(): Promise<ChangedFile[]>;
}
