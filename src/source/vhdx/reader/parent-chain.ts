/**
 * Differencing chains (formats.md §1.8): resolve the parent locator to a file, open it, check
 * parent_linkage against its DataWriteGuid, the sector size, depth and cycles.
 */
import fs from 'node:fs';
import path from 'node:path';
import { dmError } from '../../../errors.js';
import { MAX_CHAIN_DEPTH } from '../format/constants.js';
import { parseBracedGuid } from '../format/guid.js';
import type { ParentLocator } from '../format/parent-locator.js';
import { fileKind } from '../../../core/regular-file.js';
import { ImageFile } from './image-file.js';
import { parseVhdx } from './parse-vhdx.js';
import { VhdxLayer, type IoMode } from './vhdx-layer.js';

export interface ChainOptions {
  readonly replayLog: boolean;
  readonly io: IoMode;
  readonly maxResidentBat?: number;
}

/**
 * Candidate parent paths in resolution order: relative_path against the child's directory, then
 * volume_path and absolute_win32_path (`\` → `/`): as-is when POSIX-absolute, else their file name
 * next to the child (`\\?\X:` and volume paths are only hints on this system).
 */
export function parentCandidates(childPath: string, loc: ParentLocator): string[] {
  const dir = path.dirname(path.resolve(childPath));
  const posix = (p: string) => p.replace(/\\/g, '/');
  const out: string[] = [];
  if (loc.relativePath) out.push(path.resolve(dir, posix(loc.relativePath)));
  for (const p of [loc.volumePath, loc.absoluteWin32Path]) {
    if (!p) continue;
    const m = posix(p);
    if (m.startsWith('/') && !m.startsWith('//')) out.push(m);
    const base = m.slice(m.lastIndexOf('/') + 1);
    if (base && base !== '.' && base !== '..') out.push(path.join(dir, base));
  }
  return [...new Set(out)];
}

/** What a candidate is when it is not a usable parent: missing, or a FIFO, device, directory... */
function whyNot(p: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 'missing';
  }
  return st.isFile() ? undefined : `${fileKind(st)}, not a regular file`;
}

/** Opens `file`'s chain, starting with the already opened file; every opened file lands in `opened`. */
export function openLayer(
  filePath: string,
  options: ChainOptions,
  opened: ImageFile[],
  seen: Set<string> = new Set(),
): VhdxLayer {
  if (seen.size >= MAX_CHAIN_DEPTH)
    throw dmError('DM_ERR_VHDX_CHAIN', `differencing chain is deeper than ${MAX_CHAIN_DEPTH} files`, {
      file: filePath,
    });
  const file = ImageFile.open(filePath);
  opened.push(file);
  const key = `${file.dev}:${file.ino}`;
  if (seen.has(key))
    throw dmError('DM_ERR_VHDX_CHAIN', 'differencing chain is cyclic: this file is its own ancestor', {
      file: filePath,
    });
  seen.add(key);
  const parsed = parseVhdx(file, options.replayLog, options.maxResidentBat);
  const m = parsed.metadata;
  if (!m.hasParent) return new VhdxLayer(file, parsed, undefined, options.io);

  const loc = m.parentLocator!;
  const at = { file: filePath, field: 'ParentLocator' };
  const linkage = parseBracedGuid(loc.parentLinkage);
  if (!linkage)
    throw dmError('DM_ERR_VHDX_PARENT_LOCATOR', `parent_linkage "${loc.parentLinkage}" is not a GUID`, at);
  const linkage2 = loc.parentLinkage2 === undefined ? undefined : parseBracedGuid(loc.parentLinkage2);
  if (loc.parentLinkage2 !== undefined && !linkage2)
    throw dmError('DM_ERR_VHDX_PARENT_LOCATOR', `parent_linkage2 "${loc.parentLinkage2}" is not a GUID`, at);
  const candidates = parentCandidates(filePath, loc);
  const tried: string[] = [];
  // A FIFO, device or directory is never a parent: it is skipped (never opened) and named.
  const parentPath = candidates.find((c) => {
    const why = whyNot(c);
    if (why !== undefined) tried.push(why === 'missing' ? c : `${c} (${why})`);
    return why === undefined;
  });
  if (!parentPath)
    throw dmError(
      'DM_ERR_VHDX_PARENT_MISSING',
      `parent not found; tried ${tried.join(', ') || '(no usable path)'}`,
      at,
    );

  const parent = openLayer(parentPath, options, opened, seen);
  const dataWriteGuid = parent.parsed.headers.header.dataWriteGuid;
  if (dataWriteGuid !== linkage && dataWriteGuid !== linkage2) {
    throw dmError(
      'DM_ERR_VHDX_PARENT_LINKAGE',
      `parent ${parentPath} has DataWriteGuid ${dataWriteGuid}, but parent_linkage is ${loc.parentLinkage}: the parent changed after the child was made`,
      at,
    );
  }
  if (parent.parsed.metadata.logicalSectorSize !== m.logicalSectorSize) {
    throw dmError(
      'DM_ERR_VHDX_CHAIN',
      `parent ${parentPath} has ${parent.parsed.metadata.logicalSectorSize}-byte logical sectors, the child ${m.logicalSectorSize}`,
      at,
    );
  }
  return new VhdxLayer(file, parsed, parent, options.io);
}
