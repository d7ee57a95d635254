// The native menus: structure and accelerators per platform; workspace items send app.command to the
// focused window through the bridge; unsaved-change handling and the dialogs' texts.
import { describe, expect, it, vi } from 'vitest';
import { BRIDGE_CHANNEL } from '../../../src/core/common/bridge/contract.js';
import { Session } from '../../../src/core/node/session/session.js';
import { commandToFocused, DesktopBridge } from '../../../src/main/desktop-bridge.js';
import { aboutDialog, discardDialog } from '../../../src/main/dialogs.js';
import { buildMenuTemplate, displayPath, type MenuActions, type MenuItemTemplate } from '../../../src/main/menu.js';
import { onWillPreventUnload, windowTitle } from '../../../src/main/unsaved-changes.js';
import { tempDir } from '../../helpers/temp.js';
import { APP_URL, fakeContents } from './fakes.js';

const actions = (): MenuActions & { calls: string[] } => {
  const calls: string[] = [];
  return { calls, openFolder: () => calls.push('openFolder'), openRecent: (f) => calls.push(`openRecent ${f}`), clearRecent: () => calls.push('clearRecent'), command: (c) => calls.push(`command ${c}`), about: () => calls.push('about') };
};

/** One line per item: label or role, accelerator, and submenus indented. */
const outline = (items: MenuItemTemplate[], depth = 0): string[] =>
  items.flatMap((i) => [
    `${'  '.repeat(depth)}${i.type === 'separator' ? '---' : (i.label ?? `(${i.role})`)}${i.accelerator ? `  [${i.accelerator}]` : ''}${i.role && i.label ? `  (${i.role})` : ''}${i.enabled === false ? '  disabled' : ''}`,
    ...outline(i.submenu ?? [], depth + 1),
  ]);

const find = (items: MenuItemTemplate[], label: string): MenuItemTemplate | undefined => {
  for (const i of items) {
    if (i.label === label) return i;
    const sub = find(i.submenu ?? [], label);
    if (sub) return sub;
  }
  return undefined;
};

