// The desktop shell's web-content security, as plain functions main.ts applies to Electron's objects:
// the window's webPreferences, the one page a window may show (the built renderer, file://), what it
// may navigate to (nothing else), open (nothing), attach (no <webview>) and ask for (clipboard writes).
// Electron's security checklist: https://www.electronjs.org/docs/latest/tutorial/security
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The renderer page of the desktop app: the Vite build's index.html with the desktop CSP as a
 * <meta> (written by scripts/build-desktop.mjs; see renderer-page.ts). */
export const DESKTOP_PAGE = 'dist/renderer/desktop.html';
export const PRELOAD = 'dist/preload/preload.cjs';

/** The file:// URL of the renderer page under the app's root (app.getAppPath()). */
export const rendererUrl = (appRoot: string): string => pathToFileURL(join(appRoot, DESKTOP_PAGE)).href;

/** Whether `url` is the app's own renderer page: the same file:// document; a hash or query (the
 * page's own state) does not make it another page. Anything unparsable is not. */
export const isAppUrl = (url: string, appUrl: string): boolean => {
  try {
    const u = new URL(url);
    const own = new URL(appUrl);
    if (u.protocol !== 'file:' || own.protocol !== 'file:' || u.host !== own.host) return false;
    // Windows drive letters and percent-encoding may differ in case between Chromium and Node.
    const norm = (p: string) => (process.platform === 'win32' ? decodeURIComponent(p).toLowerCase() : decodeURIComponent(p));
    return norm(u.pathname) === norm(own.pathname);
  } catch {
    return false;
  }
};

/** The webPreferences of every window: the renderer is an unprivileged web page (no Node, isolated
 * from the preload, OS-sandboxed); the preload's one object is its only way out. */
export const secureWebPreferences = (preload: string, devTools: boolean) =>
  ({
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools,
  }) as const;

/** The desktop page's Content-Security-Policy. Delivered as a <meta> in desktop.html: Electron's
 * documentation says response headers (session.webRequest.onHeadersReceived) cannot be set for
 * file://, and the meta works there. Same as the browser mode's header (src/core/node/web/ui-server.ts)
 * except: no network at all (the bridge is IPC), and no frame-ancestors (ignored in a meta; windows
 * are never framed — the app opens no other pages). */
export const desktopContentSecurityPolicy = (): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    // Monaco and xterm.js set element styles at run time; no script can be injected through styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'none'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

/** Permissions a page of ours may have: writing to the clipboard (the terminal's and editor's copy).
 * Everything else (camera, notifications, geolocation, openExternal, …) and every other page: no. */
export const permissionAllowed = (permission: string, requestingUrl: string, appUrl: string): boolean =>
  permission === 'clipboard-sanitized-write' && isAppUrl(requestingUrl, appUrl);

/** The parts of a webContents the navigation guard uses (Electron's WebContents fits). */
export interface GuardedContents {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { url: string; preventDefault(): void }) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
}

/** Every webContents the app creates (app 'web-contents-created'): no new windows, no navigation away
 * from the renderer page (a reload of it is fine), no redirects elsewhere, no <webview>. Refusals are
 * logged. */
export const guardWebContents = (contents: GuardedContents, appUrl: string, log: (line: string) => void): void => {
  contents.setWindowOpenHandler(({ url }) => {
    log(`refused to open a window for ${url}`);
    return { action: 'deny' };
  });
  const stay = (kind: string) => (event: { url: string; preventDefault(): void }) => {
    if (isAppUrl(event.url, appUrl)) return;
    event.preventDefault();
    log(`refused to ${kind} to ${event.url}`);
  };
  contents.on('will-navigate', stay('navigate'));
  contents.on('will-redirect', stay('redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('refused to attach a <webview>');
  });
};
