// The desktop IDE's main process (Electron): windows, native menus and the bridge over validated IPC.
// A thin leaf (STYLE.md): each window is one workspace folder with its own core Session (closing the
// window stops its runs and their emulators); the renderer is the same one the browser mode serves,
// loaded from file:// as an unprivileged, sandboxed page whose only way out is the preload's bridge.
// The decisions live in plain modules next to this one (tested without Electron); this file wires
// them to Electron's objects.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as electron from 'electron';
import { app, BrowserWindow, dialog, Menu, screen, session as sessions } from 'electron';
import { Session } from '../core/node/session/session.js';
import { cacheRoot } from '../core/node/setup/paths.js';
import { commandToFocused, DesktopBridge } from './desktop-bridge.js';
import { aboutDialog, discardDialog, missingFolderDialog } from './dialogs.js';
import { buildMenuTemplate, type MenuActions } from './menu.js';
import { isDirectory, RecentFolders, recentFoldersFile } from './recent-folders.js';
import { folderArgument, startupFolder } from './startup-folder.js';
import { onWillPreventUnload, windowTitle } from './unsaved-changes.js';
import { guardWebContents, permissionAllowed, PRELOAD, DESKTOP_PAGE, rendererUrl, secureWebPreferences } from './web-security.js';
import { loadWindowState, MIN_HEIGHT, MIN_WIDTH, saveWindowState, windowStateFile, type Rect } from './window-state.js';

const log = (line: string): void => {
  process.stderr.write(`nestbed: ${line}\n`);
};

/** How long quitting waits for the windows' runs to stop (their emulators are killed on exit anyway). */
const DISPOSE_TIMEOUT_MS = 15_000;

interface Workspace {
  readonly window: BrowserWindow;
  readonly folder: string;
}

// Every renderer is sandboxed, whatever a window's webPreferences say.
app.enableSandbox();

const appRoot = app.getAppPath();
const appUrl = rendererUrl(appRoot);
const userData = app.getPath('userData');
const stateFile = windowStateFile(userData);
const recent = new RecentFolders(recentFoldersFile(userData));
const bridge = new DesktopBridge({ appUrl, log });
const workspaces = new Map<number, Workspace>();
const disposing = new Set<Promise<void>>();

const workAreas = (): Rect[] => {
  const primary = screen.getPrimaryDisplay();
  return [primary, ...screen.getAllDisplays().filter((d) => d.id !== primary.id)].map((d) => d.workArea);
};

const focusedContentsId = (): number | undefined => BrowserWindow.getFocusedWindow()?.webContents.id;

const actions: MenuActions = {
  openFolder: () => void chooseFolder(),
  openRecent: (folder) => {
    if (isDirectory(folder)) openWindow(folder);
    else {
      void dialog.showMessageBox(missingFolderDialog(folder));
      refreshMenu();
    }
  },
  clearRecent: () => {
    recent.clear();
    app.clearRecentDocuments();
    refreshMenu();
  },
  command: commandToFocused(bridge, focusedContentsId),
  about: () => {
    const parent = BrowserWindow.getFocusedWindow();
    const options = aboutDialog(app.getVersion(), process.versions);
    void (parent ? dialog.showMessageBox(parent, options) : dialog.showMessageBox(options));
  },
};

function refreshMenu(): void {
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate({ platform: process.platform, isPackaged: app.isPackaged, recent: recent.list(), actions })));
}

async function chooseFolder(): Promise<void> {
  const parent = BrowserWindow.getFocusedWindow();
  const options = { title: 'Open Folder', properties: ['openDirectory', 'createDirectory'] } satisfies electron.OpenDialogOptions;
  const r = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  const folder = r.filePaths[0];
  if (!r.canceled && folder) openWindow(folder);
}

