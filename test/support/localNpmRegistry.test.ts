/**
 * The local registry against the tools that read it: the system tar unpacks its tarballs to the installed files, the
 * hashes in its packuments are those of the bytes it serves, and a real `npm install` resolves from it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compareVersions, startLocalNpmRegistry, type LocalNpmRegistry } from './localNpmRegistry.js';
import { filesUnder } from './filesUnder.js';

interface Packument {
  name: string;
  'dist-tags': { latest: string };
  versions: Record<
    string,
    {
      name: string;
      version: string;
      dependencies?: Record<string, string>;
      bin?: Record<string, string>;
      _resolved?: string;
      dist: { tarball: string; integrity: string; shasum: string };
    }
  >;
}

const execFileAsync = promisify(execFile);
const LONG_NAME = `${'a-file-name-longer-than-a-ustar-name-field-'.repeat(3)}.txt`;
const DEEP_PATH = ['lib', 'a-directory-with-a-long-name', 'and-another-long-directory-name', 'and-a-third-one-to-pass-100', 'index.js'];

let root: string;
let registry: LocalNpmRegistry;

async function writePackage(dir: string, manifest: Record<string, unknown>, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
}

async function getPackument(name: string): Promise<Packument> {
  const res = await fetch(`${registry.url}${name.replace('/', '%2f')}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Packument;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'aqe-local-registry-'));
  const modules = path.join(root, 'node_modules');
  await writePackage(
    path.join(modules, 'alpha'),
    {
      name: 'alpha',
      version: '1.0.0',
      bin: { alpha: 'bin/cli.js' },
      dependencies: { beta: '^2.0.0' },
      _resolved: 'https://registry.npmjs.org/alpha/-/alpha-1.0.0.tgz'
    },
    {
      'bin/cli.js': '#!/usr/bin/env node\nconsole.log("alpha");\n',
      [LONG_NAME]: 'long\n',
      [DEEP_PATH.join('/')]: 'module.exports = 1;\n'
    }
  );
  await chmod(path.join(modules, 'alpha', 'bin', 'cli.js'), 0o755);
  await writePackage(path.join(modules, 'alpha', 'node_modules', 'beta'), { name: 'beta', version: '2.0.0' }, { 'index.js': 'module.exports = 2;\n' });
  await writePackage(path.join(modules, 'beta'), { name: 'beta', version: '1.5.0' }, { 'index.js': 'module.exports = 1.5;\n' });
  await writePackage(path.join(modules, 'beta-pre'), { name: 'beta', version: '3.0.0-rc.1' }, { 'index.js': 'module.exports = 3;\n' });
  await writePackage(
    path.join(modules, '@scope', 'gamma'),
    { name: '@scope/gamma', version: '0.1.0', dependencies: { delta: '1.0.0', beta: '^1.0.0' }, bundleDependencies: ['delta'] },
    { 'index.js': '' }
  );
  await writePackage(
    path.join(modules, '@scope', 'gamma', 'node_modules', 'delta'),
    { name: 'delta', version: '1.0.0' },
    { 'index.js': 'module.exports = "bundled";\n' }
  );
  await writePackage(
    path.join(modules, '@scope', 'gamma', 'node_modules', 'beta'),
    { name: 'beta', version: '1.5.0' },
    { 'index.js': 'module.exports = 1.5;\n' }
  );
  await mkdir(path.join(modules, '.bin'));
  registry = await startLocalNpmRegistry({ nodeModules: modules });
});

afterAll(async () => {
  await registry?.close();
  await rm(root, { recursive: true, force: true });
});

describe('startLocalNpmRegistry', () => {
  it('lists every installed version of a name, nested copies included, with the highest release as latest', async () => {
    const beta = await getPackument('beta');
    expect(Object.keys(beta.versions)).toEqual(['3.0.0-rc.1', '2.0.0', '1.5.0']);
    expect(beta['dist-tags'].latest).toBe('2.0.0');
    expect(beta.versions['2.0.0']!.dist.tarball).toBe(registry.tarballUrl('beta', '2.0.0'));
    expect(registry.tarballUrl('@scope/gamma', '0.1.0')).toBe(`${registry.url}@scope/gamma/-/gamma-0.1.0.tgz`);
    // Bundled dependencies are part of their parent's tarball, not packages of their own.
    expect((await fetch(`${registry.url}delta`)).status).toBe(404);
  });

  it('carries the installed manifest and announces the hashes of the very bytes it serves', async () => {
    const alpha = (await getPackument('alpha')).versions['1.0.0']!;
    expect(alpha).toMatchObject({ name: 'alpha', version: '1.0.0', bin: { alpha: 'bin/cli.js' }, dependencies: { beta: '^2.0.0' } });
    expect(alpha._resolved).toBeUndefined();
    const body = Buffer.from(await (await fetch(alpha.dist.tarball)).arrayBuffer());
    expect(alpha.dist.integrity).toBe(`sha512-${createHash('sha512').update(body).digest('base64')}`);
    expect(alpha.dist.shasum).toBe(createHash('sha1').update(body).digest('hex'));

    const out = path.join(root, 'unpacked-alpha');
    await mkdir(out);
    await writeFile(path.join(out, 'alpha.tgz'), body);
    execFileSync('tar', ['-xzf', 'alpha.tgz'], { cwd: out });
    const unpacked = path.join(out, 'package');
    expect(await filesUnder(unpacked)).toEqual(['bin/cli.js', DEEP_PATH.join('/'), LONG_NAME, 'package.json'].map((p) => path.join(...p.split('/'))).sort());
    expect(await readFile(path.join(unpacked, LONG_NAME), 'utf8')).toBe('long\n');
    expect((await stat(path.join(unpacked, 'bin', 'cli.js'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(unpacked, 'package.json'))).mode & 0o777).toBe(0o644);
  });

  it('packs bundled dependencies with their parent and leaves the other installed ones out', async () => {
    const gamma = (await getPackument('@scope/gamma')).versions['0.1.0']!;
    const out = path.join(root, 'unpacked-gamma');
    await mkdir(out);
    await writeFile(path.join(out, 'gamma.tgz'), Buffer.from(await (await fetch(gamma.dist.tarball)).arrayBuffer()));
    execFileSync('tar', ['-xzf', 'gamma.tgz'], { cwd: out });
    expect(await filesUnder(path.join(out, 'package'))).toEqual([
      'index.js',
      path.join('node_modules', 'delta', 'index.js'),
      path.join('node_modules', 'delta', 'package.json'),
      'package.json'
    ]);
  });

  it('answers unknown packages and tarballs with 404 JSON and records every request', async () => {
    const before = registry.requests.length;
    const missing = await fetch(`${registry.url}@scope%2fnothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'Not found' });
    expect((await fetch(`${registry.url}alpha/-/alpha-9.9.9.tgz`)).status).toBe(404);
    expect(registry.requests.slice(before)).toEqual([
      { method: 'GET', path: '/@scope%2fnothing', status: 404 },
      { method: 'GET', path: '/alpha/-/alpha-9.9.9.tgz', status: 404 }
    ]);
  });

  it('is a registry npm installs from, with an empty cache', async () => {
    const project = path.join(root, 'project');
    await mkdir(project);
    const cache = path.join(root, 'npm-cache');
    const env: NodeJS.ProcessEnv = { ...process.env, npm_config_registry: registry.url, npm_config_cache: cache };
    delete env.npm_config_offline;
    delete env.npm_config_prefer_offline;
    // Asynchronously: the registry answers from this process's event loop.
    await execFileAsync('npm', ['install', '--prefix', project, '--no-save', '--no-audit', '--no-fund', 'alpha', '@scope/gamma'], {
      cwd: project,
      env,
      timeout: 50_000
    });
    const modules = path.join(project, 'node_modules');
    expect(await readFile(path.join(modules, 'alpha', LONG_NAME), 'utf8')).toBe('long\n');
    // Each dependent gets the highest release its range allows, wherever npm chose to place it.
    const betaSeenFrom = (dependent: string): unknown =>
      (createRequire(path.join(modules, dependent, 'package.json'))('beta/package.json') as { version: string }).version;
    expect(betaSeenFrom('alpha')).toBe('2.0.0');
    expect(betaSeenFrom(path.join('@scope', 'gamma'))).toBe('1.5.0');
    expect(await readFile(path.join(modules, '@scope', 'gamma', 'node_modules', 'delta', 'index.js'), 'utf8')).toBe('module.exports = "bundled";\n');
    expect(execFileSync(path.join(modules, '.bin', 'alpha'), { encoding: 'utf8' })).toBe('alpha\n');
  }, 60_000);
});

describe('compareVersions', () => {
  it('orders by semver precedence', () => {
    const ordered = [
      '0.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.10.0',
      '2.0.0+build.5'
    ];
    expect([...ordered].reverse().sort(compareVersions)).toEqual(ordered);
    expect(compareVersions('1.0.0+a', '1.0.0+b')).toBe(0);
  });
});
