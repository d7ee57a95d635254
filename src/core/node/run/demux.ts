// Console demultiplexer: one line of the host emulator's console → (level, guest index, event or
// text). Pure. Each level prefixes the lines it relays with a route ("1|", "2.<i>|"), so the origin
// of a line is set by its parent level, never by the guest that wrote it.

export type Level = 0 | 1 | 2;

export type DemuxedLine =
  | { readonly kind: 'event'; readonly level: Level; readonly guest?: number; readonly name: string; readonly data: Record<string, unknown> }
  | { readonly kind: 'text'; readonly level: Level; readonly guest?: number; readonly text: string };

const ROUTE = /^(1\|)(?:2\.(\d{1,2})\|)?/;

/** `opaque(guest)`: that guest speaks no protocol (an os: custom image), so everything on its route is
 * console text, including lines shaped like events. */
export const demuxLine = (raw: string, opaque?: (guest: number) => boolean): DemuxedLine => {
  const line = raw.replace(/\r/g, '');
  let level: Level = 0;
  let guest: number | undefined;
  let rest = line;
  const m = ROUTE.exec(line);
  if (m) {
    level = m[2] !== undefined ? 2 : 1;
    if (m[2] !== undefined) guest = Number(m[2]);
    rest = line.slice(m[0].length);
  }
  const g = guest !== undefined ? { guest } : {};
  if (rest.startsWith('@{') && !(guest !== undefined && opaque?.(guest))) {
    try {
      const data = JSON.parse(rest.slice(1)) as unknown;
      if (data && typeof data === 'object' && !Array.isArray(data) && typeof (data as { e?: unknown }).e === 'string') {
        const { e, ...payload } = data as { e: string } & Record<string, unknown>;
        return { kind: 'event', level, ...g, name: e, data: payload };
      }
    } catch {
      /* a garbled event is kept as text */
    }
  }
  return { kind: 'text', level, ...g, text: rest };
};

export type FailureMarker = { readonly reason: 'kernel-panic' | 'vmm-error'; readonly message: string };

/** Failure markers in console text (QEMU's functional tests watch for the same). */
export const failureMarker = (text: string): FailureMarker | undefined => {
  if (/Kernel panic - not syncing/.test(text)) return { reason: 'kernel-panic', message: text.trim() };
  if (/Internal error: Oops/.test(text)) return { reason: 'kernel-panic', message: text.trim() };
  if (/^qemu-system-aarch64: (?!warning)/.test(text)) return { reason: 'vmm-error', message: text.trim() };
  return undefined;
};

export const warningMarker = (text: string): string | undefined =>
  /soft lockup|rcu_preempt detected stalls|rcu: INFO|hung_task|blocked for more than/.test(text) ? text.trim() : undefined;

/** Splits a byte stream into lines (keeps the partial tail). */
export class LineSplitter {
  private buf = '';
  push(chunk: string): string[] {
    this.buf += chunk;
    const parts = this.buf.split('\n');
    this.buf = parts.pop() ?? '';
    return parts;
  }
  flush(): string[] {
    const rest = this.buf;
    this.buf = '';
    return rest ? [rest] : [];
  }
}
