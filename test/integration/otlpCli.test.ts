import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli/aqeCli.js';
import { captureCli } from '../support/cliOutput.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlpReceiver.js';

/** `aqe demo --otlp-endpoint`: the CLI's run, with the demo model, exporting to a receiver on loopback. */
describe('aqe with --otlp-endpoint', () => {
  let receiver: OtlpReceiver;
  let dir: string;
  const headers = process.env.AQE_OTLP_HEADERS;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-otlp-cli-'));
  });
  afterAll(async () => {
    if (headers === undefined) delete process.env.AQE_OTLP_HEADERS;
    else process.env.AQE_OTLP_HEADERS = headers;
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

  it("sends the demo run's metrics, with the headers from AQE_OTLP_HEADERS", async () => {
    process.env.AQE_OTLP_HEADERS = 'Authorization=Bearer%20cli-s3cret';
    const run = await captureCli(() => runCli(['demo', '--dir', path.join(dir, 'demo'), '--otlp-endpoint', `${receiver.url}/v1/metrics`]));
    expect({ code: run.code, stderr: run.stderr.slice(-2000) }).toEqual({ code: 0, stderr: expect.stringContaining('points sent to') });
    expect(receiver.exports).toHaveLength(1);
    const [received] = receiver.exports;
    expect(received!.headers.authorization).toBe('Bearer cli-s3cret');
    expect(received!.resource).toMatchObject({ 'service.name': 'aqe', 'aqe.repository': 'examples/ts-lib' });
    const generated = received!.points.find((p) => p.name === 'aqe.tests.generated');
    const accepted = received!.points.find((p) => p.name === 'aqe.tests.accepted');
    expect([generated?.value, accepted?.value]).toEqual([2, 1]);
    expect(run.stderr).not.toContain('cli-s3cret');
  }, 300_000);
});
