import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { examplesDir } from '../../core/packageRoot.js';
import { writeTextChainModel } from '../../gguf/textChainModel.js';

/** The answer the demo model gives: a test file written for the example repository. */
export const DEMO_ANSWER_FILE = 'ts-lib.demo-answer.md';

/**
 * Writes the demo GGUF: a tiny llama-architecture model whose greedy decoding, through real
 * llama.cpp, replays the demo answer. It lets the whole pipeline run offline on any machine.
 */
export async function prepareDemoModel(tempDir: string): Promise<string> {
  const answer = await readFile(path.join(examplesDir(), DEMO_ANSWER_FILE), 'utf8');
  const modelPath = path.join(tempDir, 'aqe-demo-model.gguf');
  if (!existsSync(modelPath)) await writeTextChainModel(modelPath, answer);
  return modelPath;
}
