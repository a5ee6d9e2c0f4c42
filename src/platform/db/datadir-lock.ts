import fs from 'node:fs';
import path from 'node:path';

/**
 * PGlite is one process's database. The process that opens a data directory holds
 * `jiedao.lock` (its pid); any other process refuses to open the directory while that
 * pid is alive. A lock left by a killed process (kill -9) is stale and is taken over.
 */
export class DataDirLockedError extends Error {
  constructor(public readonly dir: string, public readonly pid: number) {
    super(`数据目录 ${dir} 正被进程 ${pid} 使用（服务器正在运行）。请先停止服务器，或通过服务器的接口完成此操作。`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockFilePath(dir: string): string {
  return path.join(dir, 'jiedao.lock');
}

/** Who holds the directory, if anyone alive does. */
export function dataDirHolder(dir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(lockFilePath(dir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function acquireDataDirLock(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = lockFilePath(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx', mode: 0o600 });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch { /* already gone */ }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = dataDirHolder(dir);
      if (holder !== null) throw new DataDirLockedError(dir, holder);
      fs.rmSync(file, { force: true }); // stale lock of a dead process
    }
  }
  throw new Error(`无法获取数据目录锁 ${file}`);
}