describe('the menu template', () => {
  it('Linux/Windows: File, Edit, Run, View, Help with the IDE’s accelerators; devtools when not packaged', () => {
    const t = buildMenuTemplate({ platform: 'linux', isPackaged: false, recent: ['/home/ana/ecu', '/srv/zonal'], actions: actions(), home: '/home/ana' });
    expect(outline(t)).toMatchInlineSnapshot(`
      [
        "&File",
        "  Open Folder…  [CmdOrCtrl+O]",
        "  Open Recent",
        "    ~/ecu",
        "    /srv/zonal",
        "    ---",
        "    Clear Recently Opened",
        "  ---",
        "  Save  [CmdOrCtrl+S]",
        "  ---",
        "  Close Window  (close)",
        "  ---",
        "  Quit  (quit)",
        "&Edit",
        "  (undo)",
        "  (redo)",
        "  ---",
        "  (cut)",
        "  (copy)",
        "  (paste)",
        "  ---",
        "  (selectAll)",
        "&Run",
        "  Run  [F5]",
        "  Check  [CmdOrCtrl+F5]",
        "  Stop  [Shift+F5]",
        "&View",
        "  Toggle Theme",
        "  Problems  [CmdOrCtrl+Shift+M]",
        "  Terminal  [CmdOrCtrl+\`]",
        "  ---",
        "  (reload)",
        "  (toggleDevTools)",
        "  ---",
        "  (resetZoom)",
        "  (zoomIn)",
        "  (zoomOut)",
        "  ---",
        "  (togglefullscreen)",
        "&Help",
        "  About nestbed",
      ]
    `);
  });

  it('macOS: the app menu holds About and Quit; packaged: no devtools; no recent folders: a disabled entry', () => {
    const t = buildMenuTemplate({ platform: 'darwin', isPackaged: true, recent: [], actions: actions() });
    const lines = outline(t);
    expect(lines.slice(0, 10)).toMatchInlineSnapshot(`
      [
        "nestbed",
        "  About nestbed",
        "  ---",
        "  (services)",
        "  ---",
        "  (hide)",
        "  (hideOthers)",
        "  (unhide)",
        "  ---",
        "  (quit)",
      ]
    `);
    expect(lines).toContain('    No Recent Folders  disabled');
    expect(lines).not.toContain('  (toggleDevTools)');
    expect(lines).not.toContain('  Quit  (quit)');
    expect(lines).toContain('(windowMenu)');
    expect(lines).not.toContain('&Help');
  });

  it('each workspace item sends its app.command; the others call their action', () => {
    const a = actions();
    const t = buildMenuTemplate({ platform: 'linux', isPackaged: false, recent: ['/srv/zonal'], actions: a });
    for (const label of ['Save', 'Run', 'Check', 'Stop', 'Toggle Theme', 'Problems', 'Terminal', 'Open Folder…', '/srv/zonal', 'Clear Recently Opened', 'About nestbed']) find(t, label)!.click!();
    expect(a.calls).toEqual(['command save', 'command run', 'command check', 'command stop', 'command toggle-theme', 'command show-problems', 'command show-terminal', 'openFolder', 'openRecent /srv/zonal', 'clearRecent', 'about']);
  });

  it('File ▸ Save emits app.command {command: "save"} to the focused window, and only to it', () => {
    const bridge = new DesktopBridge({ appUrl: APP_URL, log: () => undefined, connect: () => ({ handle: async () => undefined, close: () => undefined }) });
    const session = new Session({ cwd: tempDir(), cacheRoot: tempDir() });
    const [one, two] = [fakeContents(11), fakeContents(12)];
    bridge.attach(one, { session, folder: '/a' });
    bridge.attach(two, { session, folder: '/b' });
    let focused: number | undefined = 12;
    const a = { ...actions(), command: commandToFocused(bridge, () => focused) };
    const t = buildMenuTemplate({ platform: 'linux', isPackaged: true, recent: [], actions: a });
    const save = find(t, 'Save')!;
    expect(save.accelerator).toBe('CmdOrCtrl+S');
    save.click!();
    expect(two.sent).toEqual([{ channel: BRIDGE_CHANNEL, message: { kind: 'event', event: 'app.command', payload: { command: 'save' } } }]);
    expect(one.sent).toEqual([]);
    focused = undefined;
    save.click!();
    expect(two.sent).toHaveLength(1);
    expect(find(t, 'Run')!.accelerator).toBe('F5');
    expect(find(t, 'Stop')!.accelerator).toBe('Shift+F5');
  });

  it('shows home-relative paths', () => {
    expect(displayPath('/home/ana/ecu', '/home/ana')).toBe('~/ecu');
    expect(displayPath('/home/anabel/ecu', '/home/ana')).toBe('/home/anabel/ecu');
  });
});

describe('unsaved changes and dialogs', () => {
  it('the window title carries the folder and the page’s unsaved mark', () => {
    expect(windowTitle('nestbed', '/home/ana/ecu')).toEqual({ title: 'ecu — nestbed', edited: false });
    expect(windowTitle('● nestbed', '/home/ana/ecu')).toEqual({ title: '● ecu — nestbed', edited: true });
    expect(windowTitle('', '/')).toEqual({ title: '/ — nestbed', edited: false });
  });

  it('a blocked unload proceeds only when the user discards', () => {
    const ev = () => ({ preventDefault: vi.fn() });
    const discard = ev();
    onWillPreventUnload(() => 0)(discard);
    expect(discard.preventDefault).toHaveBeenCalledOnce();
    const cancel = ev();
    onWillPreventUnload(() => 1)(cancel);
    expect(cancel.preventDefault).not.toHaveBeenCalled();
    expect(discardDialog('/home/ana/ecu')).toMatchObject({ buttons: ['Discard Changes', 'Cancel'], defaultId: 1, cancelId: 1 });
  });

  it('About names the version', () => {
    expect(aboutDialog('0.1.0', { electron: '41.7.1', chrome: '146.0', node: '24.1.0' })).toMatchInlineSnapshot(`
      {
        "buttons": [
          "OK",
        ],
        "detail": "Describe an automotive domain controller as a topology, check it statically, run it as nested arm64 VMs and judge it against real ECU profiles.

      Electron 41.7.1 · Chromium 146.0 · Node.js 24.1.0",
        "message": "nestbed 0.1.0",
        "title": "About nestbed",
        "type": "info",
      }
    `);
  });
});
