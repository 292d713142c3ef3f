import { stat } from 'node:fs/promises';
import { InputError } from '../core/InputError.js';
import { GgufError } from '../gguf/errors.js';
import { readGgufHeader } from '../gguf/readGgufHeader.js';

export interface ModelFileFacts {
  path: string;
  bytes: number;
  architecture?: string;
  name?: string;
}

/**
 * Checks a user's model file before anything expensive happens: it exists, is a file, and has a
 * complete GGUF header. A bad path or a cut-off download fails here, naming the input.
 */
export async function checkModelFile(modelPath: string): Promise<ModelFileFacts> {
  let info;
  try {
    info = await stat(modelPath);
  } catch {
    throw new InputError(
      'model',
      `the file ${modelPath} does not exist`,
      'Check the path (relative paths start at the workspace) or download the model in an earlier step'
    );
  }
  if (!info.isFile()) {
    throw new InputError('model', `${modelPath} is not a file`, 'Point it at the .gguf file itself, not its directory');
  }
  try {
    const header = await readGgufHeader(modelPath);
    return { path: modelPath, bytes: info.size, architecture: header.architecture, name: header.name };
  } catch (error) {
    if (error instanceof GgufError) {
      throw new InputError('model', error.message.replace(/\.$/, ''), 'Pass a complete .gguf file');
    }
    throw error;
  }
}
