// Builds the renderer (the IDE's UI) into dist/renderer: used by the browser mode (`nestbed ui`) and the
// desktop app alike. `npm ci` runs it (prepare); `npm run build:ui` by hand.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const monacoEsm = fileURLToPath(new URL('../../node_modules/monaco-editor/esm/', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    // monaco-editor ≥ 0.56's exports map ("./*" → "./esm/vs/*") refuses the deep import
    // monaco-editor/esm/vs/... of monaco-worker-manager (monaco-yaml's worker): point it at the files.
    alias: [{ find: /^monaco-editor\/esm\/(.*)$/, replacement: `${monacoEsm}$1` }],
  },
  base: './',
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 8000,
    sourcemap: false,
    target: 'es2022',
  },
});
