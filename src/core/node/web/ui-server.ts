// Browser mode (`nestbed ui`): the IDE's renderer and the bridge over a WebSocket, for this machine's
// user only. It binds 127.0.0.1; every request needs the session token (a random 192-bit value printed
// once, in the URL); the page gets it as an HttpOnly, SameSite=Strict cookie so its assets load; the
// WebSocket needs the token in its URL *and* an Origin and Host of exactly this host and port (no other
// site, no DNS rebinding). Pages carry a strict Content-Security-Policy (no inline or eval'd script,
// no outside connections). Anything else gets 403 and nothing of the workspace.
// It lives in core/node (not a leaf) because the CLI's `ui` command and the browser tests start it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { InfrastructureError } from '../../common/model/errors.js';
import { BridgeConnection } from '../bridge/bridge-host.js';
import type { Session } from '../session/session.js';

/** The built renderer (vite build, run by `npm ci`'s prepare step). */
export const defaultRendererDir = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '../../../../dist/renderer');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

const COOKIE = 'nestbed_token';
/** The largest bridge message accepted from a client (a whole topology file fits many times). */
const MAX_MESSAGE = 4 * 1024 * 1024;

export const contentSecurityPolicy = (port: number): string =>
  [
    "default-src 'none'",
    "script-src 'self'",
    // Monaco and xterm.js set element styles at run time; no script can be injected through styles.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ws://127.0.0.1:${port}`,
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

export interface UiServerOptions {
  readonly session: Session;
  readonly folder: string;
  /** 0: any free port. */
  readonly port?: number;
  readonly rendererDir?: string;
  /** Fixed token (tests); random otherwise. */
  readonly token?: string;
}

export interface UiServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

const sameToken = (a: string | undefined | null, token: string): boolean => {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
};

const cookieToken = (req: IncomingMessage): string | undefined =>
  (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim().split('='))
    .find(([k]) => k === COOKIE)?.[1];

export const startUiServer = async (o: UiServerOptions): Promise<UiServer> => {
  const rendererDir = o.rendererDir ?? defaultRendererDir();
  if (!existsSync(join(rendererDir, 'index.html'))) throw new InfrastructureError(`the IDE's renderer is not built (${rendererDir}/index.html is missing)`, 'run "npm run build:ui" (npm ci runs it)');
  const root = await realpath(rendererDir);
  const token = o.token ?? randomBytes(24).toString('base64url');
  let port = 0;
  const host = () => `127.0.0.1:${port}`;
  const headers = (type: string): Record<string, string> => ({
    'Content-Type': type,
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  });
  const refuse = (res: ServerResponse, status: number, why: string) => {
    res.writeHead(status, headers('text/plain; charset=utf-8'));
    res.end(`${why}\n`);
  };

  const server = createServer((req, res) => {
    // every error ends this request, never the server
    void (async () => {
      if (req.headers.host !== host()) return refuse(res, 403, 'forbidden: wrong Host');
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
      const url = new URL(req.url ?? '/', `http://${host()}`);
      const fromQuery = sameToken(url.searchParams.get('token'), token);
      if (!fromQuery && !sameToken(cookieToken(req), token)) return refuse(res, 403, 'forbidden: open the URL that `nestbed ui` printed (it carries the session token)');
      let rel: string;
      try {
        rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
      } catch {
        return refuse(res, 400, 'bad request: malformed path');
      }
      const file = resolve(root, rel);
      if (rel.includes('\0') || !file.startsWith(root + sep)) return refuse(res, 403, 'forbidden');
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        return refuse(res, 404, 'not found');
      }
      const h = headers(TYPES[extname(file)] ?? 'application/octet-stream');
      if (fromQuery) h['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      res.writeHead(200, h);
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch(() => {
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${host()}`);
    const ok = url.pathname === '/ws' && req.headers.host === host() && req.headers.origin === `http://${host()}` && sameToken(url.searchParams.get('token'), token);
    if (!ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      const conn = new BridgeConnection({ session: o.session, folder: o.folder, shell: 'browser', backlog: () => ws.bufferedAmount }, (m) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return ws.close(1003, 'text messages only');
        let msg: unknown;
        try {
          msg = JSON.parse(data.toString());
        } catch {
          return ws.close(1007, 'not JSON');
        }
        void conn.handle(msg);
      });
      ws.on('close', () => {
        sockets.delete(ws);
        conn.close();
      });
    });
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, '127.0.0.1', () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://${host()}/?token=${token}`,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
};
