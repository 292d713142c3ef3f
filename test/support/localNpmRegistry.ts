/**
 * An npm registry on 127.0.0.1 that serves the packages installed in a node_modules tree, so a
 * test can run a real `npm install` with no network and an empty npm cache. For every package
 * name it answers a packument listing each version found in the tree (nested copies included),
 * with the installed package.json as the version's manifest; tarballs are packed from the
 * installed directories on request. Unknown names answer 404, as the public registry does.
 * Every request is recorded, so a test can show the install really went through it.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface RegistryRequest {
  method: string;
  /** The path as npm sent it, still percent-encoded (`/@scope%2fname`). */
  path: string;
  status: number;
}

export interface InstalledPackage {
  name: string;
  version: string;
  dir: string;
  /** package.json as installed, less npm's own `_` fields (stale resolution data from old npm versions). */
  manifest: Record<string, unknown>;
}

export interface LocalNpmRegistry {
  /** With a trailing slash, the form npm's `registry` setting takes. */
  url: string;
  requests: RegistryRequest[];
  /** Every version found of each package name, highest first. */
  packages: ReadonlyMap<string, readonly InstalledPackage[]>;
  /** Where npm fetches this version's tarball. */
  tarballUrl(name: string, version: string): string;
  close(): Promise<void>;
}

export class RegistryPackError extends Error {
  override name = 'RegistryPackError';
}

/**
 * npm pack's fixed date for every entry: the same directory always packs to the same bytes, so
 * the integrity announced in a packument still holds when the tarball is packed again to serve it.
 */
const TAR_MTIME = Math.floor(Date.UTC(1985, 9, 26, 8, 15) / 1000);
/**
 * The fastest real compression: a runtime install asks for the packuments of every binary
 * package (all of them hashed, over half a gigabyte for CUDA) though it downloads one.
 */
const GZIP_LEVEL = 1;

export async function startLocalNpmRegistry(options: { nodeModules: string }): Promise<LocalNpmRegistry> {
  const packages = findInstalledPackages(options.nodeModules);
  const byTarball = new Map<string, InstalledPackage>();
  const digests = new Map<string, Promise<TarballDigest>>();
  const requests: RegistryRequest[] = [];
  let base = '';
  const tarballPath = (name: string, version: string): string => `/${name}/-/${name.split('/').pop()!}-${version}.tgz`;
  const tarballUrl = (name: string, version: string): string => `${base}${tarballPath(name, version).slice(1)}`;
  for (const versions of packages.values()) for (const pkg of versions) byTarball.set(tarballPath(pkg.name, pkg.version), pkg);
  // One hash per directory for the server's life: every test's npm asks again with an empty cache.
  const digestOf = (pkg: InstalledPackage): Promise<TarballDigest> => {
    let digest = digests.get(pkg.dir);
    if (!digest) {
      digest = hashTarball(pkg.dir, bundledNames(pkg.manifest));
      digests.set(pkg.dir, digest);
    }
    return digest;
  };

  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const rawPath = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'GET') return sendJson(res, 405, { error: `${req.method ?? '?'} is not supported: this registry only serves installs` });
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return sendJson(res, 400, { error: 'Bad request' });
    }
    const tarball = byTarball.get(decoded);
    if (tarball) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Headers are out: a failure now can only cut the body short, which npm reports as a bad download.
      await pipeline(packTarball(tarball.dir, bundledNames(tarball.manifest)), res).catch(() => res.destroy());
      return 200;
    }
    const versions = packages.get(decoded.slice(1));
    if (!versions) return sendJson(res, 404, { error: 'Not found' });
    let digestsOfVersions: TarballDigest[];
    try {
      digestsOfVersions = await Promise.all(versions.map(digestOf));
    } catch (error) {
      return sendJson(res, 500, { error: (error as Error).message });
    }
    return sendJson(res, 200, packument(versions, digestsOfVersions, tarballUrl));
  };

  const server = createServer((req, res) => {
    const entry: RegistryRequest = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    requests.push(entry);
    answer(req, res).then(
      (status) => {
        entry.status = status;
      },
      () => res.destroy()
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requests,
    packages,
    tarballUrl,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      })
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): number {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return status;
}

