// The renderer's one typed client of the bridge, over any transport that carries the wire messages
// (Electron IPC through the preload, or the browser mode's WebSocket).
import type { BackendMessage, BridgeEvent, BridgeEventPayload, BridgeMethod, BridgeParams, BridgeResult, RequestMessage } from './contract.js';

export interface BridgeTransport {
  send(message: RequestMessage): void;
  /** Registers the one receiver of backend messages. */
  receive(handler: (message: BackendMessage) => void): void;
}

export class BridgeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BridgeClient {
  call<M extends BridgeMethod>(method: M, params: BridgeParams<M>): Promise<BridgeResult<M>>;
  /** Returns the unsubscribe. */
  on<E extends BridgeEvent>(event: E, handler: (payload: BridgeEventPayload<E>) => void): () => void;
}

export const createBridgeClient = (transport: BridgeTransport): BridgeClient => {
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const handlers = new Map<string, Set<(payload: unknown) => void>>();
  transport.receive((m) => {
    if (m.kind === 'event') {
      for (const h of handlers.get(m.event) ?? []) h(m.payload);
      return;
    }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.result);
    else p.reject(new BridgeError(m.error.code, m.error.message));
  });
  return {
    call: (method, params) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        transport.send({ kind: 'request', id, method, params });
      }),
    on: (event, handler) => {
      const set = handlers.get(event) ?? new Set();
      handlers.set(event, set);
      const h = handler as (payload: unknown) => void;
      set.add(h);
      return () => set.delete(h);
    },
  };
};
