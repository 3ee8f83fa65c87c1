/**
 * Layers in one direction. The layering rule (eslint.config.js, design.md §2) as lint applies it:
 * each case lints one import line as if it sat in the named file, so a rule that stops firing, or
 * fires where it should not, fails here rather than letting a back-edge in. And src/ has no import
 * cycle, between folders or between files.
 */
import { ESLint } from 'eslint';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, folderGraph, importGraph } from './helpers/import-graph.js';

const ROOT = join(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: ROOT });

async function layeringErrors(file: string, specifier: string): Promise<string[]> {
  const code = `import { x } from '${specifier}';\nexport const y = x;\n`;
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering lint rule', () => {
  it.each([
    ['src/format/probe.ts', '../repository/open.js'],
    ['src/format/probe.ts', '../compute/seal.js'],
    ['src/compute/probe.ts', '../workers/pool.js'],
    ['src/compute/probe.ts', '../repository/open.js'],
    ['src/compute/codecs/probe.ts', '../../workers/pool.js'],
    ['src/compute/probe.ts', 'node:fs'],
    ['src/compute/probe.ts', '../index.js'],
    ['src/format/probe.ts', '../source/range.js'],
    ['src/format/probe.ts', 'node:fs'],
    ['src/format/probe.ts', 'node:fs/promises'],
    ['src/format/probe.ts', '../index.js'],
    ['src/workers/probe.ts', '../repository/open.js'],
    ['src/core/probe.ts', '../format/frame.js'],
    ['src/repository/probe.ts', '../pipeline/run-pipeline.js'],
    ['src/repository/probe.ts', '../workers/frame-run-pool.js'],
    ['src/source/vhdx/writer/probe.ts', '../../../volume/api.js'],
    ['src/source/vhdx/writer/probe.ts', '../../../format/frame.js'],
    ['src/volume/ntfs/probe.ts', '../../plan/planner.js'],
    ['src/cli/probe.ts', '../job/backup.js'],
    ['src/cli/probe.ts', '../core/size.js'],
    ['src/cli/commands/probe.ts', '../../repository/open.js'],
  ])('%s may not import %s', async (file, specifier) => {
    expect(await layeringErrors(file, specifier)).not.toEqual([]);
  });

  it.each([
    ['src/format/probe.ts', '../core/native.js'],
    ['src/format/probe.ts', '../errors.js'],
    ['src/format/probe.ts', './frame.js'],
    ['src/workers/probe.ts', '../format/frame.js'],
    ['src/compute/probe.ts', '../format/frame.js'],
    ['src/compute/codecs/probe.ts', '../../core/blob.js'],
    ['src/compute/cipher/probe.ts', '../../errors.js'],
    ['src/workers/probe.ts', '../compute/seal.js'],
    ['src/repository/probe.ts', '../compute/frame-open.js'],
    ['src/repository/probe.ts', '../format/manifest.js'],
    // A sub-folder that shares a layer's name is not that layer.
    ['src/source/vhdx/writer/probe.ts', '../format/guid.js'],
    ['src/job/probe.ts', '../repository/open.js'],
    ['src/cli/probe.ts', '../index.js'],
    ['src/cli/commands/probe.ts', '../../index.js'],
    ['src/pipeline/probe.ts', '../workers/frame-run-pool.js'],
    ['src/pipeline/probe.ts', '../repository/verify-pack.js'],
  ])('%s may import %s', async (file, specifier) => {
    expect(await layeringErrors(file, specifier)).toEqual([]);
  });

  it('covers every folder of src/', async () => {
    const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(folders.length).toBeGreaterThan(5);
    for (const folder of folders) {
      const config = (await eslint.calculateConfigForFile(join(ROOT, 'src', folder.name, 'probe.ts'))) as {
        rules?: Record<string, unknown>;
      };
      expect(
        config.rules?.['no-restricted-imports'],
        `src/${folder.name}/ has no layering rule`,
      ).toBeDefined();
    }
  });
});

describe('import cycles', () => {
  it('src/ has none between files', () => {
    expect(cycles(importGraph(join(ROOT, 'src')))).toEqual([]);
  });

  it('src/ has none between folders', () => {
    expect(cycles(folderGraph(importGraph(join(ROOT, 'src'))))).toEqual([]);
  });

  it('are found when there are some', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dm-cycles-'));
    try {
      const put = (file: string, text: string) => {
        mkdirSync(join(dir, file, '..'), { recursive: true });
        writeFileSync(join(dir, file), text);
      };
      put('a/one.ts', "import type { Two } from './two.js';\nexport type One = Two;\n");
      put('a/two.ts', "export { one } from './three.js';\nexport type Two = number;\n");
      put('a/three.ts', "export const one = () => import('./one.js');\n");
      put('a/four.ts', "import '../b/five.js';\n");
      put('b/five.ts', "import { x } from '../a/two.js';\nexport const y = x;\n");
      put('b/six.ts', 'export const z = 1;\n');
      const files = importGraph(dir);
      expect(cycles(files)).toEqual([['a/one.ts', 'a/three.ts', 'a/two.ts']]);
      expect(cycles(folderGraph(files))).toEqual([['a/', 'b/']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
