// Prints the npm specs the image installs, one per line: for cpu or cuda the pinned node-llama-cpp with the binary
// packages of that back end; for demo the example's test tools that `aqe demo` links in. Two lists, because they are
// two installs: node-llama-cpp's without optional dependencies (every platform's binaries), the tools' with them (jest's
// resolver has its native binding there). Versions come from package-lock.json: the image runs what the suite tested.
//   node docker/runtime-packages.mjs cpu|cuda|demo [repository root]
import { readFileSync } from 'node:fs';
import path from 'node:path';

const BINARIES = {
  cpu: ['@node-llama-cpp/linux-x64'],
  // The action installs both for CUDA too (src/inference/nodeLlamaCppRuntime.ts): -ext is the newer CUDA build.
  cuda: ['@node-llama-cpp/linux-x64-cuda', '@node-llama-cpp/linux-x64-cuda-ext']
};

const [variant, root = '.'] = process.argv.slice(2);
if (variant !== 'demo' && !Object.hasOwn(BINARIES, variant ?? '')) {
  console.error(`runtime-packages: unknown list ${JSON.stringify(variant)}: pass cpu, cuda or demo.`);
  process.exit(2);
}
const readJson = (file) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));
const lock = readJson('package-lock.json');
const locked = (name) => {
  const version = lock.packages?.[`node_modules/${name}`]?.version;
  if (!version) {
    console.error(`runtime-packages: ${name} is not in ${path.join(root, 'package-lock.json')}: add it to package.json and run npm install.`);
    process.exit(1);
  }
  return version;
};
const llamaVersion = locked('node-llama-cpp');
const specs =
  variant === 'demo'
    ? Object.keys(readJson('examples/ts-lib/package.json').devDependencies ?? {}).map((name) => `${name}@${locked(name)}`)
    : // The binary packages are published with node-llama-cpp, always at its version; the lock holds only this machine's.
      [`node-llama-cpp@${llamaVersion}`, ...BINARIES[variant].map((name) => `${name}@${llamaVersion}`)];
console.log(specs.join('\n'));
