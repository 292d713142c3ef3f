// Bundles the action entries and the CLI into dist/ with ncc. node-llama-cpp stays external:
// it carries native binaries and is loaded at run time (see src/inference/nodeLlamaCppRuntime.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// [entry, bundle, folder]: the CLI has a folder of its own, because ncc numbers an entry's lazily loaded chunks by its
// own module ids, and the cloud SDKs' chunk gets different ids in the CLI than in the action. dist/cli.js loads it.
const entries = [
  ['src/main.ts', 'index.js', ''],
  ['src/post.ts', 'post.js', ''],
  // Loaded with node --import into the Node processes a strict-privacy run starts: Node built-ins only, no chunks.
  ['src/privacy/egressGuardPreload.ts', 'egressGuardPreload.js', ''],
  ['src/cli.ts', 'index.js', 'cli']
];
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
// Built beside dist/ and swapped in at the end, so a run reading dist/ meanwhile (an e2e test) never finds it half-made.
const final = path.join(root, 'dist');
const out = path.join(root, 'dist.building');
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
rmSync(out, { recursive: true, force: true });
for (const [entry, name, folder] of entries) {
  const dir = path.join(out, folder);
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'aqe-ncc-'));
  execFileSync(process.execPath, [ncc, 'build', entry, '-o', tmp, '--external', 'node-llama-cpp', '--target', 'es2022', '--minify', '--quiet'], {
    cwd: root,
    stdio: 'inherit'
  });
  const files = readdirSync(tmp);
  const main = files.find((f) => f === 'index.mjs' || f === 'index.js');
  if (!main) throw new Error(`ncc produced no index file for ${entry}: ${files.join(', ')}`);
  cpSync(path.join(tmp, main), path.join(dir, name));
  for (const extra of files.filter((f) => f !== main && !f.endsWith('.d.ts') && f !== 'package.json')) {
    const dest = path.join(dir, extra);
    // ncc names every entry's lazily loaded chunks N.index.js: two entries may share a name only for the same chunk.
    if (existsSync(dest) && statSync(dest).isFile() && !readFileSync(dest).equals(readFileSync(path.join(tmp, extra)))) {
      throw new Error(
        `${path.relative(root, dest)} is a chunk of two entries with different contents (${entry} and an earlier one): give the entries' dynamic imports distinct modules, or bundle them into separate folders.`
      );
    }
    if (!existsSync(dest)) cpSync(path.join(tmp, extra), dest, { recursive: true });
  }
  rmSync(tmp, { recursive: true, force: true });
}
// Bundles are committed; a file over 5 MiB does not belong in the repository (the Azure storage SDK behind
// @actions/cache and @actions/artifact is what makes them large, hence --minify).
const MAX_BUNDLE_BYTES = 5 * 1024 * 1024;
writeFileSync(path.join(out, 'cli.js'), "// The CLI's bundle and its chunks are in cli/.\nimport './cli/index.js';\n");
for (const file of readdirSync(out, { recursive: true })) {
  if (!statSync(path.join(out, file)).isFile()) continue;
  const bytes = statSync(path.join(out, file)).size;
  if (bytes > MAX_BUNDLE_BYTES)
    throw new Error(
      `dist/${file} is ${(bytes / 1024 / 1024).toFixed(1)} MiB, over the 5 MiB a committed file may have: keep large dependencies external or load them at run time.`
    );
}
// dist/ is ESM like the sources; the marker keeps Node from guessing.
writeFileSync(path.join(out, 'package.json'), '{ "type": "module" }\n');
const previous = path.join(root, 'dist.previous');
rmSync(previous, { recursive: true, force: true });
if (existsSync(final)) renameSync(final, previous);
renameSync(out, final);
rmSync(previous, { recursive: true, force: true });
console.log(`dist/: ${readdirSync(final).join(', ')}`);
