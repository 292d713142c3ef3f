/**
 * `aqe report`: a JSON report rendered back into the job summary and the sticky comment, byte for byte what the
 * action renders from the same report, and a file that is not a report of a known schemaVersion refused with exit 2.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import { renderComment, renderSummary, STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import type { RunReport } from '../../src/reporting/RunReport.js';
import { makeReport } from '../reporting/reportFixture.js';
import { captureCli } from '../support/cliOutput.js';

let root: string;
const aqe = (...args: string[]) => captureCli(() => runCli(args));

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-report-cli-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function reportFile(name: string, value: unknown): Promise<string> {
  const file = path.join(root, name);
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return file;
}

/** Files and stdout end in one line ending, whether or not the rendering had one. */
const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

const withTelemetry = (): RunReport => {
  const report = makeReport();
  report.inference = {
    ...report.inference,
    backend: 'cuda',
    gpuTelemetry: {
      samples: 240,
      intervalMs: 500,
      peakUtilizationPercent: 97,
      meanUtilizationPercent: 63.4,
      peakMemoryUsedBytes: 30001 * 1024 ** 2,
      memoryTotalBytes: 81559 * 1024 ** 2
    }
  };
  return report;
};

describe('aqe report', () => {
  it('writes the summary and the comment the action renders, the GPU use row included', async () => {
    const report = withTelemetry();
    const file = await reportFile('aqe-report.json', report);
    const summary = path.join(root, 'out', 'summary.md');
    const comment = path.join(root, 'out', 'comment.md');
    const outcome = await aqe('report', file, '--summary', summary, '--comment', comment);
    expect(outcome).toMatchObject({ code: 0, stdout: '' });
    const expectedSummary = renderSummary(report, { reportPath: file });
    expect(await readFile(summary, 'utf8')).toBe(withNewline(expectedSummary));
    expect(await readFile(comment, 'utf8')).toBe(withNewline(renderComment(report, { reportPath: file })));
    expect((await readFile(comment, 'utf8')).startsWith(STICKY_COMMENT_MARKER)).toBe(true);
    expect(expectedSummary).toContain('| GPU use (sampled) | 97% peak, 63.4% mean · 29.3 GiB of 79.6 GiB peak memory (240 samples) |');
  });

  it('prints the summary when no file is asked for', async () => {
    const report = makeReport();
    const file = await reportFile('plain.json', report);
    const outcome = await aqe('report', file);
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toBe(withNewline(renderSummary(report, { reportPath: file })));
    expect(outcome.stdout).not.toContain('GPU use');
  });

  it('refuses what is not an aqe report of a known schemaVersion, naming what is wrong', async () => {
    const broken = makeReport() as unknown as Record<string, unknown>;
    const inference = { ...(broken.inference as Record<string, unknown>) };
    delete inference.model;
    const cases: Array<[unknown, string]> = [
      ['{"schemaVersion": 1,', 'is not JSON'],
      [[1, 2], 'holds an array, not an aqe report object'],
      [{ hello: 'world' }, 'has no schemaVersion, so it is not an aqe report'],
      [
        { ...makeReport(), schemaVersion: 2, tool: { name: 'aqe', version: '9.0.0' } },
        'has schemaVersion 2, which this aqe does not read (it reads 1). Render it with the aqe version that wrote it ("9.0.0")'
      ],
      [{ ...broken, inference }, 'is not a complete aqe report of schemaVersion 1 (inference.model:'],
      [{ ...makeReport(), candidates: [{ ...makeReport().candidates[0], status: 'kept' }] }, 'candidates[0].status']
    ];
    for (const [i, [value, message]] of cases.entries()) {
      const file = await reportFile(`bad-${i}.json`, value);
      const outcome = await aqe('report', file);
      expect({ i, code: outcome.code }).toEqual({ i, code: 2 });
      expect(outcome.stderr).toContain(`aqe: Input "<report.json>": ${file} `);
      expect(outcome.stderr).toContain(message);
    }
  });

  it('answers usage errors with exit 2', async () => {
    const file = await reportFile('ok.json', makeReport());
    for (const [args, message] of [
      [['report'], 'aqe: Input "<report.json>": no report file was given'],
      [['report', file, file], 'one report is rendered at a time, 2 were given'],
      [['report', file, '--html', 'x'], "Unknown option '--html'"],
      [['report', path.join(root, 'absent.json')], 'cannot be read (ENOENT)']
    ] as Array<[string[], string]>) {
      const outcome = await aqe(...args);
      expect({ args, code: outcome.code }).toEqual({ args, code: 2 });
      expect(outcome.stderr).toContain(message);
    }
    const help = await aqe('report', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 rendered');
  });
});