function packument(
  versions: readonly InstalledPackage[],
  digests: readonly TarballDigest[],
  tarballUrl: (name: string, version: string) => string
): Record<string, unknown> {
  const releases = versions.filter((v) => !v.version.includes('-'));
  const latest = (releases[0] ?? versions[0])!.version;
  const entries = versions.map((pkg, i) => {
    const { integrity, shasum } = digests[i]!;
    const manifest: Record<string, unknown> = {
      ...pkg.manifest,
      _id: `${pkg.name}@${pkg.version}`,
      dist: { tarball: tarballUrl(pkg.name, pkg.version), integrity, shasum }
    };
    return [pkg.version, manifest] as const;
  });
  return { _id: versions[0]!.name, name: versions[0]!.name, 'dist-tags': { latest }, versions: Object.fromEntries(entries) };
}

/** Every package directory in the tree, nested node_modules included; symlinks (workspaces, `npm link`) are not installed copies and are left out. */
export function findInstalledPackages(nodeModules: string): Map<string, InstalledPackage[]> {
  const found = new Map<string, InstalledPackage[]>();
  // Bundled dependencies (and theirs) arrive inside their parent's tarball, possibly patched: they are not published copies.
  const visit = (modulesDir: string, bundled: ReadonlySet<string>): void => {
    for (const entry of sortedEntries(modulesDir)) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const dir = path.join(modulesDir, entry.name);
      if (entry.name.startsWith('@')) {
        for (const scoped of sortedEntries(dir))
          if (scoped.isDirectory() && !bundled.has(`${entry.name}/${scoped.name}`)) visitPackage(path.join(dir, scoped.name));
      } else if (!bundled.has(entry.name)) {
        visitPackage(dir);
      }
    }
  };
  const visitPackage = (dir: string): void => {
    const pkg = readInstalled(dir);
    if (pkg) {
      const versions = found.get(pkg.name) ?? [];
      // The same version installed twice (two nested copies) is the same published tarball: the first one serves.
      if (!versions.some((v) => v.version === pkg.version)) versions.push(pkg);
      found.set(pkg.name, versions);
    }
    visit(path.join(dir, 'node_modules'), new Set(pkg ? bundledNames(pkg.manifest) : []));
  };
  visit(nodeModules, new Set());
  for (const versions of found.values()) versions.sort((a, b) => compareVersions(b.version, a.version));
  return found;
}

function sortedEntries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch {
    return [];
  }
}

function readInstalled(dir: string): InstalledPackage | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof json.name !== 'string' || typeof json.version !== 'string') return undefined;
  const manifest = Object.fromEntries(Object.entries(json).filter(([key]) => !key.startsWith('_')));
  return { name: json.name, version: json.version, dir, manifest };
}

function bundledNames(manifest: Record<string, unknown>): string[] {
  const bundled = manifest.bundleDependencies ?? manifest.bundledDependencies;
  if (Array.isArray(bundled)) return bundled.filter((n): n is string => typeof n === 'string');
  if (bundled === true && manifest.dependencies && typeof manifest.dependencies === 'object') return Object.keys(manifest.dependencies);
  return [];
}

/** Semver precedence (major.minor.patch, then prerelease identifiers); build metadata is ignored. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): { core: number[]; pre: string[] } => {
    const [main, ...rest] = v.split('+')[0]!.split('-');
    return { core: main!.split('.').map(Number), pre: rest.length ? rest.join('-').split('.') : [] };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if ((x.core[i] ?? 0) !== (y.core[i] ?? 0)) return (x.core[i] ?? 0) - (y.core[i] ?? 0);
  if (!x.pre.length || !y.pre.length) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined || q === undefined) return p === undefined ? -1 : 1;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

export interface TarballDigest {
  /** Subresource integrity, as `dist.integrity` carries it. */
  integrity: string;
  /** Hex sha1, as `dist.shasum` carries it. */
  shasum: string;
}

