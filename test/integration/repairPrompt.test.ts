/**
 * A candidate with a JavaScript syntax error, under a JavaScript repository's jest (babel): the
 * rejection reason and the repair prompt the model receives must show the SyntaxError line and
 * its code frame, which sit at the head of a long message (the parser's stack trace follows).
 * The pipeline, jest and the replay provider are real; the provider is only wrapped to keep a
 * copy of what it was asked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RawInputs } from '../../src/config/parseRunOptions.js';
import type { ChatRequest } from '../../src/inference/TextProvider.js';
import { git } from '../../src/repo/git.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { PACKAGE_ROOT } from '../support/actionHarness.js';
import { runPipelineOnReplay } from '../support/replayPipeline.js';

const AUTHOR = ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false'];

const BROKEN =
  "const { add } = require('../src/add');\n\ndescribe('add', () => {\n  it('adds', () => {\n    expect(add(1, 2)).toBe(3);\n  });\n\n  it('adds negatives' () => {\n    expect(add(-1, -2)).toBe(-3);\n  });\n});\n";
const FIXED =
  "const { add } = require('../src/add');\n\ndescribe('add', () => {\n  it('adds', () => {\n    expect(add(1, 2)).toBe(3);\n  });\n\n  it('adds negatives', () => {\n    expect(add(-1, -2)).toBe(-3);\n  });\n});\n";
const fence = (code: string): string => `Here is the test file:\n\n\`\`\`js\n${code}\`\`\`\n`;

let root: string;
let report: RunReport;
const asked: ChatRequest[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-repair-prompt-'));
  const repo = path.join(root, 'js-lib');
  await mkdir(path.join(repo, 'src'), { recursive: true });
  await writeFile(
    path.join(repo, 'package.json'),
    JSON.stringify({ name: 'js-lib', private: true, scripts: { test: 'jest' }, devDependencies: { jest: '*' } }, null, 2)
  );
  await writeFile(path.join(repo, 'src', 'add.js'), 'exports.add = (a, b) => a + b;\n');
  await git(repo, ['init', '-q', '-b', 'main']);
  await git(repo, ['add', '-A']);
  await git(repo, [...AUTHOR, 'commit', '-q', '-m', 'base']);
  await writeFile(
    path.join(repo, 'src', 'add.js'),
    'exports.add = (a, b) => {\n  if (a < 0 && b < 0) return -(Math.abs(a) + Math.abs(b));\n  return a + b;\n};\n'
  );
  await git(repo, [...AUTHOR, 'commit', '-q', '-am', 'negatives']);
  await symlink(path.join(PACKAGE_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');

  report = await runOnRepo([BROKEN, FIXED], { 'repeat-runs': '1', 'max-repairs': '1' }, 'first', (request) => asked.push(request));
}, 300_000);

/** The pipeline on the repository's last commit, answering with `codes` in turn; `onAsk` sees every request the model gets. */
async function runOnRepo(codes: string[], inputs: RawInputs, name: string, onAsk?: (request: ChatRequest) => void): Promise<RunReport> {
  const repoDir = path.join(root, 'js-lib');
  return runPipelineOnReplay({
    repoDir,
    baseSha: (await git(repoDir, ['rev-parse', 'HEAD~1'])).trim(),
    headSha: 'HEAD',
    root,
    answers: { 'src/add.js': codes.map(fence) },
    inputs,
    repository: 'js-lib',
    reportName: name,
    onProvider: (loaded) => {
      const chat = loaded.provider.chat.bind(loaded.provider);
      loaded.provider.chat = (request) => {
        onAsk?.(request);
        return chat(request);
      };
    }
  });
}

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('the repair of a babel syntax error', () => {
  it('asks the model with the SyntaxError line and its code frame', () => {
    expect(asked).toHaveLength(2);
    const repair = asked[1]!.user;
    expect(repair).toMatch(/SyntaxError: .*add\.test\.js: Unexpected token, expected "," \(8:\d+\)/);
    expect(repair).toContain(">  8 |   it('adds negatives' () => {");
  });

  it('keeps the repaired file, with the attempt counted', () => {
    expect(report.candidates).toEqual([expect.objectContaining({ targetFile: 'src/add.js', status: 'accepted', attempts: 2 })]);
  });
});

describe('the rejection reason of a babel syntax error', () => {
  it('names the SyntaxError, not the stack trace', async () => {
    const second = await runOnRepo([BROKEN], { 'max-repairs': '0' }, 'second');
    const candidate = second.candidates.find((c) => c.targetFile === 'src/add.js')!;
    expect(candidate.rejection?.stage).toBe('compile');
    expect(candidate.rejection?.reason).toMatch(/SyntaxError: .*Unexpected token, expected ","/);
    expect(candidate.rejection?.reason).toContain("it('adds negatives' () => {");
  }, 300_000);
});
