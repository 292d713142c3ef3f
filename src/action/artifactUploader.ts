import { DefaultArtifactClient } from '@actions/artifact';
import type { ArtifactUploader } from '../delivery/ArtifactUploader.js';

/**
 * Uploads through the runner's artifact service (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL).
 * Artifact names are unique per workflow run, so the caller makes the name unique per job.
 */
export const actionsArtifactUploader: ArtifactUploader = {
  async upload(name, files, rootDir) {
    const response = await new DefaultArtifactClient().uploadArtifact(name, files, rootDir);
    return { ...(response.id !== undefined ? { id: response.id } : {}), ...(response.size !== undefined ? { size: response.size } : {}) };
  }
};
