// The part of Electron's API that src/main/main.ts and src/preload/preload.ts use, declared with the
// signatures of Electron 41's own electron.d.ts. Electron is an optional dependency (its binary cannot
// be downloaded everywhere), so its types may be absent: the tsconfigs of src/main and src/preload map
// 'electron' to node_modules/electron when it is installed and to this file otherwise. Extend this file
// when main.ts starts using more of Electron; `npm run typecheck` where Electron is installed checks
// the same code against the real types.

export interface Event {
  preventDefault(): void;
  readonly defaultPrevented: boolean;
}
export type EventParams<Params extends object> = Event<Params> & Params;

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Display {
  id: number;
  workArea: Rectangle;
  bounds: Rectangle;
}

export interface WebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  nodeIntegrationInWorker?: boolean;
  nodeIntegrationInSubFrames?: boolean;
  webSecurity?: boolean;
  allowRunningInsecureContent?: boolean;
  webviewTag?: boolean;
  experimentalFeatures?: boolean;
  navigateOnDragDrop?: boolean;
  safeDialogs?: boolean;
  spellcheck?: boolean;
  devTools?: boolean;
}

export interface BrowserWindowConstructorOptions {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  minWidth?: number;
  minHeight?: number;
  show?: boolean;
  title?: string;
  backgroundColor?: string;
  webPreferences?: WebPreferences;
}

export interface WebFrameMain {
  readonly url: string;
  readonly parent: WebFrameMain | null;
}

export interface HandlerDetails {
  url: string;
  frameName: string;
}
export interface WindowOpenHandlerResponse {
  action: 'deny' | 'allow';
}

export interface RenderProcessGoneDetails {
  reason: 'clean-exit' | 'abnormal-exit' | 'killed' | 'crashed' | 'oom' | 'launch-failed' | 'integrity-failure' | 'memory-eviction';
  exitCode: number;
}

export interface WebContents {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  getURL(): string;
  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void;
  on(event: 'did-start-navigation', listener: (details: EventParams<{ url: string; isSameDocument: boolean; isMainFrame: boolean; frame: WebFrameMain | null }>) => void): this;
  on(event: 'will-navigate' | 'will-redirect', listener: (details: EventParams<{ url: string; isSameDocument: boolean; isMainFrame: boolean; frame: WebFrameMain | null }>) => void): this;
  on(event: 'will-attach-webview', listener: (event: Event, webPreferences: WebPreferences, params: Record<string, string>) => void): this;
  on(event: 'will-prevent-unload', listener: (event: Event) => void): this;
  on(event: 'render-process-gone', listener: (event: Event, details: RenderProcessGoneDetails) => void): this;
}

export declare class BrowserWindow {
  constructor(options?: BrowserWindowConstructorOptions);
  static getFocusedWindow(): BrowserWindow | null;
  static getAllWindows(): BrowserWindow[];
  readonly id: number;
  readonly webContents: WebContents;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  maximize(): void;
  isMaximized(): boolean;
  isMinimized(): boolean;
  restore(): void;
  getNormalBounds(): Rectangle;
  setTitle(title: string): void;
  setDocumentEdited(edited: boolean): void;
  isDestroyed(): boolean;
  on(event: 'page-title-updated', listener: (event: Event, title: string, explicitSet: boolean) => void): this;
  on(event: 'close', listener: (event: Event) => void): this;
  on(event: 'closed', listener: () => void): this;
  once(event: 'ready-to-show', listener: () => void): this;
}

export interface App {
  readonly isPackaged: boolean;
  enableSandbox(): void;
  whenReady(): Promise<void>;
  getAppPath(): string;
  getPath(name: 'home' | 'appData' | 'userData' | 'temp' | 'logs'): string;
  getVersion(): string;
  addRecentDocument(path: string): void;
  clearRecentDocuments(): void;
  quit(): void;
  exit(exitCode?: number): void;
  on(event: 'web-contents-created', listener: (event: Event, webContents: WebContents) => void): this;
  on(event: 'will-quit' | 'before-quit', listener: (event: Event) => void): this;
  on(event: 'window-all-closed' | 'activate', listener: () => void): this;
}

