import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import { captureCli } from '../support/cliOutput.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.js';

/** `--otlp-endpoint` refused before any work; the export of a real run is in cliRunOutputs.test.ts, on the same demo run as the artifact. */
describe('aqe with --otlp-endpoint', () => {
  let receiver: OtlpReceiver;
  let dir: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-otlp-cli-'));
  });
  afterAll(async () => {
    await receiver?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses, with exit code 2 and before any work, a collector strict privacy does not list', async () => {
    const run = await captureCli(() => runCli(['run', '--repo', dir, '--base', 'main', '--privacy', 'strict', '--otlp-endpoint', receiver.url]));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("otlp-endpoint sends the run's metrics to http://127.0.0.1:");
    expect(receiver.exports).toHaveLength(0);
  });

  it('refuses an endpoint that is no http(s) URL, naming the input', async () => {
    const run = await captureCli(() => runCli(['run', '--repo', dir, '--base', 'main', '--otlp-endpoint', 'grpc://collector:4317']));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Input "otlp-endpoint"');
  });
});
