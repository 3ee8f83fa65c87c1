/** Public library API: explicit named exports only. */
export { DmError, ERROR_CATALOG, isDmError, exitCodeFor } from './errors.js';
export type { ErrorCode, WireError } from './errors.js';
export { parseSize, formatSize } from './core/size.js';
export type { DiskSource, Extent, ExtentKind, ImageFormat } from './source/disk-source.js';
export { inspect } from './job/inspect.js';
export type { InspectOptions, InspectResult } from './job/inspect.js';
export { convert } from './job/convert.js';
export type { ConvertJobOptions, ConvertJobResult } from './job/convert.js';
export { runDemo } from './job/demo.js';
export type { DemoOptions, DemoResult, DemoStep } from './job/demo.js';
