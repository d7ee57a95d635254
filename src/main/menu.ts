// The native menus, as a template (Menu.buildFromTemplate takes it as is). Items that act on the
// workspace send the bridge event 'app.command' to the focused window's renderer (desktop-bridge.ts
// commandToFocused), which does what its own toolbar and keys do; standard items use Electron's roles.
import { homedir } from 'node:os';
import type { AppCommand } from './desktop-bridge.js';

/** The Electron menu roles used here (a subset of MenuItemConstructorOptions['role']). */
export type MenuRole =
  | 'about'
  | 'services'
  | 'hide'
  | 'hideOthers'
  | 'unhide'
  | 'quit'
  | 'close'
  | 'undo'
  | 'redo'
  | 'cut'
  | 'copy'
  | 'paste'
  | 'selectAll'
  | 'reload'
  | 'toggleDevTools'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen'
  | 'windowMenu';

/** A menu item as Electron's MenuItemConstructorOptions takes it. */
export interface MenuItemTemplate {
  label?: string;
  role?: MenuRole;
  type?: 'normal' | 'separator' | 'submenu';
  accelerator?: string;
  enabled?: boolean;
  submenu?: MenuItemTemplate[];
  click?: () => void;
}

export interface MenuActions {
  openFolder(): void;
  openRecent(folder: string): void;
  clearRecent(): void;
  /** To the focused window's renderer. */
  command(command: AppCommand): void;
  about(): void;
}

export interface MenuOptions {
  readonly platform: NodeJS.Platform;
  /** Packaged apps have no developer tools. */
  readonly isPackaged: boolean;
  /** Most recent first. */
  readonly recent: readonly string[];
  readonly actions: MenuActions;
  readonly home?: string;
}

const separator: MenuItemTemplate = { type: 'separator' };

/** `/home/ana/ecu` → `~/ecu`. */
export const displayPath = (folder: string, home: string = homedir()): string => (home && (folder === home || folder.startsWith(`${home}/`)) ? `~${folder.slice(home.length)}` : folder);

export const buildMenuTemplate = (o: MenuOptions): MenuItemTemplate[] => {
  const mac = o.platform === 'darwin';
  const a = o.actions;
  const cmd = (label: string, command: AppCommand, accelerator?: string): MenuItemTemplate => ({ label, ...(accelerator ? { accelerator } : {}), click: () => a.command(command) });
  const recent: MenuItemTemplate[] =
    o.recent.length === 0 ?
      [{ label: 'No Recent Folders', enabled: false }]
    : [...o.recent.map((f): MenuItemTemplate => ({ label: displayPath(f, o.home), click: () => a.openRecent(f) })), separator, { label: 'Clear Recently Opened', click: () => a.clearRecent() }];
  const about: MenuItemTemplate = { label: 'About nestbed', click: () => a.about() };
  const menus: MenuItemTemplate[] = [
    ...(mac ? [{ label: 'nestbed', submenu: [about, separator, { role: 'services' }, separator, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, separator, { role: 'quit' }] } satisfies MenuItemTemplate] : []),
    {
      label: '&File',
      submenu: [
        { label: 'Open Folder…', accelerator: 'CmdOrCtrl+O', click: () => a.openFolder() },
        { label: 'Open Recent', submenu: recent },
        separator,
        cmd('Save', 'save', 'CmdOrCtrl+S'),
        separator,
        { label: 'Close Window', role: 'close' },
        ...(mac ? [] : [separator, { label: 'Quit', role: 'quit' } satisfies MenuItemTemplate]),
      ],
    },
    { label: '&Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, separator, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, separator, { role: 'selectAll' }] },
    { label: '&Run', submenu: [cmd('Run', 'run', 'F5'), cmd('Check', 'check', 'CmdOrCtrl+F5'), cmd('Stop', 'stop', 'Shift+F5')] },
    {
      label: '&View',
      submenu: [
        cmd('Toggle Theme', 'toggle-theme'),
        cmd('Problems', 'show-problems', 'CmdOrCtrl+Shift+M'),
        cmd('Terminal', 'show-terminal', 'CmdOrCtrl+`'),
        separator,
        { role: 'reload' },
        ...(o.isPackaged ? [] : [{ role: 'toggleDevTools' } satisfies MenuItemTemplate]),
        separator,
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        separator,
        { role: 'togglefullscreen' },
      ],
    },
    ...(mac ? [{ role: 'windowMenu' } satisfies MenuItemTemplate] : []),
    { label: '&Help', submenu: mac ? [] : [about] },
  ];
  return menus.filter((m) => !m.submenu || m.submenu.length > 0);
};
