/**
 * The parent locator a differencing child stores (formats.md §1.8): parent_linkage is the parent's
 * current DataWriteGuid braced lowercase; relative_path is relative to the child's directory with
 * `\` separators; absolute_win32_path is the resolved path (on POSIX, `\`-separated from the root,
 * which readers on Linux map back to `/`; on Windows, `\\?\C:\...`).
 */
import path from 'node:path';
import { toBracedGuid, type Guid } from '../format/guid.js';
import type { ParentLocator } from '../format/parent-locator.js';

export function buildParentLocator(
  childPath: string,
  parentPath: string,
  parentDataWriteGuid: Guid,
): ParentLocator {
  const child = path.resolve(childPath);
  const parent = path.resolve(parentPath);
  const relative = path.relative(path.dirname(child), parent).split(path.sep).join('\\');
  const absolute = process.platform === 'win32' ? `\\\\?\\${parent}` : parent.split(path.sep).join('\\');
  return {
    parentLinkage: toBracedGuid(parentDataWriteGuid),
    relativePath: relative,
    absoluteWin32Path: absolute,
  };
}
