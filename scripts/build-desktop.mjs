#!/usr/bin/env node
// Builds the desktop shell with Vite's bundler (a dev dependency already):
//   dist/main/main.js        the main process, one ES module (electron, node-pty and ws stay external)
//   dist/preload/preload.cjs the preload, one CommonJS file (a sandboxed preload can require nothing
//                            but 'electron', so zod and the bridge contract are inside it)
//   dist/renderer/desktop.html  the renderer's index.html (built before by `npm run build:ui`) with the
//                            desktop Content-Security-Policy as a <meta> (src/main/renderer-page.ts)
// Core modules find their data next to their source file (import.meta.url: ecu-profiles/,
// package.json, guest/); bundled, they would look next to dist/main/main.js instead. So each bundled
// module's import.meta.url is rewritten to the URL its source file has relative to the bundle —
// the same paths resolve in the repository and in the packaged app (which ships those folders).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = (...p) => join(root, 'dist', ...p);
const NODE_TARGET = 'node22';
const CHROME_TARGET = 'chrome130';

/** import.meta.url in src/** → the source file's URL, computed from the bundle's own URL at run time. */
const sourceLocation = (bundleDir) => ({
  name: 'nestbed:source-import-meta-url',
  enforce: 'pre',
  transform(code, id) {
    const file = id.split('?')[0];
    if (!file.startsWith(join(root, 'src') + sep) || !code.includes('import.meta.url')) return null;
    const rel = relative(bundleDir, file).split(sep).join('/');
    return { code: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), map: null };
  },
});

const common = { root, configFile: false, envDir: false, publicDir: false, logLevel: 'warn', clearScreen: false };

const buildMain = () =>
  build({
    ...common,
    plugins: [sourceLocation(out('main'))],
    ssr: { noExternal: true, target: 'node' },
    build: {
      ssr: join(root, 'src/main/main.ts'),
      outDir: out('main'),
      emptyOutDir: true,
      target: NODE_TARGET,
      minify: false,
      sourcemap: true,
      rolldownOptions: {
        external: ['electron', 'node-pty', 'ws', /^node:/],
        output: { format: 'es', entryFileNames: 'main.js' },
      },
    },
  });

const buildPreload = () =>
  build({
    ...common,
    build: {
      outDir: out('preload'),
      emptyOutDir: true,
      target: CHROME_TARGET,
      minify: false,
      sourcemap: true,
      lib: { entry: join(root, 'src/preload/preload.ts'), formats: ['cjs'], fileName: () => 'preload.cjs' },
      rolldownOptions: { external: ['electron'] },
    },
  });

/** The desktop page, or why it could not be written. */
const writeDesktopPage = async () => {
  const index = out('renderer', 'index.html');
  if (!existsSync(index)) return `${relative(root, index)} is missing: build the renderer first (npm run build:ui)`;
  register();
  const { desktopPage } = await import(pathToFileURL(join(root, 'src/main/renderer-page.ts')).href);
  const { DESKTOP_PAGE } = await import(pathToFileURL(join(root, 'src/main/web-security.ts')).href);
  try {
    await writeFile(join(root, DESKTOP_PAGE), desktopPage(await readFile(index, 'utf8')));
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return undefined;
};

const started = performance.now();
await buildMain();
await buildPreload();
// The preload must be self-contained: the sandbox's require knows only 'electron' (and a few
// built-ins the preload does not use).
const preload = await readFile(out('preload', 'preload.cjs'), 'utf8');
const requires = [...new Set([...preload.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((m) => m[1]))].filter((m) => m !== 'electron');
if (requires.length > 0) {
  process.stderr.write(`build-desktop: the preload requires ${requires.join(', ')}; a sandboxed preload can require only 'electron'\n`);
  process.exit(1);
}
const pageProblem = await writeDesktopPage();
process.stderr.write(`build-desktop: dist/main/main.js, dist/preload/preload.cjs${pageProblem ? '' : ', dist/renderer/desktop.html'} in ${Math.round(performance.now() - started)} ms\n`);
if (pageProblem) {
  process.stderr.write(`build-desktop: dist/renderer/desktop.html not written: ${pageProblem}\n`);
  process.exit(1);
}