/** The window of `folder`: focused if one is open, else a new one. */
function openWindow(folder: string): BrowserWindow {
  const open = [...workspaces.values()].find((w) => w.folder === folder);
  if (open) {
    if (open.window.isMinimized()) open.window.restore();
    open.window.focus();
    return open.window;
  }
  const state = loadWindowState(stateFile, workAreas());
  const cascade = 30 * workspaces.size;
  const win = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x + cascade, y: state.y + cascade } : {}),
    width: state.width,
    height: state.height,
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    show: false,
    title: windowTitle('', folder).title,
    backgroundColor: '#1e1e1e',
    webPreferences: secureWebPreferences(join(appRoot, PRELOAD), !app.isPackaged),
  });
  const winId = win.id;
  const contents = win.webContents;
  const contentsId = contents.id;
  const session = new Session({ cwd: folder, cacheRoot: cacheRoot(process.env) });
  workspaces.set(winId, { window: win, folder });
  bridge.attach(contents, { session, folder });

  contents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) bridge.reset(contentsId);
  });
  contents.on('render-process-gone', (_event, details) => {
    log(`the window of ${folder} lost its renderer (${details.reason}, exit code ${details.exitCode}); reload it (View ▸ Reload)`);
    bridge.reset(contentsId);
  });
  contents.on('will-prevent-unload', onWillPreventUnload(() => dialog.showMessageBoxSync(win, discardDialog(folder))));
  win.on('page-title-updated', (event, title) => {
    event.preventDefault();
    const t = windowTitle(title, folder);
    win.setTitle(t.title);
    win.setDocumentEdited(t.edited);
  });
  win.once('ready-to-show', () => {
    if (state.maximized) win.maximize();
    win.show();
  });
  win.on('close', () => {
    try {
      saveWindowState(stateFile, win.getNormalBounds(), win.isMaximized());
    } catch (e) {
      log(`window state not saved: ${(e as Error).message}`);
    }
  });
  win.on('closed', () => {
    bridge.detach(contentsId);
    workspaces.delete(winId);
    const done = session.dispose().catch((e: unknown) => log(`stopping the runs of ${folder}: ${(e as Error).message}`));
    disposing.add(done);
    void done.finally(() => disposing.delete(done));
  });

  recent.add(folder);
  app.addRecentDocument(folder);
  refreshMenu();
  win.loadURL(appUrl).catch((e: unknown) => log(`loading the renderer: ${(e as Error).message}`));
  return win;
}

const firstFolder = (): string => {
  const choice = startupFolder({ argument: folderArgument(process.argv, process.defaultApp === true), recent: recent.list(), cwd: process.cwd(), isDirectory });
  if (choice.note) log(`${choice.note}; opening ${choice.folder}`);
  return choice.folder;
};

// Every webContents (windows, and anything a page might try to create): no pop-ups, no navigation
// away from the renderer page, no <webview>.
app.on('web-contents-created', (_event, contents) => guardWebContents(contents, appUrl, log));

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Windows close first (each may be kept open by its unsaved-changes question, which cancels the quit);
// each closed window stops its session's runs; the process ends once they have stopped.
app.on('will-quit', (event) => {
  if (disposing.size === 0) return;
  event.preventDefault();
  const timeout = new Promise<void>((ok) => setTimeout(ok, DISPOSE_TIMEOUT_MS).unref());
  void Promise.race([Promise.allSettled([...disposing]), timeout]).then(() => {
    disposing.clear();
    app.quit();
  });
});

let signals = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  if (++signals > 1) app.exit(130);
  log(`${signal} received, closing the windows (again to force)`);
  app.quit();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// Not a top-level await: Electron emits 'ready' only after the entry module has finished evaluating.
void app.whenReady().then(() => {
  if (!existsSync(join(appRoot, DESKTOP_PAGE))) {
    dialog.showErrorBox('nestbed: the renderer is not built', `${join(appRoot, DESKTOP_PAGE)} is missing.\n\nRun: npm run build:ui && npm run build:desktop`);
    app.exit(1);
    return;
  }
  const ses = sessions.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => callback(permissionAllowed(permission, details.requestingUrl, appUrl)));
  ses.setPermissionCheckHandler((_contents, permission, _origin, details) => permissionAllowed(permission, details.requestingUrl ?? '', appUrl));
  bridge.listen(electron);
  app.on('activate', () => {
    if (workspaces.size === 0) openWindow(firstFolder());
  });
  openWindow(firstFolder());
});
