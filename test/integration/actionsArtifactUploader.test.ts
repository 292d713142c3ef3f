import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { actionsArtifactUploader } from '../../src/action/artifactUploader.js';
import { FAKE_JOB_ID, FAKE_RUN_ID, type FakeResultsService, readZip, setProcessEnv, startFakeResultsService } from '../support/fakeResultsService.js';

/**
 * The action's uploader (@actions/artifact's DefaultArtifactClient, unmodified) against a stand-in
 * for the runner's results service and blob storage on 127.0.0.1. The uploaded zip is opened and
 * compared with the files.
 */
describe('actionsArtifactUploader', () => {
  let service: FakeResultsService;
  let dir: string;
  let restoreEnv: () => void = () => undefined;

  beforeAll(async () => {
    service = await startFakeResultsService();
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-artifact-'));
    restoreEnv = setProcessEnv({ ...service.env, GITHUB_WORKSPACE: dir });
  });

  afterAll(async () => {
    restoreEnv();
    await service?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates, uploads and finalizes one artifact holding the files under their relative paths', async () => {
    const staging = path.join(dir, 'staging');
    await mkdir(path.join(staging, 'test', 'deep'), { recursive: true });
    const files = { 'test/a.test.ts': "test('a', () => expect(1).toBe(1));\n", 'test/deep/b.test.ts': "test('b', () => expect(2).toBe(2));\n" };
    for (const [f, content] of Object.entries(files)) await writeFile(path.join(staging, f), content);

    const result = await actionsArtifactUploader.upload(
      'aqe-accepted-tests-pr7',
      Object.keys(files).map((f) => path.join(staging, f)),
      staging
    );

    expect(result.id).toBe(4242);
    expect(result.size).toBeGreaterThan(0);
    expect(service.calls.map((t) => t.method)).toEqual(['CreateArtifact', 'FinalizeArtifact']);
    expect(service.calls[0]!.body).toMatchObject({
      workflow_run_backend_id: FAKE_RUN_ID,
      workflow_job_run_backend_id: FAKE_JOB_ID,
      name: 'aqe-accepted-tests-pr7'
    });
    expect(service.artifacts.map((a) => a.name)).toEqual(['aqe-accepted-tests-pr7']);
    expect(readZip(service.artifacts[0]!.zip)).toEqual(files);
  });
});
