// node-llama-cpp lists a prebuilt-binary package per platform as optional dependencies. A
// registry mirror that lacks some of them (this project's build machines have no Windows or
// macOS binaries) makes `npm install` leave them out of package-lock.json, and `npm ci` then
// refuses the lock. This adds the missing entries with their os/cpu, exactly as npm records them
// for platforms it skips, so `npm ci` accepts the lock everywhere and installs only this
// platform's binary. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const parent = lock.packages['node_modules/node-llama-cpp'];
if (!parent) throw new Error('node-llama-cpp is not in package-lock.json');
const OS = { linux: 'linux', mac: 'darwin', win: 'win32' };
let added = 0;
for (const [name, version] of Object.entries(parent.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [platform, cpu] = name.replace('@node-llama-cpp/', '').split('-');
  if (!OS[platform] || !cpu) throw new Error(`Cannot tell the platform of ${name}`);
  lock.packages[key] = { version, cpu: [cpu], license: 'MIT', optional: true, os: [OS[platform]], engines: { node: '>=20.0.0' } };
  added++;
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform package entr${added === 1 ? 'y' : 'ies'}`);
