// The bridge over Electron IPC: one BridgeConnection (src/core/node/bridge/bridge-host.ts) per window,
// on the one channel BRIDGE_CHANNEL. A message is passed on only when it comes from the main frame of
// one of our own windows (webContents id) showing the app's own renderer page (file:// URL); anything
// else is dropped and logged, and never reaches a connection. The connection parses every request with
// the contract's schemas; answers and events go back with webContents.send. This module and
// src/preload/preload.ts are the only ones that touch ipcMain/ipcRenderer (eslint.config.js); it
// takes Electron's objects as parameters, so its tests run without Electron.
import { BRIDGE_CHANNEL, BRIDGE_EVENTS, type BackendMessage, type BridgeEvent, type BridgeEventPayload } from '../core/common/bridge/contract.js';
import { BridgeConnection } from '../core/node/bridge/bridge-host.js';
import type { Session } from '../core/node/session/session.js';
import { isAppUrl } from './web-security.js';

/** What the bridge needs of a window's webContents (Electron's WebContents fits). */
export interface BridgeContents {
  readonly id: number;
  send(channel: string, message: BackendMessage): void;
  isDestroyed(): boolean;
}

/** What the bridge reads of an IPC message's event (Electron's IpcMainEvent fits). */
export interface BridgeIpcEvent {
  readonly sender: { readonly id: number };
  /** null when the frame navigated away or is gone. */
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/** The part of Electron's ipcMain the bridge listens on. */
export interface IpcMainLike {
  on(channel: string, listener: (event: BridgeIpcEvent, raw: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: BridgeIpcEvent, raw: unknown) => void): unknown;
}

/** A window's workspace: its folder and the Session that runs its topologies. */
export interface WindowWorkspace {
  readonly session: Session;
  readonly folder: string;
}

/** The backend side of one window (BridgeConnection; a stand-in in tests). */
export interface Connection {
  handle(raw: unknown): Promise<void>;
  close(): void;
}

export type AppCommand = BridgeEventPayload<'app.command'>['command'];

export interface DesktopBridgeOptions {
  /** The renderer page's URL (web-security.ts rendererUrl). */
  readonly appUrl: string;
  readonly log: (line: string) => void;
  /** Makes a window's connection; BridgeConnection with shell 'desktop' unless given. */
  readonly connect?: (workspace: WindowWorkspace, send: (message: BackendMessage) => void) => Connection;
}

interface Attached {
  readonly contents: BridgeContents;
  readonly workspace: WindowWorkspace;
  connection: Connection;
}

const bridgeConnection = (w: WindowWorkspace, send: (m: BackendMessage) => void): Connection => new BridgeConnection({ session: w.session, folder: w.folder, shell: 'desktop' }, send);

export class DesktopBridge {
  private readonly windows = new Map<number, Attached>();
  private readonly connect: NonNullable<DesktopBridgeOptions['connect']>;

  constructor(private readonly o: DesktopBridgeOptions) {
    this.connect = o.connect ?? bridgeConnection;
  }

  /** A window of ours: its webContents may talk to the backend, about `workspace`. */
  attach(contents: BridgeContents, workspace: WindowWorkspace): void {
    this.detach(contents.id);
    this.windows.set(contents.id, { contents, workspace, connection: this.open(contents, workspace) });
  }

  /** The window's page is (re)loading: a new page gets a new connection (the old one's run
   * subscriptions end and its terminals are killed; the window's runs go on). */
  reset(id: number): void {
    const w = this.windows.get(id);
    if (!w) return;
    w.connection.close();
    w.connection = this.open(w.contents, w.workspace);
  }

  /** The window closed: its messages are no longer accepted; its connection is closed. */
  detach(id: number): void {
    this.windows.get(id)?.connection.close();
    this.windows.delete(id);
  }

  /** The IPC listener of BRIDGE_CHANNEL. */
  readonly onMessage = (event: BridgeIpcEvent, raw: unknown): void => {
    const w = this.windows.get(event.sender.id);
    if (!w) return this.o.log(`bridge: dropped a message from webContents ${event.sender.id}, not a nestbed window`);
    const frame = event.senderFrame;
    if (!frame || frame.parent !== null || !isAppUrl(frame.url, this.o.appUrl)) {
      return this.o.log(`bridge: dropped a message from webContents ${event.sender.id}: sent by ${frame ? (frame.parent !== null ? 'a subframe' : frame.url) : 'a frame that is gone'}, not the nestbed renderer`);
    }
    void w.connection.handle(raw);
  };

  /** Listens on Electron's ipcMain (main.ts passes the electron module); returns the un-listen. */
  listen(electron: { readonly ipcMain: IpcMainLike }): () => void {
    electron.ipcMain.on(BRIDGE_CHANNEL, this.onMessage);
    return () => electron.ipcMain.removeListener(BRIDGE_CHANNEL, this.onMessage);
  }

  /** Pushes an event to one of our windows (by webContents id); others are ignored. */
  emit<E extends BridgeEvent>(id: number, event: E, payload: BridgeEventPayload<E>): void {
    const w = this.windows.get(id);
    if (w && !w.contents.isDestroyed()) w.contents.send(BRIDGE_CHANNEL, { kind: 'event', event, payload: BRIDGE_EVENTS[event].parse(payload) });
  }

  /** The webContents ids of the attached windows. */
  ids(): number[] {
    return [...this.windows.keys()];
  }

  private open(contents: BridgeContents, workspace: WindowWorkspace): Connection {
    return this.connect(workspace, (m) => {
      if (!contents.isDestroyed()) contents.send(BRIDGE_CHANNEL, m);
    });
  }
}

/** A menu's command, for the focused window (no window focused: nothing happens). */
export const commandToFocused =
  (bridge: DesktopBridge, focused: () => number | undefined) =>
  (command: AppCommand): void => {
    const id = focused();
    if (id !== undefined) bridge.emit(id, 'app.command', { command });
  };
