// The bridge's transports: Electron IPC through the preload's one object, or the browser mode's
// WebSocket (token from the URL, kept in sessionStorage so a reload works, dropped from the address bar).
import type { BridgeTransport } from '../core/common/bridge/client.js';
import type { BackendMessage, RequestMessage } from '../core/common/bridge/contract.js';

/** What src/preload exposes as `window.nestbed` in the desktop app. */
export interface PreloadBridge {
  send(message: RequestMessage): void;
  receive(handler: (message: BackendMessage) => void): void;
}

declare global {
  interface Window {
    nestbed?: PreloadBridge;
  }
}

export const desktopTransport = (): BridgeTransport | undefined => window.nestbed;

export const webSocketTransport = (): Promise<BridgeTransport> => {
  const url = new URL(location.href);
  const token = url.searchParams.get('token') ?? sessionStorage.getItem('nestbed-token') ?? '';
  sessionStorage.setItem('nestbed-token', token);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  const ws = new WebSocket(`ws://${location.host}/ws?token=${encodeURIComponent(token)}`);
  const queue: RequestMessage[] = [];
  let handler: ((m: BackendMessage) => void) | undefined;
  ws.addEventListener('message', (e) => handler?.(JSON.parse(String(e.data)) as BackendMessage));
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => {
      for (const m of queue.splice(0)) ws.send(JSON.stringify(m));
      resolve({
        send: (m) => (ws.readyState === WebSocket.OPEN ? ws.send(JSON.stringify(m)) : queue.push(m)),
        receive: (h) => {
          handler = h;
        },
      });
    });
    ws.addEventListener('error', () => reject(new Error('the nestbed server refused the connection (is `nestbed ui` still running, and is this its URL with the token?)')));
    ws.addEventListener('close', () => document.body.classList.add('disconnected'));
  });
};
