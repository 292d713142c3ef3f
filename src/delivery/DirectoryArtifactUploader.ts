import { copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactUploader } from './ArtifactUploader.js';

/**
 * The CLI's artifact: a folder `<dir>/<name>` holding the files under their relative paths.
 * Like a workflow artifact, a name is used once: an existing folder is never merged into.
 */
export class DirectoryArtifactUploader implements ArtifactUploader {
  constructor(readonly dir: string) {}

  async upload(name: string, files: string[], rootDir: string): Promise<{ size: number }> {
    checkArtifactName(name);
    await mkdir(this.dir, { recursive: true });
    const dest = path.join(this.dir, name);
    try {
      await mkdir(dest);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`An artifact named "${name}" already exists in ${this.dir}; move it away or choose another --artifact-dir.`);
      }
      throw error;
    }
    let size = 0;
    for (const file of files) {
      const relative = path.relative(rootDir, file);
      if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`${file} is not under the artifact's root ${rootDir}.`);
      const target = path.join(dest, relative);
      await mkdir(path.dirname(target), { recursive: true });
      await copyFile(file, target);
      size += (await stat(target)).size;
    }
    return { size };
  }
}

/** The characters GitHub refuses in artifact names; refused here too, so both behave alike. */
export function checkArtifactName(name: string): void {
  if (name.trim() === '' || name === '.' || name === '..' || /[":<>|*?\r\n\\/]/.test(name)) {
    throw new Error(`"${name}" is not a valid artifact name: it must not be empty or contain any of " : < > | * ? \\ / or line breaks.`);
  }
}
