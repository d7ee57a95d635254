// The desktop shell's web-content security as data and plain functions: webPreferences, the one page,
// navigation and window.open refusals, permissions, and the desktop page's CSP meta.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { desktopPage, nonRelativeAssets } from '../../../src/main/renderer-page.js';
import { desktopContentSecurityPolicy, guardWebContents, isAppUrl, permissionAllowed, secureWebPreferences, type GuardedContents } from '../../../src/main/web-security.js';
import { APP_URL, fileUrl } from './fakes.js';

describe('webPreferences', () => {
  it('isolate, sandbox and deny Node to every window; devtools only when asked', () => {
    expect(secureWebPreferences('/opt/nestbed/dist/preload/preload.cjs', false)).toMatchInlineSnapshot(`
      {
        "allowRunningInsecureContent": false,
        "contextIsolation": true,
        "devTools": false,
        "experimentalFeatures": false,
        "navigateOnDragDrop": false,
        "nodeIntegration": false,
        "nodeIntegrationInSubFrames": false,
        "nodeIntegrationInWorker": false,
        "preload": "/opt/nestbed/dist/preload/preload.cjs",
        "safeDialogs": true,
        "sandbox": true,
        "spellcheck": false,
        "webSecurity": true,
        "webviewTag": false,
      }
    `);
    expect(secureWebPreferences('p', true).devTools).toBe(true);
  });
});

describe('the app page', () => {
  it('is the renderer page under the app root, with or without a hash or query; nothing else is', () => {
    expect(APP_URL).toBe('file:///opt/nestbed/dist/renderer/desktop.html');
    expect(isAppUrl(APP_URL, APP_URL)).toBe(true);
    expect(isAppUrl(`${APP_URL}#runs`, APP_URL)).toBe(true);
    expect(isAppUrl(`${APP_URL}?x=1`, APP_URL)).toBe(true);
    expect(isAppUrl('file:///opt/nestbed/dist/renderer/../renderer/desktop.html', APP_URL)).toBe(true);
    expect(isAppUrl('file:///opt/nestbed/dist/renderer/index.html', APP_URL)).toBe(false);
    expect(isAppUrl('file://evil.example/opt/nestbed/dist/renderer/desktop.html', APP_URL)).toBe(false);
    expect(isAppUrl('https://opt/nestbed/dist/renderer/desktop.html', APP_URL)).toBe(false);
    expect(isAppUrl('', APP_URL)).toBe(false);
    expect(isAppUrl('javascript:alert(1)', APP_URL)).toBe(false);
  });
});

/** A webContents stand-in: records the window-open handler and emits navigation events. */
const guarded = () => {
  const emitter = new EventEmitter();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  const contents: GuardedContents = {
    setWindowOpenHandler: (h) => void (openHandler = h),
    on: (event: string, listener: (e: never) => void) => emitter.on(event, listener as (...args: unknown[]) => void),
  };
  const logs: string[] = [];
  guardWebContents(contents, APP_URL, (l) => logs.push(l));
  const navigate = (kind: 'will-navigate' | 'will-redirect', url: string): boolean => {
    let prevented = false;
    emitter.emit(kind, { url, preventDefault: () => (prevented = true) });
    return prevented;
  };
  return { open: (url: string) => openHandler!({ url }), navigate, emitter, logs };
};

describe('guardWebContents', () => {
  it('denies every window.open and every navigation or redirect away from the app page; a reload of it is fine', () => {
    const g = guarded();
    expect(g.open('https://example.com')).toEqual({ action: 'deny' });
    expect(g.open(APP_URL)).toEqual({ action: 'deny' });
    expect(g.navigate('will-navigate', 'https://example.com/')).toBe(true);
    expect(g.navigate('will-navigate', fileUrl('/etc/passwd'))).toBe(true);
    expect(g.navigate('will-redirect', 'http://127.0.0.1:8080/')).toBe(true);
    expect(g.navigate('will-navigate', APP_URL)).toBe(false);
    let webview = false;
    g.emitter.emit('will-attach-webview', { preventDefault: () => (webview = true) });
    expect(webview).toBe(true);
    expect(g.logs).toMatchInlineSnapshot(`
      [
        "refused to open a window for https://example.com",
        "refused to open a window for file:///opt/nestbed/dist/renderer/desktop.html",
        "refused to navigate to https://example.com/",
        "refused to navigate to file:///etc/passwd",
        "refused to redirect to http://127.0.0.1:8080/",
        "refused to attach a <webview>",
      ]
    `);
  });
});

describe('permissions', () => {
  it('only clipboard writes, only for the app page', () => {
    expect(permissionAllowed('clipboard-sanitized-write', APP_URL, APP_URL)).toBe(true);
    expect(permissionAllowed('clipboard-sanitized-write', 'https://example.com/', APP_URL)).toBe(false);
    for (const p of ['clipboard-read', 'media', 'notifications', 'geolocation', 'openExternal', 'fileSystem']) expect(permissionAllowed(p, APP_URL, APP_URL)).toBe(false);
  });
});

describe('the desktop page (index.html + CSP meta)', () => {
  const viteIndex = `<!doctype html>
<html lang="en" data-theme="dark">
  <head>
    <meta charset="utf-8" />
    <title>nestbed</title>
    <script type="module" crossorigin src="./assets/index-B1x2.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-C3y4.css">
  </head>
  <body><div id="app"></div></body>
</html>
`;

  it('puts the CSP first in <head>, before any script or style', () => {
    expect(desktopPage(viteIndex)).toMatchInlineSnapshot(`
      "<!doctype html>
      <html lang="en" data-theme="dark">
        <head>
          <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'none'; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'" />
          <meta charset="utf-8" />
          <title>nestbed</title>
          <script type="module" crossorigin src="./assets/index-B1x2.js"></script>
          <link rel="stylesheet" crossorigin href="./assets/index-C3y4.css">
        </head>
        <body><div id="app"></div></body>
      </html>
      "
    `);
    expect(desktopContentSecurityPolicy()).not.toMatch(/unsafe-eval|connect-src (?!'none')/);
  });

  it('refuses a page whose assets cannot load from file:// (Vite base "/"), or without <head>', () => {
    const absolute = viteIndex.replaceAll('./assets/', '/assets/');
    expect(nonRelativeAssets(absolute)).toEqual(['/assets/index-B1x2.js', '/assets/index-C3y4.css']);
    expect(nonRelativeAssets('<img src="data:image/png;base64,AAAA"><a href="#top">')).toEqual([]);
    expect(() => desktopPage(absolute)).toThrowErrorMatchingInlineSnapshot(`[Error: the renderer's index.html references /assets/index-B1x2.js, /assets/index-C3y4.css: from file:// these cannot load (build the renderer with Vite's base './')]`);
    expect(() => desktopPage('<html><body></body></html>')).toThrowErrorMatchingInlineSnapshot(`[Error: the renderer's index.html has no <head>]`);
    expect(nonRelativeAssets('<script src="https://cdn.example/x.js"></script>')).toEqual(['https://cdn.example/x.js']);
  });
});
