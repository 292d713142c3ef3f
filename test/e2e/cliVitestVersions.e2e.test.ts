/**
 * The bundled CLI (`bin/aqe.js run`, as a user runs it) on the vitest example's pull request, once with vitest 4 (this
 * package's devDependency) and once with vitest 5 (test/fixtures/vitest5, installed by .ci/run). vitest 5 once
 * rejected every correct test as "never loaded" (its per-file coverage hand-over changed shape); the same correct
 * answers must now be accepted by both, with the same coverage. vitest 5 needs Node 22 or later: under an older Node
 * that half is skipped, saying why (CI runs on Node 24).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { prepareExamplePullRequest } from '../../src/cli/exampleRepo.js';
import { runProcess } from '../../src/process/runProcess.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { PACKAGE_ROOT, SUITE_CLI_FLAGS } from '../support/actionHarness.js';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const fence = (code: string): string => `\`\`\`ts\n${code}\`\`\`\n`;

/** A correct test of each changed file of the example: each covers changed lines its suite does not. */
const ANSWERS: Record<string, string> = {
  'src/duration.ts': fence(
    "import { describe, expect, it } from 'vitest';\nimport { formatDuration } from '../src/duration.js';\n\ndescribe('formatDuration', () => {\n  it('writes hours and minutes', () => {\n    expect(formatDuration(3_900_000)).toBe('1h 5m');\n  });\n\n  it('keeps milliseconds under a second', () => {\n    expect(formatDuration(250)).toBe('250ms');\n  });\n\n  it('rejects negative durations', () => {\n    expect(() => formatDuration(-1)).toThrow(RangeError);\n  });\n});\n"
  ),
  'src/lruCache.ts': fence(
    "import { describe, expect, it } from 'vitest';\nimport { LruCache } from '../src/lruCache';\n\ndescribe('LruCache', () => {\n  it('evicts the least recently used key', () => {\n    const cache = new LruCache<string, number>(2);\n    cache.set('a', 1);\n    cache.set('b', 2);\n    expect(cache.get('a')).toBe(1);\n    expect(cache.set('c', 3)).toBe('b');\n    expect(cache.keys()).toEqual(['a', 'c']);\n  });\n});\n"
  )
};

const INSTALLS = [
  { major: 4, nodeModules: path.join(PACKAGE_ROOT, 'node_modules'), cannotRun: undefined as string | undefined },
  {
    major: 5,
    nodeModules: path.join(PACKAGE_ROOT, 'test', 'fixtures', 'vitest5', 'node_modules'),
    cannotRun:
      NODE_MAJOR < 22 ? `vitest 5 needs Node 22 or later and this is Node ${process.versions.node}; run the suite under Node 24 as .ci/run does` : undefined
  }
];

let root: string;
const reports = new Map<number, RunReport>();

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-cli-vitest-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe.each(INSTALLS)('aqe run on the vitest example with vitest $major', ({ major, nodeModules, cannotRun }) => {
  if (cannotRun) console.warn(`Skipped: ${cannotRun}`);
  const itWithInstall = cannotRun ? it.skip : it;

  itWithInstall(
    'accepts the correct test of each changed file',
    async () => {
      expect(existsSync(path.join(nodeModules, 'vitest', 'package.json'))).toBe(true);
      const pr = await prepareExamplePullRequest(path.join(root, `v${major}`), 'vitest-lib');
      await rm(path.join(pr.repoDir, 'node_modules'));
      await symlink(nodeModules, path.join(pr.repoDir, 'node_modules'), 'dir');
      const replayFile = path.join(root, `answers-${major}.jsonl`);
      await writeFile(
        replayFile,
        Object.entries(ANSWERS)
          .map(([target, text]) => JSON.stringify({ target, response: { text } }))
          .join('\n') + '\n'
      );
      const reportFile = path.join(root, `report-${major}.json`);
      const run = await runProcess({
        command: process.execPath,
        args: [
          path.join(PACKAGE_ROOT, 'bin', 'aqe.js'),
          'run',
          '--base',
          pr.baseSha,
          '--head',
          pr.headSha,
          '--repo',
          pr.repoDir,
          '--replay-file',
          replayFile,
          '--report',
          reportFile,
          ...SUITE_CLI_FLAGS,
          '--repeat-runs',
          '2'
        ],
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: os.tmpdir() },
        timeoutMs: 300_000
      });
      expect({ exitCode: run.exitCode, stderr: run.exitCode === 0 ? '' : run.stderr.slice(-3000) }).toEqual({ exitCode: 0, stderr: '' });
      const report = JSON.parse(await readFile(reportFile, 'utf8')) as RunReport;
      reports.set(major, report);
      expect(report.candidates.map((c) => ({ target: c.targetFile, status: c.status, rejection: c.rejection }))).toEqual([
        { target: 'src/duration.ts', status: 'accepted', rejection: undefined },
        { target: 'src/lruCache.ts', status: 'accepted', rejection: undefined }
      ]);
      expect(report.changedLinesAfter!.coveredLines).toBeGreaterThan(report.changedLinesBefore!.coveredLines);
    },
    400_000
  );
});

describe('vitest 4 and 5', () => {
  const itWithBothInstalls = INSTALLS.some((i) => i.cannotRun) ? it.skip : it;
  itWithBothInstalls('measure the same coverage before and after', () => {
    const [four, five] = [reports.get(4)!, reports.get(5)!];
    expect({ before: five.coverageBefore, after: five.coverageAfter, changed: five.changedLinesAfter }).toEqual({
      before: four.coverageBefore,
      after: four.coverageAfter,
      changed: four.changedLinesAfter
    });
  });
});
