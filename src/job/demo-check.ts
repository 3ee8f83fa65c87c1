/** Checks a restored guest disk file by file against the generator's manifest (used by the demo). */
import { createHash } from 'node:crypto';
import type { DiskManifest } from '../fixtures/generate-disk.js';
import { openImage } from '../source/open-image.js';

export interface FileCheck {
  /** Non-resident files whose bytes equal the manifest's sha256. */
  readonly identical: number;
  /** Files BitLooker excluded (pagefile.sys, hiberfil.sys) whose restored clusters are all zero. */
  readonly excludedZeroed: number;
  /** Files stored inside their MFT record (kept with the MFT, not checked here). */
  readonly resident: number;
  readonly mismatched: string[];
}

const EXCLUDED = new Set(['\\pagefile.sys', '\\hiberfil.sys', '\\swapfile.sys']);

export async function checkRestoredFiles(image: string, manifest: DiskManifest): Promise<FileCheck> {
  const source = await openImage(image);
  const buf = Buffer.alloc(4 * 1024 * 1024);
  let identical = 0;
  let excludedZeroed = 0;
  let resident = 0;
  const mismatched: string[] = [];
  try {
    for (const file of manifest.files) {
      if (file.resident) {
        resident++;
        continue;
      }
      const excluded = EXCLUDED.has(file.path.toLowerCase());
      const hash = createHash('sha256');
      let left = file.size;
      let allZero = true;
      for (const ext of file.extents) {
        for (let off = 0; off < ext.length && left > 0; off += buf.length) {
          const n = Math.min(buf.length, ext.length - off, left);
          await source.read(buf, ext.offset + off, n);
          const view = buf.subarray(0, n);
          if (excluded) allZero &&= view.every((b) => b === 0);
          else hash.update(view);
          left -= n;
        }
      }
      if (excluded) {
        if (allZero) excludedZeroed++;
        else mismatched.push(`${file.path} (excluded but not zeroed)`);
      } else if (hash.digest('hex') === file.sha256) identical++;
      else mismatched.push(file.path);
    }
  } finally {
    await source.close();
  }
  return { identical, excludedZeroed, resident, mismatched };
}