export interface MessageBoxOptions {
  message: string;
  type?: 'none' | 'info' | 'error' | 'question' | 'warning';
  buttons?: string[];
  defaultId?: number;
  cancelId?: number;
  noLink?: boolean;
  title?: string;
  detail?: string;
}
export type MessageBoxSyncOptions = MessageBoxOptions;
export interface MessageBoxReturnValue {
  response: number;
  checkboxChecked: boolean;
}
export interface OpenDialogOptions {
  title?: string;
  defaultPath?: string;
  properties?: Array<'openFile' | 'openDirectory' | 'multiSelections' | 'showHiddenFiles' | 'createDirectory' | 'promptToCreate' | 'noResolveAliases' | 'treatPackageAsDirectory' | 'dontAddToRecent'>;
}
export interface OpenDialogReturnValue {
  canceled: boolean;
  filePaths: string[];
}

export interface Dialog {
  showMessageBox(window: BrowserWindow, options: MessageBoxOptions): Promise<MessageBoxReturnValue>;
  showMessageBox(options: MessageBoxOptions): Promise<MessageBoxReturnValue>;
  showMessageBoxSync(window: BrowserWindow, options: MessageBoxSyncOptions): number;
  showMessageBoxSync(options: MessageBoxSyncOptions): number;
  showOpenDialog(window: BrowserWindow, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showErrorBox(title: string, content: string): void;
}

export interface MenuItemConstructorOptions {
  label?: string;
  role?: 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll' | 'reload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen' | 'close' | 'about' | 'services' | 'hide' | 'hideOthers' | 'unhide' | 'quit' | 'windowMenu';
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  accelerator?: string;
  enabled?: boolean;
  submenu?: MenuItemConstructorOptions[] | Menu;
  click?: (menuItem: unknown, window: BrowserWindow | undefined, event: unknown) => void;
}

export declare class Menu {
  static buildFromTemplate(template: MenuItemConstructorOptions[]): Menu;
  static setApplicationMenu(menu: Menu | null): void;
}

export interface Screen {
  getPrimaryDisplay(): Display;
  getAllDisplays(): Display[];
}

export interface PermissionRequest {
  requestingUrl: string;
  isMainFrame: boolean;
}
export interface PermissionCheckHandlerHandlerDetails {
  requestingUrl?: string;
  isMainFrame: boolean;
}
export interface Session {
  setPermissionRequestHandler(handler: ((webContents: WebContents, permission: string, callback: (permissionGranted: boolean) => void, details: PermissionRequest) => void) | null): void;
  setPermissionCheckHandler(handler: ((webContents: WebContents | null, permission: string, requestingOrigin: string, details: PermissionCheckHandlerHandlerDetails) => boolean) | null): void;
}

export interface IpcMainEvent extends Event {
  readonly sender: WebContents;
  readonly senderFrame: WebFrameMain | null;
}
export interface IpcMain {
  on(channel: string, listener: (event: IpcMainEvent, ...args: unknown[]) => void): this;
  removeListener(channel: string, listener: (...args: never[]) => void): this;
}

export interface IpcRendererEvent extends Event {
  readonly senderId: number;
}
export interface IpcRenderer {
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): this;
  send(channel: string, ...args: unknown[]): void;
}
export interface ContextBridge {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

export declare const app: App;
export declare const dialog: Dialog;
export declare const screen: Screen;
export declare const session: { readonly defaultSession: Session };
export declare const ipcMain: IpcMain;
export declare const ipcRenderer: IpcRenderer;
export declare const contextBridge: ContextBridge;

declare global {
  namespace NodeJS {
    interface Process {
      /** Set when the app was started as `electron <app path>` (not packaged). */
      readonly defaultApp: boolean;
    }
  }
}
