// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layering (docs/design.md §2): data flows one way. Each entry lists the src/ layers a folder may
 * import; every other layer is forbidden, with no exceptions.
 */
const allowed = {
  core: [],
  // The byte format (frame, pack header, manifest, envelope, config): encode/decode only, no I/O.
  format: ['core'],
  // Single-block compute (zero check, identity, codecs, cipher, sealing and opening one blob): pure, no I/O.
  compute: ['core', 'format'],
  source: ['core'],
  volume: ['core', 'source'],
  changes: ['core'],
  plan: ['core', 'source', 'volume', 'changes'],
  workers: ['core', 'format', 'compute'],
  repository: ['core', 'format', 'compute', 'source'],
  pipeline: ['core', 'format', 'compute', 'source', 'volume', 'changes', 'plan', 'workers', 'repository'],
  infra: ['core'],
  scheduler: ['core', 'infra'],
  // Generator of simulated infrastructures (guest disks, change maps, infra.json): writes through source/.
  fixtures: ['core', 'source', 'volume', 'changes', 'infra'],
  job: [
    'core',
    'format',
    'compute',
    'source',
    'volume',
    'changes',
    'plan',
    'pipeline',
    'workers',
    'repository',
    'infra',
    'scheduler',
    'fixtures',
  ],
  // A thin shell over the public API: src/index.ts (and errors.ts), no layer directly.
  cli: [],
};
const layers = Object.keys(allowed);

/**
 * Imports a pure layer may not make beyond the layering table: no file system, and nothing from the
 * top of src/ but the error catalog (errors.ts). `up` is the relative path from the file to src/.
 * @type {Record<string, (up: string) => string[]>}
 */
const purity = {
  format: (up) => ['node:fs', 'node:fs/*', 'fs', 'fs/*', `${up}*.js`, `!${up}errors.js`],
  compute: (up) => ['node:fs', 'node:fs/*', 'fs', 'fs/*', `${up}*.js`, `!${up}errors.js`],
};

/** Deepest folder level below src/ that the rules cover (src/source/vhdx/writer/ is 3). */
const MAX_DEPTH = 8;

/**
 * Import specifiers are relative, so a layer is named by the path up to src/ and down again: a file
 * in src/source/vhdx/writer/ reaches src/volume/ as ../../../volume/. Anchoring at src/ keeps a
 * sub-folder that shares a layer's name (src/source/vhdx/format/) from matching it.
 * @param {string} layer
 * @param {number} depth folders between src/ and the file (1 for src/<layer>/x.ts)
 */
function forbiddenFor(layer, depth) {
  const up = '../'.repeat(depth);
  const ok = new Set([layer, ...(allowed[/** @type {keyof typeof allowed} */ (layer)] ?? [])]);
  return [...layers.filter((l) => !ok.has(l)).map((l) => `${up}${l}/**`), ...(purity[layer]?.(up) ?? [])];
}

const layerRules = Object.keys(allowed).flatMap((layer) =>
  Array.from({ length: MAX_DEPTH }, (_, i) => i + 1).map((depth) => ({
    files: [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: forbiddenFor(layer, depth),
              message: `layering (design.md §2): src/${layer} may import only ${allowed[/** @type {keyof typeof allowed} */ (layer)].join(', ') || (layer === 'cli' ? 'the public API (src/index.ts)' : 'nothing else in src')}`,
            },
            ...(layer === 'cli'
              ? []
              : [
                  {
                    group: ['**/index.js', '../index.js'],
                    message: 'stages must not import the public API barrel',
                  },
                ]),
          ],
        },
      ],
    },
  })),
);

export default tseslint.config(
  {
    ignores: [
      '.scratch/**',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'bench/out/**',
      'native-fixtures/images/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layerRules,
);
