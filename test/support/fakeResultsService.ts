import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';

/**
 * A stand-in for the runner's results service and its blob storage on 127.0.0.1, enough for
 * @actions/artifact's DefaultArtifactClient, unmodified, to upload: the Twirp calls CreateArtifact
 * and FinalizeArtifact, and the block blob upload in between. Each finalized artifact is kept
 * with its zip as uploaded.
 */
export const FAKE_RUN_ID = 'ce7f54c7-61c7-4aae-887f-30da475f5f1a';
export const FAKE_JOB_ID = 'ca395085-040a-526b-2ce8-bdc85f692774';

export interface FakeResultsService {
  url: string;
  /** What the runner gives a job that may upload artifacts; @actions/artifact reads them from process.env. */
  env: { ACTIONS_RUNTIME_TOKEN: string; ACTIONS_RESULTS_URL: string };
  /** Finalized artifacts, in upload order. */
  artifacts: Array<{ name: string; zip: Buffer }>;
  /** Every Twirp call with its JSON body, in order. */
  calls: Array<{ method: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

const TWIRP = /^\/twirp\/github\.actions\.results\.api\.v1\.ArtifactService\/(\w+)$/;

export async function startFakeResultsService(): Promise<FakeResultsService> {
  const artifacts: FakeResultsService['artifacts'] = [];
  const calls: FakeResultsService['calls'] = [];
  // Blocks of each blob, by the blob's path (one per artifact, named by CreateArtifact).
  const blobs = new Map<string, { name: string; blocks: Buffer[] }>();
  let url = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const u = new URL(req.url ?? '/', url);
      const twirp = TWIRP.exec(u.pathname);
      if (twirp) {
        const method = twirp[1]!;
        const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        calls.push({ method, body: json });
        const name = typeof json.name === 'string' ? json.name : '';
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (method === 'CreateArtifact') {
          const blob = `/devstoreaccount1/artifacts/${blobs.size + 1}.zip`;
          blobs.set(blob, { name, blocks: [] });
          res.end(JSON.stringify({ ok: true, signedUploadUrl: `${url}${blob}?sig=secret` }));
        } else {
          const uploaded = [...blobs.values()].find((b) => b.name === name);
          artifacts.push({ name, zip: Buffer.concat(uploaded?.blocks ?? []) });
          res.end(JSON.stringify({ ok: true, artifactId: String(4241 + artifacts.length) }));
        }
        return;
      }
      const headers = {
        'x-ms-request-id': '1',
        'x-ms-version': '2021-12-02',
        date: new Date().toUTCString(),
        etag: '"0x1"',
        'last-modified': new Date().toUTCString()
      };
      const blob = blobs.get(u.pathname);
      if (req.method !== 'PUT' || !blob) {
        res.writeHead(404);
        res.end();
        return;
      }
      // A block, the block list that commits them, or a single-shot upload of the whole blob.
      if (u.searchParams.get('comp') !== 'blocklist') blob.blocks.push(body);
      res.writeHead(201, headers);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const claims = Buffer.from(JSON.stringify({ scp: `Actions.GenericRead:x Actions.Results:${FAKE_RUN_ID}:${FAKE_JOB_ID}` })).toString('base64url');
  return {
    url,
    env: { ACTIONS_RUNTIME_TOKEN: `e30.${claims}.sig`, ACTIONS_RESULTS_URL: `${url}/` },
    artifacts,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  };
}

/** Sets variables in process.env (where @actions/artifact reads them); the returned function puts the old values back. */
export function setProcessEnv(env: Record<string, string>): () => void {
  const saved = Object.keys(env).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** The file entries of a zip, from its central directory (the local headers of a streamed zip carry no sizes). */
export function readZip(zip: Buffer): Record<string, string> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`Not a zip: no end of central directory in ${zip.length} byte(s).`);
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
