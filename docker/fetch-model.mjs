// The image's optional baked-in model: from MODEL_URL (https://, or http:// for a mirror on the build host) or
// MODEL_FILE (a name in docker/models/ of the build context, copied to the directory given as MODELS_CONTEXT), checked
// against MODEL_SHA256 before it is kept. Any mismatch, or a source without a checksum, fails the build.
//   MODEL_URL=... MODEL_SHA256=... node docker/fetch-model.mjs OUT_DIR
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const fail = (message) => {
  console.error(`fetch-model: ${message}`);
  process.exit(1);
};

const outDir = process.argv[2];
if (!outDir) fail('pass the output directory as the first argument.');
const url = process.env.MODEL_URL ?? '';
const file = process.env.MODEL_FILE ?? '';
const expected = (process.env.MODEL_SHA256 ?? '').trim().toLowerCase();
const contextDir = process.env.MODELS_CONTEXT ?? 'docker/models';
await mkdir(outDir, { recursive: true });
if (!url && !file) {
  if (expected) fail('MODEL_SHA256 is set but neither MODEL_URL nor MODEL_FILE is: pass the model the checksum is for.');
  console.log('fetch-model: no MODEL_URL or MODEL_FILE, the image has no model baked in.');
  process.exit(0);
}
if (url && file) fail(`both MODEL_URL (${JSON.stringify(url)}) and MODEL_FILE (${JSON.stringify(file)}) are set: pass one of them.`);
if (!/^[0-9a-f]{64}$/.test(expected)) {
  fail(`MODEL_SHA256 ${JSON.stringify(expected)} is not a SHA-256 (64 hex digits): pass the checksum of the model, e.g. from sha256sum.`);
}

let name;
let source;
if (url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    fail(`MODEL_URL ${JSON.stringify(url)} is not a URL: pass an https:// address of a .gguf file.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail(`MODEL_URL ${JSON.stringify(url)} is not http(s): pass an https:// address.`);
  name = path.posix.basename(decodeURIComponent(parsed.pathname)) || 'model.gguf';
  const response = await fetch(parsed, { redirect: 'follow' }).catch((error) => fail(`downloading ${JSON.stringify(url)} failed: ${error.message}.`));
  if (!response.ok || !response.body) fail(`downloading ${JSON.stringify(url)} answered HTTP ${response.status}: check the address.`);
  source = Readable.fromWeb(response.body);
} else {
  if (path.basename(file) !== file) fail(`MODEL_FILE ${JSON.stringify(file)} must be a file name in docker/models/, not a path.`);
  name = file;
  source = createReadStream(path.join(contextDir, file));
}
if (!/^[\w.+-]+$/.test(name)) fail(`the model's file name ${JSON.stringify(name)} has characters other than letters, digits and ._+-: rename it.`);

// Written beside the target and renamed only once the checksum matched, so a failed build keeps no model.
const partial = path.join(outDir, `.${name}.partial`);
const hash = createHash('sha256');
source.on('data', (chunk) => hash.update(chunk));
try {
  await pipeline(source, createWriteStream(partial));
} catch (error) {
  await rm(partial, { force: true });
  fail(`reading the model ${JSON.stringify(url || file)} failed: ${error.message}.`);
}
const actual = hash.digest('hex');
if (actual !== expected) {
  await rm(partial, { force: true });
  fail(`the model ${JSON.stringify(url || file)} has SHA-256 ${actual}, not MODEL_SHA256 ${expected}: fix the checksum or the source.`);
}
await rename(partial, path.join(outDir, name));
console.log(`fetch-model: ${name} (sha256 ${actual}) baked into ${outDir}.`);
