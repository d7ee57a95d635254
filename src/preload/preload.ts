// The desktop renderer's one way out: `window.nestbed = { send, receive }` (src/renderer/transport.ts
// PreloadBridge), over the one IPC channel of the bridge, and nothing else — no ipcRenderer, no Node,
// no other channel reaches the page. Outgoing messages must be bridge requests (the contract's
// requestMessageSchema); the main process checks the sender and parses every request again.
// Sandboxed preloads cannot require modules other than 'electron': scripts/build-desktop.mjs bundles
// this file (with zod and the contract) into one CommonJS file, dist/preload/preload.cjs.
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_CHANNEL, requestMessageSchema, type BackendMessage, type RequestMessage } from '../core/common/bridge/contract.js';

let receiver: ((message: BackendMessage) => void) | undefined;

// Only the message crosses into the page, never Electron's event object (it carries the sender).
ipcRenderer.on(BRIDGE_CHANNEL, (_event, message: unknown) => receiver?.(message as BackendMessage));

contextBridge.exposeInMainWorld('nestbed', {
  send(message: RequestMessage): void {
    const parsed = requestMessageSchema.safeParse(message);
    if (!parsed.success) throw new TypeError(`nestbed.send: not a bridge request (${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')})`);
    ipcRenderer.send(BRIDGE_CHANNEL, parsed.data);
  },
  /** Registers the one receiver of backend messages (a later call replaces it). */
  receive(handler: (message: BackendMessage) => void): void {
    if (typeof handler !== 'function') throw new TypeError('nestbed.receive: the handler must be a function');
    receiver = handler;
  },
});