async function hashTarball(dir: string, bundled: readonly string[]): Promise<TarballDigest> {
  const sha512 = createHash('sha512');
  const sha1 = createHash('sha1');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      sha512.update(chunk);
      sha1.update(chunk);
      done();
    }
  });
  await pipeline(packTarball(dir, bundled), sink);
  return { integrity: `sha512-${sha512.digest('base64')}`, shasum: sha1.digest('hex') };
}

/**
 * The package directory as npm publishes it: a gzip tar of its files under `package/`, in name
 * order with fixed dates and modes. Its node_modules holds the package's installed dependencies,
 * which are not part of it, except those the manifest bundles.
 */
export function packTarball(dir: string, bundled: readonly string[] = []): Readable {
  return Readable.from(tarEntries(dir, bundled)).pipe(createGzip({ level: GZIP_LEVEL }));
}

async function* tarEntries(dir: string, bundled: readonly string[]): AsyncGenerator<Buffer> {
  for (const file of listFiles(dir, '', bundled)) {
    const absolute = path.join(dir, file);
    const stat = statSync(absolute);
    const mode = stat.mode & 0o111 ? 0o755 : 0o644;
    yield* tarHeaders(`package/${file}`, stat.size, mode);
    let written = 0;
    for await (const chunk of createReadStream(absolute)) {
      written += (chunk as Buffer).length;
      if (written > stat.size) break;
      yield chunk as Buffer;
    }
    if (written !== stat.size)
      throw new RegistryPackError(`${absolute} changed size while it was being packed (${stat.size} bytes, read ${written}): pack it again.`);
    if (stat.size % 512) yield Buffer.alloc(512 - (stat.size % 512));
  }
  yield Buffer.alloc(1024);
}

function listFiles(root: string, relative: string, bundled: readonly string[]): string[] {
  const files: string[] = [];
  for (const entry of sortedEntries(path.join(root, relative))) {
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (rel === 'node_modules') {
        for (const name of bundled)
          if (statSync(path.join(root, 'node_modules', name), { throwIfNoEntry: false })?.isDirectory())
            files.push(...listFiles(root, `node_modules/${name}`, []));
        continue;
      }
      files.push(...listFiles(root, rel, bundled));
    } else if (entry.isFile()) {
      files.push(rel);
    }
  }
  return files;
}

/** A ustar header, preceded by a pax header when the path does not fit ustar's name and prefix fields. */
function* tarHeaders(entryPath: string, size: number, mode: number): Generator<Buffer> {
  const split = splitUstarPath(entryPath);
  if (!split) {
    const record = paxRecord('path', entryPath);
    yield ustarHeader({ name: 'PaxHeader', prefix: '', size: record.length, mode: 0o644, type: 'x' });
    yield Buffer.concat([record, Buffer.alloc((512 - (record.length % 512)) % 512)]);
  }
  const { name, prefix } = split ?? { name: entryPath.slice(-100).replace(/^[^/]*\//, ''), prefix: '' };
  yield ustarHeader({ name, prefix, size, mode, type: '0' });
}

function splitUstarPath(entryPath: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(entryPath) <= 100) return { name: entryPath, prefix: '' };
  for (let i = entryPath.indexOf('/'); i !== -1; i = entryPath.indexOf('/', i + 1)) {
    const prefix = entryPath.slice(0, i);
    const name = entryPath.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return undefined;
}

/** `<length> <key>=<value>\n`, where the length counts the whole record, its own digits included. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body);
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}

function ustarHeader(entry: { name: string; prefix: string; size: number; mode: number; type: '0' | 'x' }): Buffer {
  const header = Buffer.alloc(512);
  const octal = (value: number, offset: number, width: number): void => {
    header.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
  };
  header.write(entry.name, 0, 100, 'utf8');
  octal(entry.mode, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(entry.size, 124, 12);
  octal(TAR_MTIME, 136, 12);
  header.write(entry.type, 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write(entry.prefix, 345, 155, 'utf8');
  // The checksum is summed with its own field as spaces, then written as six digits, NUL, space.
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}
