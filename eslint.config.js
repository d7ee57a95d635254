// Lint + the layering rules of STYLE.md that a tsconfig cannot express (core/node must not import
// the leaves; nothing imports the leaves). core/common's own tsconfig forbids Node/DOM/Electron.
import tseslint from 'typescript-eslint';

const leaves = ['**/main/**', '**/preload/**', '**/renderer/**', '**/server/**', '**/cli/**'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'schema/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    // a tool's config file is read through its default export
    ignores: ['src/**/vite.config.ts'],
    rules: { 'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only (STYLE.md).' }] },
  },
  {
    // Raw IPC only in the bridge wrapper (STYLE.md): every message goes over the one validated bridge
    // channel. Repeats the default-export rule, which this block would otherwise replace for these files.
    files: ['src/**/*.ts'],
    ignores: ['src/main/desktop-bridge.ts', 'src/preload/preload.ts', 'src/**/vite.config.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only (STYLE.md).' },
        { selector: 'ImportSpecifier[imported.name=/^ipc(Main|Renderer)$/]', message: 'Raw IPC only in src/main/desktop-bridge.ts and src/preload/preload.ts: use the bridge.' },
        { selector: 'MemberExpression[property.name=/^ipc(Main|Renderer)$/]', message: 'Raw IPC only in src/main/desktop-bridge.ts and src/preload/preload.ts: use the bridge.' },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: leaves, message: 'core never imports main, preload, renderer, server or cli.' }, { group: ['electron'], message: 'core never imports electron.' }] }] },
  },
  {
    files: ['src/core/common/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['node:*', 'fs', 'path', 'child_process', 'os', 'electron', '**/core/node/**', ...leaves], message: 'core/common is plain TypeScript: no Node, no Electron, no core/node.' }] }] },
  },
);
