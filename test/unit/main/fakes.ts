// Stand-ins for the Electron objects the desktop main process's plain modules take as parameters.
import { pathToFileURL } from 'node:url';
import { vi } from 'vitest';
import type { BackendMessage } from '../../../src/core/common/bridge/contract.js';
import type { BridgeContents, BridgeIpcEvent } from '../../../src/main/desktop-bridge.js';
import { rendererUrl } from '../../../src/main/web-security.js';

export const APP_ROOT = '/opt/nestbed';
export const APP_URL = rendererUrl(APP_ROOT);

/** A window's webContents that records what main sends it. */
export interface FakeContents extends BridgeContents {
  readonly sent: Array<{ channel: string; message: BackendMessage }>;
  destroyed: boolean;
}

export const fakeContents = (id: number): FakeContents => {
  const c: FakeContents = {
    id,
    sent: [],
    destroyed: false,
    send: (channel, message) => void c.sent.push({ channel, message }),
    isDestroyed: () => c.destroyed,
  };
  return c;
};

/** The IPC event of a message from `contents`' main frame showing `url` (the app's page by default). */
export const ipcEvent = (id: number, url: string = APP_URL, frame: 'main' | 'sub' | 'gone' = 'main'): BridgeIpcEvent => ({
  sender: { id },
  senderFrame: frame === 'gone' ? null : { url, parent: frame === 'main' ? null : { url: APP_URL } },
});

/** Waits until `contents` has received `n` messages; returns the n-th. */
export const nthMessage = async (contents: FakeContents, n: number): Promise<BackendMessage> => {
  await vi.waitFor(() => {
    if (contents.sent.length < n) throw new Error(`${contents.sent.length} of ${n} messages`);
  }, 10_000);
  return contents.sent[n - 1]!.message;
};

export const fileUrl = (path: string): string => pathToFileURL(path).href;
