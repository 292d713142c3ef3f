import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../../src/process/runProcess.js';

/**
 * Small tmpfs mounts for tests of what a read-only or full disk does: a chmod'ed directory does
 * not stop root, a real mount stops everyone. Mounting needs root (or CAP_SYS_ADMIN); `available`
 * says whether this machine allows it, so callers can say why a test did not run.
 */
export class TmpfsMounts {
  private readonly mounted: string[] = [];

  private constructor(
    readonly root: string,
    readonly available: boolean,
    readonly reason: string
  ) {}

  static async create(prefix: string): Promise<TmpfsMounts> {
    const root = await mkdtemp(path.join(os.tmpdir(), prefix));
    const probe = path.join(root, 'probe');
    await mkdir(probe);
    const tried = await mountCommand(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]);
    if (tried.exitCode !== 0) return new TmpfsMounts(root, false, `mount -t tmpfs is not permitted here: ${tried.stderr.trim()}`);
    await umount(probe);
    return new TmpfsMounts(root, true, '');
  }

  /** A read-only tmpfs holding `files` (written before it is remounted read-only). */
  async readOnly(name: string, files: Record<string, string> = {}): Promise<string> {
    const dir = await this.mount(name, '1m');
    for (const [file, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), content);
    }
    await this.run(['-o', 'remount,ro', dir]);
    return dir;
  }

  /** A 64 KiB tmpfs filled to the last byte. */
  async full(name: string): Promise<string> {
    const dir = await this.mount(name, '64k');
    await writeFile(path.join(dir, 'filler'), Buffer.alloc(1024 * 1024)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOSPC') throw error;
    });
    return dir;
  }

  /** Unmounts everything mounted here (newest first) and removes the root. */
  async cleanUp(): Promise<void> {
    for (const dir of this.mounted.reverse()) await umount(dir);
    await rm(this.root, { recursive: true, force: true });
  }

  private async mount(name: string, size: string): Promise<string> {
    const dir = path.join(this.root, name);
    await mkdir(dir);
    await this.run(['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    this.mounted.push(dir);
    return dir;
  }

  private async run(args: string[]): Promise<void> {
    const result = await mountCommand(args);
    if (result.exitCode !== 0) throw new Error(`mount ${args.join(' ')} failed: ${result.stderr.trim()}`);
  }
}

function mountCommand(args: string[]) {
  return runProcess({ command: 'mount', args, cwd: '/', timeoutMs: 10_000 }).catch((error: Error) => ({ exitCode: 1, stderr: error.message }));
}

async function umount(dir: string): Promise<void> {
  const result = await runProcess({ command: 'umount', args: [dir], cwd: '/', timeoutMs: 10_000 });
  if (result.exitCode !== 0) throw new Error(`umount ${dir} failed: ${result.stderr.trim()}`);
}
