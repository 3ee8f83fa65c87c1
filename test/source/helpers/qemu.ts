/** qemu-img / qemu-io wrappers for conformance tests (callers gate on hasTool('qemu-img')). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function qemuIo(file: string, format: 'vhdx' | 'raw', ...commands: string[]): void {
  execFileSync('qemu-io', ['-f', format, ...commands.flatMap((c) => ['-c', c]), file], { stdio: 'ignore' });
}

/** The virtual disk as qemu sees it (`qemu-img convert -O raw`). */
export function qemuRaw(file: string, rawPath: string): Uint8Array {
  qemuImg('convert', '-f', 'vhdx', '-O', 'raw', file, rawPath);
  return readFileSync(rawPath);
}

export interface QemuMapEntry {
  start: number;
  length: number;
  data: boolean;
  zero: boolean;
}

export function qemuMap(file: string): QemuMapEntry[] {
  return JSON.parse(qemuImg('map', '-f', 'vhdx', '--output=json', file)) as QemuMapEntry[];
}
