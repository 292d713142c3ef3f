/**
 * Hands a set of files over as one named artifact. The action uploads a workflow artifact; the
 * CLI copies into a directory. `files` are absolute paths under `rootDir`, which is cut off their
 * names inside the artifact.
 */
export interface ArtifactUploader {
  upload(name: string, files: string[], rootDir: string): Promise<{ id?: number; size?: number }>;
}
