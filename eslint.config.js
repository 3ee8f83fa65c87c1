// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layering (docs/design.md §2): data flows one way. Each entry lists the src/ layers a folder may
 * NOT import. Import specifiers are relative, so a `**\/<layer>/**` pattern catches every depth.
 */
const layers = ['core', 'source', 'volume', 'changes', 'plan', 'pipeline', 'workers', 'repository', 'infra', 'scheduler', 'fixtures', 'job', 'cli'];
const allowed = {
  core: [],
  source: ['core'],
  volume: ['core', 'source'],
  changes: ['core'],
  plan: ['core', 'source', 'volume', 'changes'],
  workers: ['core'],
  repository: ['core', 'source', 'workers'],
  pipeline: ['core', 'source', 'volume', 'changes', 'plan', 'workers', 'repository'],
  infra: ['core'],
  scheduler: ['core', 'infra'],
  // Generator of simulated infrastructures (guest disks, change maps, infra.json): writes through source/.
  fixtures: ['core', 'source', 'volume', 'changes', 'infra'],
  job: ['core', 'source', 'volume', 'changes', 'plan', 'pipeline', 'workers', 'repository', 'infra', 'scheduler', 'fixtures'],
};

/** @param {string} layer */
function forbiddenFor(layer) {
  const ok = new Set([layer, ...(allowed[/** @type {keyof typeof allowed} */ (layer)] ?? [])]);
  const groups = layers.filter((l) => !ok.has(l)).map((l) => `**/${l}/**`);
  // Workers seal blobs in the repository's byte format, which is pure (no I/O) and safe to share.
  // Both lines: gitignore semantics cannot re-include a file whose parent folder is excluded.
  if (layer === 'workers') groups.push('!**/repository/format', '!**/repository/format/**');
  return groups;
}

const layerRules = Object.keys(allowed).map((layer) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: forbiddenFor(layer), message: `layering (design.md §2): src/${layer} may import only ${allowed[/** @type {keyof typeof allowed} */ (layer)].join(', ') || 'nothing else in src'}` },
          { group: ['**/index.js', '../index.js'], message: 'stages must not import the public API barrel' },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['.scratch/**', 'dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**', 'native-fixtures/images/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layerRules,
  {
    // The byte format is pure: encode/decode only, no I/O and nothing else from src but the error catalog.
    files: ['src/repository/format/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*.js', '../[a-z]*/**', '../../*.js', '!../../errors.js', ...layers.filter((l) => l !== 'core').map((l) => `../../${l}/**`), 'node:fs', 'node:fs/*'], message: 'repository/format is pure: only errors.ts, core/ and its own files' }] }],
    },
  },
  {
    // The CLI is a thin shell over the public API (design.md §2).
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: layers.filter((l) => l !== 'cli').map((l) => `**/${l}/**`), message: 'cli/ sees only the public API (src/index.ts)' }] }],
    },
  },
);
