// File-system failures on a run folder, said plainly: a read-only file system, a full disk or a
// missing permission, with the path it concerns. Recursive mkdir reports a read-only or
// forbidden parent as ENOENT, so the cause is found by trying the nearest folder that exists.
import { existsSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest folder at or above `path` that exists. */
function existingAncestor(path: string): string {
  let p = path;
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  return p;
}

/** Why writing under `folder` fails: tries a file in its nearest existing folder. */
function probe(folder: string): NodeJS.ErrnoException | undefined {
  const probeFile = join(folder, `.agent-tune-write-test-${process.pid}`);
  try {
    writeFileSync(probeFile, '');
    unlinkSync(probeFile);
    return undefined;
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
}

function freeSpace(path: string): string {
  try {
    const s = statfsSync(path);
    return `${((s.bavail * s.bsize) / 1048576).toFixed(0)} MB free`;
  } catch {
    return 'free space unknown';
  }
}

/**
 * An error that names the cause and the path. `what` says what was being written
 * ("the run folder", "events.jsonl"); `fix` what to do about a folder that cannot be used.
 */
const FOLDER_FIX = 'choose another folder with --output-dir or train.output_dir';

export function describeFsError(e: unknown, path: string, what: string, fix = FOLDER_FIX): Error {
  const err = e as NodeJS.ErrnoException;
  let code = err?.code;
  let at = path;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    at = existingAncestor(path);
    code = probe(statSafeDir(at))?.code ?? code;
  }
  let message: string;
  switch (code) {
    case 'EROFS':
      message = `cannot write ${what} at ${path}: ${at} is on a read-only file system; ${fix}`;
      break;
    case 'EACCES':
    case 'EPERM':
      message = `cannot write ${what} at ${path}: permission denied on ${at}${owner(at)}; ${fix}`;
      break;
    case 'ENOSPC':
    case 'EDQUOT':
      message = `cannot write ${what} at ${path}: the disk is full${code === 'EDQUOT' ? ' (your quota is used up)' : ''} (${freeSpace(existingAncestor(path))}); ${fix === FOLDER_FIX ? `free some space or ${fix}` : fix}`;
      break;
    case 'ENOTDIR':
    case 'EEXIST':
      message = `cannot write ${what} at ${path}: a file stands where a folder should be (${at}); ${fix}`;
      break;
    default:
      return err instanceof Error ? err : new Error(String(e));
  }
  return Object.assign(new Error(message, { cause: err }), { code });
}

function statSafeDir(p: string): string {
  try {
    return statSync(p).isDirectory() ? p : dirname(p);
  } catch {
    return p;
  }
}

function owner(p: string): string {
  try {
    const s = statSync(p);
    return ` (owned by uid ${s.uid}, mode ${(s.mode & 0o777).toString(8)}; you are uid ${process.getuid?.() ?? '?'})`;
  } catch {
    return '';
  }
}
