import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { actionsArtifactUploader } from '../../src/action/artifactUploader.js';

/**
 * The action's uploader (@actions/artifact's DefaultArtifactClient, unmodified) against a stand-in
 * for the runner's results service and blob storage on 127.0.0.1: the Twirp calls CreateArtifact
 * and FinalizeArtifact, and the block blob upload in between. The uploaded zip is opened and
 * compared with the files.
 */
const RUN_ID = 'ce7f54c7-61c7-4aae-887f-30da475f5f1a';
const JOB_ID = 'ca395085-040a-526b-2ce8-bdc85f692774';

interface Recorded {
  twirp: Array<{ method: string; body: Record<string, unknown> }>;
  blocks: Buffer[];
  committed: boolean;
}

describe('actionsArtifactUploader', () => {
  let server: Server;
  let url: string;
  let dir: string;
  const recorded: Recorded = { twirp: [], blocks: [], committed: false };
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const u = new URL(req.url ?? '/', url);
        const twirp = u.pathname.match(/^\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/(\w+)$/);
        if (twirp) {
          recorded.twirp.push({ method: twirp[1]!, body: JSON.parse(body.toString('utf8')) as Record<string, unknown> });
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify(
              twirp[1] === 'CreateArtifact'
                ? { ok: true, signedUploadUrl: `${url}/devstoreaccount1/artifacts/upload.zip?sig=secret` }
                : { ok: true, artifactId: '4242' }
            )
          );
          return;
        }
        const headers = {
          'x-ms-request-id': '1',
          'x-ms-version': '2021-12-02',
          date: new Date().toUTCString(),
          etag: '"0x1"',
          'last-modified': new Date().toUTCString()
        };
        if (req.method === 'PUT' && u.searchParams.get('comp') === 'block') {
          recorded.blocks.push(body);
          res.writeHead(201, headers);
          res.end();
        } else if (req.method === 'PUT' && u.searchParams.get('comp') === 'blocklist') {
          recorded.committed = true;
          res.writeHead(201, headers);
          res.end();
        } else if (req.method === 'PUT') {
          // A single-shot upload of the whole blob.
          recorded.blocks.push(body);
          recorded.committed = true;
          res.writeHead(201, headers);
          res.end();
        } else {
          res.writeHead(404);
          res.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-artifact-'));
    const claims = Buffer.from(JSON.stringify({ scp: `Actions.GenericRead:x Actions.Results:${RUN_ID}:${JOB_ID}` })).toString('base64url');
    const env = { ACTIONS_RUNTIME_TOKEN: `e30.${claims}.sig`, ACTIONS_RESULTS_URL: `${url}/`, GITHUB_WORKSPACE: dir };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await new Promise<void>((resolve) => server?.close(() => resolve()));
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
    expect(recorded.twirp.map((t) => t.method)).toEqual(['CreateArtifact', 'FinalizeArtifact']);
    expect(recorded.twirp[0]!.body).toMatchObject({ workflow_run_backend_id: RUN_ID, workflow_job_run_backend_id: JOB_ID, name: 'aqe-accepted-tests-pr7' });
    expect(recorded.committed).toBe(true);
    expect(readZip(Buffer.concat(recorded.blocks))).toEqual(files);
  });
});

/** The entries of a zip, from its central directory (the local headers of a streamed zip carry no sizes). */
function readZip(zip: Buffer): Record<string, string> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const local = zip.readUInt32LE(at + 42);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    if (!name.endsWith('/')) entries[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    at += 46 + skip;
  }
  return entries;
}
