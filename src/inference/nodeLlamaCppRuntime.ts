import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { runProcess } from '../process/runProcess.js';
import { ProviderUnavailableError } from './errors.js';

export type NodeLlamaCppModule = typeof NodeLlamaCpp;

/** The one node-llama-cpp version this release is tested with. */
export const NODE_LLAMA_CPP_VERSION = '3.22.1';

export type BinaryVariant = 'cpu' | 'cuda' | 'vulkan';

export interface RuntimeLocation {
  /** The package's ESM entry file. */
  entry: string;
  version: string;
  packageDir: string;
}

/**
 * node-llama-cpp carries native binaries (85 MB for CPU, 500+ MB for CUDA), so it is never
 * bundled into dist/: it is found beside the action or in the container image, or installed
 * into a cache directory at run time, and loaded with an import the bundler leaves alone.
 */
export function locateNodeLlamaCpp(searchFrom: readonly string[]): RuntimeLocation | undefined {
  for (const start of searchFrom) {
    let dir = path.resolve(start);
    for (;;) {
      const packageDir =
        existsSync(path.join(dir, 'package.json')) && readName(dir) === 'node-llama-cpp' ? dir : path.join(dir, 'node_modules', 'node-llama-cpp');
      const found = readRuntime(packageDir);
      if (found) return found;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

function readName(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

function readRuntime(packageDir: string): RuntimeLocation | undefined {
  let pkg: { name?: string; version?: string; exports?: Record<string, { import?: string; default?: string }> };
  try {
    pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    return undefined;
  }
  if (pkg.name !== 'node-llama-cpp' || !pkg.version) return undefined;
  const main = pkg.exports?.['.'];
  const entry = path.join(packageDir, main?.import ?? main?.default ?? 'dist/index.js');
  return existsSync(entry) ? { entry, version: pkg.version, packageDir } : undefined;
}

/** npm package holding the prebuilt llama.cpp binary for this platform and back end. */
export function binaryPackageName(variant: BinaryVariant, platform = process.platform, arch = process.arch): string {
  const os = platform === 'darwin' ? 'mac' : platform === 'win32' ? 'win' : platform;
  if (os === 'mac') return `@node-llama-cpp/mac-${arch}${arch === 'arm64' ? '-metal' : ''}`;
  return `@node-llama-cpp/${os}-${arch}${variant === 'cpu' ? '' : `-${variant}`}`;
}

/**
 * Installs the pinned node-llama-cpp with only the binary package this machine needs (the
 * optional dependencies would pull every platform's binaries, over a gigabyte).
 */
export async function installNodeLlamaCpp(installDir: string, variant: BinaryVariant, log: (line: string) => void): Promise<RuntimeLocation> {
  await mkdir(installDir, { recursive: true });
  const packages = [`node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`, `${binaryPackageName(variant)}@${NODE_LLAMA_CPP_VERSION}`];
  if (variant === 'cuda' && process.platform !== 'darwin') packages.push(`${binaryPackageName(variant)}-ext@${NODE_LLAMA_CPP_VERSION}`);
  log(`Installing ${packages.join(' ')} into ${installDir}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = await runProcess({
    command: npm,
    args: ['install', '--prefix', installDir, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', ...packages],
    cwd: installDir,
    timeoutMs: 15 * 60_000
  });
  const found = result.exitCode === 0 ? readRuntime(path.join(installDir, 'node_modules', 'node-llama-cpp')) : undefined;
  if (!found) {
    throw new ProviderUnavailableError(
      `Installing node-llama-cpp into ${installDir} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode}`}): ${result.stderr.trim().slice(-2000)}. ` +
        'Use the container image, or install it yourself and pass the directory as the llama-runtime input.'
    );
  }
  return found;
}

export async function importNodeLlamaCpp(location: RuntimeLocation): Promise<NodeLlamaCppModule> {
  try {
    return (await import(/* webpackIgnore: true */ pathToFileURL(location.entry).href)) as NodeLlamaCppModule;
  } catch (error) {
    throw new ProviderUnavailableError(
      `node-llama-cpp at ${location.packageDir} could not be loaded: ${(error as Error).message}. Reinstall it (delete that directory) or point llama-runtime at a working install.`
    );
  }
}
