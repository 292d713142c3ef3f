import { readFile } from 'node:fs/promises';

/** A coverage file's text, or undefined when it does not exist (a run that measured nothing writes none). */
export async function readCoverageText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
