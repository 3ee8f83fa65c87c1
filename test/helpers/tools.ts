import { execFileSync } from 'node:child_process';

/**
 * Whether an external conformance tool (qemu-img, ntfsls, ...) is on PATH. Locally a missing tool
 * skips the conformance test; in CI (CI=true) it is a failure, so conformance never skips silently.
 */
export function hasTool(name: string): boolean {
  let found = true;
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
  } catch {
    found = false;
  }
  if (!found && process.env['CI'] === 'true') {
    throw new Error(`${name} is required in CI (install qemu-utils / ntfs-3g), but it is not on PATH`);
  }
  return found;
}
