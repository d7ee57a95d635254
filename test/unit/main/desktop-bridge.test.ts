// The desktop bridge's IPC handler, without Electron: only our own windows' main frames showing the
// app's renderer page reach a connection; a real round trip through BridgeConnection and a Session.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BRIDGE_CHANNEL, type BackendMessage } from '../../../src/core/common/bridge/contract.js';
import { Session } from '../../../src/core/node/session/session.js';
import { commandToFocused, DesktopBridge, type Connection, type IpcMainLike } from '../../../src/main/desktop-bridge.js';
import { tempDir } from '../../helpers/temp.js';
import { examplePath } from '../../helpers/validate.js';
import { APP_URL, fakeContents, fileUrl, ipcEvent, nthMessage, APP_ROOT } from './fakes.js';

/** A bridge whose connections only record what reaches them. */
const recordingBridge = () => {
  const logs: string[] = [];
  const handled: Array<{ connection: number; raw: unknown }> = [];
  const closed: number[] = [];
  let made = 0;
  const bridge = new DesktopBridge({
    appUrl: APP_URL,
    log: (l) => logs.push(l),
    connect: (): Connection => {
      const n = ++made;
      return { handle: async (raw) => void handled.push({ connection: n, raw }), close: () => void closed.push(n) };
    },
  });
  return { bridge, logs, handled, closed, made: () => made };
};

const workspace = () => {
  const folder = tempDir();
  return { folder, session: new Session({ cwd: folder, cacheRoot: tempDir() }) };
};

const request = { kind: 'request', id: 1, method: 'workspace.files', params: {} };

describe('DesktopBridge: who may talk to the backend', () => {
  it('drops a message from a webContents that is not one of our windows; nothing reaches a connection', () => {
    const r = recordingBridge();
    r.bridge.attach(fakeContents(1), workspace());
    r.bridge.onMessage(ipcEvent(99), request);
    expect(r.handled).toEqual([]);
    expect(r.logs).toMatchInlineSnapshot(`
      [
        "bridge: dropped a message from webContents 99, not a nestbed window",
      ]
    `);
  });

  it('drops messages from our window when the frame is not the app renderer: another file, a web page, a subframe, a gone frame', () => {
    const r = recordingBridge();
    r.bridge.attach(fakeContents(1), workspace());
    r.bridge.onMessage(ipcEvent(1, fileUrl('/tmp/evil.html')), request);
    r.bridge.onMessage(ipcEvent(1, 'https://example.com/dist/renderer/desktop.html'), request);
    r.bridge.onMessage(ipcEvent(1, fileUrl(`${APP_ROOT}/dist/renderer/index.html`)), request);
    r.bridge.onMessage(ipcEvent(1, APP_URL, 'sub'), request);
    r.bridge.onMessage(ipcEvent(1, APP_URL, 'gone'), request);
    r.bridge.onMessage(ipcEvent(1, 'not a url'), request);
    expect(r.handled).toEqual([]);
    expect(r.logs).toMatchInlineSnapshot(`
      [
        "bridge: dropped a message from webContents 1: sent by file:///tmp/evil.html, not the nestbed renderer",
        "bridge: dropped a message from webContents 1: sent by https://example.com/dist/renderer/desktop.html, not the nestbed renderer",
        "bridge: dropped a message from webContents 1: sent by file:///opt/nestbed/dist/renderer/index.html, not the nestbed renderer",
        "bridge: dropped a message from webContents 1: sent by a subframe, not the nestbed renderer",
        "bridge: dropped a message from webContents 1: sent by a frame that is gone, not the nestbed renderer",
        "bridge: dropped a message from webContents 1: sent by not a url, not the nestbed renderer",
      ]
    `);
  });

  it('passes the raw message of its own window (the page with a hash is the same page) to that window’s connection', () => {
    const r = recordingBridge();
    r.bridge.attach(fakeContents(1), workspace());
    r.bridge.attach(fakeContents(2), workspace());
    r.bridge.onMessage(ipcEvent(2), request);
    r.bridge.onMessage(ipcEvent(1, `${APP_URL}#problems`), { anything: 'the connection parses it' });
    expect(r.handled).toEqual([
      { connection: 2, raw: request },
      { connection: 1, raw: { anything: 'the connection parses it' } },
    ]);
    expect(r.logs).toEqual([]);
  });

  it('a reloading page gets a new connection; a closed window is no longer heard', () => {
    const r = recordingBridge();
    r.bridge.attach(fakeContents(1), workspace());
    r.bridge.reset(1);
    expect(r.closed).toEqual([1]);
    r.bridge.onMessage(ipcEvent(1), request);
    expect(r.handled.map((h) => h.connection)).toEqual([2]);
    r.bridge.detach(1);
    expect(r.closed).toEqual([1, 2]);
    r.bridge.onMessage(ipcEvent(1), request);
    expect(r.handled).toHaveLength(1);
    expect(r.bridge.ids()).toEqual([]);
  });

  it('listens on ipcMain’s bridge channel, and stops', () => {
    const r = recordingBridge();
    const listeners = new Map<string, unknown>();
    const ipc: IpcMainLike = { on: (ch, l) => listeners.set(ch, l), removeListener: (ch) => listeners.delete(ch) };
    const stop = r.bridge.listen({ ipcMain: ipc });
    expect([...listeners.keys()]).toEqual([BRIDGE_CHANNEL]);
    expect(listeners.get(BRIDGE_CHANNEL)).toBe(r.bridge.onMessage);
    stop();
    expect(listeners.size).toBe(0);
  });
});

