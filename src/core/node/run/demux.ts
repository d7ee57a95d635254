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

/** Where the JSON object that starts `text` at index 0 ends (exclusive), or -1: braces counted
 * outside strings, escapes honoured. */
const objectEnd = (text: string): number => {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
};

/**
 * An event line that something else printed onto before its newline went out — a guest's agent
 * line followed at once by a kernel message written straight to the console (printk does not wait
 * for the tty's pending output), e.g. `@{"e":"ready",…}[   18.71] sysrq: Trigger a crash` — as two
 * lines with the same route: the event, then the text. Any other line comes back unchanged.
 */
export const splitGluedLine = (raw: string): string[] => {
  const line = raw.replace(/\r/g, '');
  const route = ROUTE.exec(line)?.[0] ?? '';
  const rest = line.slice(route.length);
  if (!rest.startsWith('@{')) return [raw];
  const end = objectEnd(rest.slice(1));
  if (end < 0 || end + 1 >= rest.length) return [raw];
  try {
    JSON.parse(rest.slice(1, end + 1));
  } catch {
    return [raw];
  }
  return [`${route}${rest.slice(0, end + 1)}`, `${route}${rest.slice(end + 1)}`];
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
