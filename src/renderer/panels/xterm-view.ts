// One xterm.js view with flow control: text is queued and written in chunks, the next chunk only after
// xterm has parsed the previous one (its write callback); while the queue is longer than MAX_QUEUED the
// oldest queued text is dropped and counted, so a chatty guest cannot freeze the window (the run
// directory keeps every line).
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

const CHUNK = 64 * 1024;
const MAX_QUEUED = 2 * 1024 * 1024;

export const terminalTheme = (): { background: string; foreground: string; cursor: string; selectionBackground: string } => {
  const css = getComputedStyle(document.documentElement);
  const v = (n: string) => css.getPropertyValue(n).trim();
  return { background: v('--bg'), foreground: v('--fg'), cursor: v('--fg'), selectionBackground: v('--sel') };
};

export class XtermView {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private queue: string[] = [];
  private queued = 0;
  private writing = false;
  private skipped = 0;
  /** Bytes xterm has parsed (what a pty's flow control acknowledges). */
  onParsed: ((bytes: number) => void) | undefined;

  constructor(
    readonly host: HTMLElement,
    options: { readonly input?: boolean } = {},
  ) {
    this.term = new Terminal({ fontFamily: "'DejaVu Sans Mono', Menlo, Consolas, monospace", fontSize: 12, scrollback: 5000, convertEol: false, disableStdin: options.input !== true, cursorBlink: options.input === true, theme: terminalTheme() });
    this.term.loadAddon(this.fit);
    this.term.open(host);
    new ResizeObserver(() => this.resize()).observe(host);
  }

  resize(): void {
    if (this.host.offsetParent === null || this.host.clientWidth < 20) return;
    try {
      this.fit.fit();
    } catch {
      // not laid out yet
    }
  }

  applyTheme(): void {
    this.term.options.theme = terminalTheme();
  }

  write(text: string): void {
    this.queue.push(text);
    this.queued += text.length;
    while (this.queued > MAX_QUEUED && this.queue.length > 1) {
      const dropped = this.queue.shift()!;
      this.queued -= dropped.length;
      this.skipped += (dropped.match(/\n/g) ?? []).length || 1;
    }
    this.pump();
  }

  private pump(): void {
    if (this.writing || this.queue.length === 0) return;
    let chunk = '';
    if (this.skipped > 0) {
      chunk = `\x1b[33m[… ${this.skipped} lines not drawn: the view fell behind; the run directory has them all]\x1b[0m\r\n`;
      this.skipped = 0;
    }
    while (this.queue.length > 0 && chunk.length < CHUNK) {
      const next = this.queue.shift()!;
      this.queued -= next.length;
      chunk += next;
    }
    this.writing = true;
    const bytes = chunk.length;
    this.term.write(chunk, () => {
      this.writing = false;
      this.onParsed?.(bytes);
      this.pump();
    });
  }

  clear(): void {
    this.queue = [];
    this.queued = 0;
    this.skipped = 0;
    this.term.reset();
  }
}