describe('DesktopBridge: a real round trip (BridgeConnection, Session on a temporary folder)', () => {
  const setup = () => {
    const w = workspace();
    mkdirSync(join(w.folder, 'examples'));
    copyFileSync(examplePath('minimal.yaml'), join(w.folder, 'examples', 'minimal.yaml'));
    const contents = fakeContents(7);
    const logs: string[] = [];
    const bridge = new DesktopBridge({ appUrl: APP_URL, log: (l) => logs.push(l) });
    bridge.attach(contents, w);
    return { ...w, contents, bridge, logs };
  };
  const shape = (m: BackendMessage, folder: string): unknown => JSON.parse(JSON.stringify(m).replaceAll(folder, '<folder>'));

  it('workspace.files answers on the bridge channel with the folder’s topology files', async () => {
    const s = setup();
    s.bridge.onMessage(ipcEvent(7), { kind: 'request', id: 1, method: 'workspace.files', params: {} });
    const m = await nthMessage(s.contents, 1);
    expect(s.contents.sent[0]!.channel).toBe(BRIDGE_CHANNEL);
    expect(shape(m, s.folder)).toMatchInlineSnapshot(`
      {
        "id": 1,
        "kind": "response",
        "ok": true,
        "result": {
          "files": [
            {
              "path": "examples/minimal.yaml",
              "size": 333,
            },
          ],
          "folder": "<folder>",
          "truncated": false,
        },
      }
    `);
    s.bridge.detach(7);
  });

  it('topology.validate parses and validates the editor’s text (unsaved: the file on disk is not read)', async () => {
    const s = setup();
    const text = readFileSync(examplePath('minimal.yaml'), 'utf8');
    s.bridge.onMessage(ipcEvent(7), { kind: 'request', id: 2, method: 'topology.validate', params: { path: 'examples/minimal.yaml', text, seq: 5 } });
    const ok = await nthMessage(s.contents, 1);
    expect(ok).toMatchObject({ kind: 'response', id: 2, ok: true, result: { seq: 5, valid: true, malformed: false, errors: 0, warnings: 0, name: 'minimal' } });
    expect((ok as { result: { diagram?: string } }).result.diagram).toMatch(/^<svg/);
    s.bridge.onMessage(ipcEvent(7), { kind: 'request', id: 3, method: 'topology.validate', params: { path: 'examples/minimal.yaml', text: text.replace('pin: [0]', 'pin: [3]'), seq: 6 } });
    const bad = (await nthMessage(s.contents, 2)) as { result: { seq: number; valid: boolean; diagnostics: Array<{ code: string; line?: number; column?: number; message: string }> } };
    expect({ seq: bad.result.seq, valid: bad.result.valid, diagnostics: bad.result.diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`) }).toMatchInlineSnapshot(`
      {
        "diagnostics": [
          "2:1 NB2009 no ECU profile selected (set \`profile:\` or pass --profile): budgets come only from the topology",
          "8:68 NB2004 pin[0] = 3, but the hypervisor has 1 vCPU (0..0)",
        ],
        "seq": 6,
        "valid": false,
      }
    `);
    s.bridge.detach(7);
  });

  it("file.read of '../etc/passwd' is refused 'forbidden'; a malformed request is 'bad-request'", async () => {
    const s = setup();
    s.bridge.onMessage(ipcEvent(7), { kind: 'request', id: 3, method: 'file.read', params: { path: '../etc/passwd' } });
    expect(await nthMessage(s.contents, 1)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "forbidden",
          "message": "../etc/passwd: outside the workspace folder",
        },
        "id": 3,
        "kind": "response",
        "ok": false,
      }
    `);
    s.bridge.onMessage(ipcEvent(7), { kind: 'request', id: 4, method: 'file.read' });
    expect(await nthMessage(s.contents, 2)).toMatchInlineSnapshot(`
      {
        "error": {
          "code": "bad-request",
          "message": "not a bridge request",
        },
        "id": 4,
        "kind": "response",
        "ok": false,
      }
    `);
    s.bridge.detach(7);
  });

  it('a window that is gone gets nothing (no send on a destroyed webContents)', async () => {
    const s = setup();
    s.contents.destroyed = true;
    s.bridge.onMessage(ipcEvent(7), { kind: 'request', id: 5, method: 'workspace.files', params: {} });
    await new Promise((ok) => setTimeout(ok, 100));
    expect(s.contents.sent).toEqual([]);
    s.bridge.detach(7);
  });
});

describe('DesktopBridge: app.command events', () => {
  it('go to the focused window only, validated against the contract', () => {
    const r = recordingBridge();
    const one = fakeContents(1);
    const two = fakeContents(2);
    r.bridge.attach(one, workspace());
    r.bridge.attach(two, workspace());
    commandToFocused(r.bridge, () => 2)('run');
    commandToFocused(r.bridge, () => undefined)('stop');
    commandToFocused(r.bridge, () => 42)('stop');
    expect(one.sent).toEqual([]);
    expect(two.sent).toEqual([{ channel: BRIDGE_CHANNEL, message: { kind: 'event', event: 'app.command', payload: { command: 'run' } } }]);
    expect(() => r.bridge.emit(1, 'app.command', { command: 'format-disk' as never })).toThrow();
  });
});
