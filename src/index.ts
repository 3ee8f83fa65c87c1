/** Public library API: explicit named exports only. */
export { DmError, ERROR_CATALOG, isDmError, exitCodeFor } from './errors.js';
export type { ErrorCode, WireError } from './errors.js';
export { parseSize, formatSize } from './core/size.js';
export type { DiskSource, Extent, ExtentKind, ImageFormat } from './source/disk-source.js';
