import { afterEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { binaryPackageName, locateNodeLlamaCpp, NODE_LLAMA_CPP_VERSION } from '../../src/inference/nodeLlamaCppRuntime.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const temps: string[] = [];
function tempDir(): string {
  const d = realpathSync(mkdtempSync(path.join(tmpdir(), 'aqe-nlc-')));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(value));
}
function touch(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'export {};\n');
}

/** node_modules/node-llama-cpp inside `dir`, with the given package.json and entry files. */
function fakePackage(dir: string, pkg: Record<string, unknown>, files: string[] = ['dist/index.js']): string {
  const packageDir = path.join(dir, 'node_modules', 'node-llama-cpp');
  writeJson(path.join(packageDir, 'package.json'), pkg);
  for (const f of files) touch(path.join(packageDir, f));
  return packageDir;
}

describe('locateNodeLlamaCpp', () => {
  it('finds the installed copy by walking up from the test directory', () => {
    const found = locateNodeLlamaCpp([path.join(PROJECT_ROOT, 'test')]);
    expect(found).toBeDefined();
    expect(found!.version).toBe('3.22.1');
    expect(found!.version).toBe(NODE_LLAMA_CPP_VERSION);
    expect(found!.packageDir).toBe(path.join(PROJECT_ROOT, 'node_modules', 'node-llama-cpp'));
    expect(found!.entry).toBe(path.join(PROJECT_ROOT, 'node_modules', 'node-llama-cpp', 'dist', 'index.js'));
    expect(existsSync(found!.entry)).toBe(true);
  });

  it('returns undefined when nothing is installed above a directory', () => {
    expect(locateNodeLlamaCpp([tempDir()])).toBeUndefined();
  });

  it('returns undefined for no search paths', () => {
    expect(locateNodeLlamaCpp([])).toBeUndefined();
  });

  it('finds a package installed in a directory above the start', () => {
    const root = tempDir();
    const packageDir = fakePackage(root, { name: 'node-llama-cpp', version: '9.9.9', exports: { '.': { import: './dist/index.js' } } });
    const deep = path.join(root, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    expect(locateNodeLlamaCpp([deep])).toEqual({ entry: path.join(packageDir, 'dist', 'index.js'), version: '9.9.9', packageDir });
  });

  it('tries the search paths in order', () => {
    const first = tempDir();
    const second = tempDir();
    fakePackage(first, { name: 'node-llama-cpp', version: '1.0.0', exports: { '.': { import: './dist/index.js' } } });
    fakePackage(second, { name: 'node-llama-cpp', version: '2.0.0', exports: { '.': { import: './dist/index.js' } } });
    expect(locateNodeLlamaCpp([first, second])?.version).toBe('1.0.0');
    expect(locateNodeLlamaCpp([second, first])?.version).toBe('2.0.0');
    expect(locateNodeLlamaCpp([tempDir(), second])?.version).toBe('2.0.0');
  });

  it('accepts the package directory itself as a start', () => {
    const root = tempDir();
    const packageDir = fakePackage(root, { name: 'node-llama-cpp', version: '3.0.0', exports: { '.': { import: './dist/index.js' } } });
    expect(locateNodeLlamaCpp([packageDir])?.packageDir).toBe(packageDir);
  });

  it('uses the default export condition, then dist/index.js', () => {
    const a = tempDir();
    fakePackage(a, { name: 'node-llama-cpp', version: '1.0.0', exports: { '.': { default: './lib/main.js' } } }, ['lib/main.js']);
    expect(locateNodeLlamaCpp([a])?.entry).toBe(path.join(a, 'node_modules', 'node-llama-cpp', 'lib', 'main.js'));

    const b = tempDir();
    fakePackage(b, { name: 'node-llama-cpp', version: '1.0.0' });
    expect(locateNodeLlamaCpp([b])?.entry).toBe(path.join(b, 'node_modules', 'node-llama-cpp', 'dist', 'index.js'));
  });

  it('skips a copy whose entry file is missing (a broken install)', () => {
    const root = tempDir();
    fakePackage(root, { name: 'node-llama-cpp', version: '1.0.0', exports: { '.': { import: './dist/index.js' } } }, []);
    expect(locateNodeLlamaCpp([root])).toBeUndefined();
  });

  it.each([
    ['another name', { name: 'not-llama', version: '1.0.0' }],
    ['no version', { name: 'node-llama-cpp' }],
    ['an empty version', { name: 'node-llama-cpp', version: '' }]
  ])('skips a package.json with %s', (_what, pkg) => {
    const root = tempDir();
    fakePackage(root, pkg);
    expect(locateNodeLlamaCpp([root])).toBeUndefined();
  });

  it('skips an unparsable package.json', () => {
    const root = tempDir();
    const packageDir = path.join(root, 'node_modules', 'node-llama-cpp');
    touch(path.join(packageDir, 'dist', 'index.js'));
    writeFileSync(path.join(packageDir, 'package.json'), '{ broken');
    expect(locateNodeLlamaCpp([root])).toBeUndefined();
  });

  it('keeps walking past a broken copy to a working one further up', () => {
    const root = tempDir();
    fakePackage(root, { name: 'node-llama-cpp', version: '5.0.0', exports: { '.': { import: './dist/index.js' } } });
    const inner = path.join(root, 'inner');
    fakePackage(inner, { name: 'node-llama-cpp', version: '0.0.1' }, []);
    expect(locateNodeLlamaCpp([inner])?.version).toBe('5.0.0');
  });
});

describe('binaryPackageName', () => {
  it.each([
    ['cpu', 'linux', 'x64', '@node-llama-cpp/linux-x64'],
    ['cuda', 'linux', 'x64', '@node-llama-cpp/linux-x64-cuda'],
    ['vulkan', 'linux', 'x64', '@node-llama-cpp/linux-x64-vulkan'],
    ['cpu', 'linux', 'arm64', '@node-llama-cpp/linux-arm64'],
    ['cpu', 'darwin', 'arm64', '@node-llama-cpp/mac-arm64-metal'],
    ['cuda', 'darwin', 'arm64', '@node-llama-cpp/mac-arm64-metal'],
    ['cpu', 'darwin', 'x64', '@node-llama-cpp/mac-x64'],
    ['cpu', 'win32', 'x64', '@node-llama-cpp/win-x64'],
    ['cuda', 'win32', 'x64', '@node-llama-cpp/win-x64-cuda'],
    ['vulkan', 'win32', 'x64', '@node-llama-cpp/win-x64-vulkan']
  ] as const)('%s on %s %s → %s', (variant, platform, arch, expected) => {
    expect(binaryPackageName(variant, platform, arch)).toBe(expected);
  });

  it('names only packages that node-llama-cpp publishes', () => {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')) as {
      optionalDependencies: Record<string, string>;
    };
    const published = Object.keys(pkg.optionalDependencies);
    const combos: Array<[Parameters<typeof binaryPackageName>[0], NodeJS.Platform, NodeJS.Architecture]> = [
      ['cpu', 'linux', 'x64'],
      ['cuda', 'linux', 'x64'],
      ['vulkan', 'linux', 'x64'],
      ['cpu', 'linux', 'arm64'],
      ['cpu', 'darwin', 'arm64'],
      ['cpu', 'darwin', 'x64'],
      ['cpu', 'win32', 'x64'],
      ['cuda', 'win32', 'x64'],
      ['vulkan', 'win32', 'x64'],
      ['cpu', 'win32', 'arm64']
    ];
    for (const [variant, platform, arch] of combos) expect(published).toContain(binaryPackageName(variant, platform, arch));
  });

  it('defaults to the running platform', () => {
    expect(binaryPackageName('cpu')).toBe(binaryPackageName('cpu', process.platform, process.arch));
  });
});
