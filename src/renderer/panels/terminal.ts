// The integrated terminal: a shell in the workspace folder (node-pty in the backend), opened when the
// panel is first shown. Flow control: what xterm has parsed is acknowledged, the backend pauses the
// pty while too much is unacknowledged.
import type { BridgeClient } from '../../core/common/bridge/client.js';
import { h } from '../dom.js';
import { XtermView } from './xterm-view.js';

export class TerminalPanel {
  readonly el = h('div', { class: 'terminal-host', 'data-testid': 'terminal' });
  private view: XtermView | undefined;
  private id: number | undefined;

  constructor(
    private readonly client: BridgeClient,
    private readonly available: boolean,
    private readonly reason: string | undefined,
  ) {
    client.on('terminal.data', (p) => {
      if (p.id === this.id) this.view?.write(p.data);
    });
    client.on('terminal.exit', (p) => {
      if (p.id !== this.id) return;
      this.view?.write(`\r\n\x1b[2m[shell exited with ${p.exitCode}; show the panel again for a new one]\x1b[0m\r\n`);
      this.id = undefined;
    });
  }

  async show(): Promise<void> {
    if (!this.available) {
      if (!this.el.firstChild) this.el.append(h('p', { class: 'empty' }, `No integrated terminal here: ${this.reason ?? 'node-pty is unavailable'}.`));
      return;
    }
    if (!this.view) {
      this.view = new XtermView(this.el, { input: true });
      this.view.term.onData((data) => {
        if (this.id !== undefined) void this.client.call('terminal.input', { id: this.id, data });
      });
      this.view.term.onResize(({ cols, rows }) => {
        if (this.id !== undefined) void this.client.call('terminal.resize', { id: this.id, cols, rows });
      });
      this.view.onParsed = (bytes) => {
        if (this.id !== undefined) void this.client.call('terminal.ack', { id: this.id, bytes });
      };
    }
    this.view.resize();
    if (this.id === undefined) {
      const { cols, rows } = this.view.term;
      this.id = (await this.client.call('terminal.open', { cols: Math.max(2, cols), rows: Math.max(1, rows) })).id;
    }
    this.view.term.focus();
  }

  applyTheme(): void {
    this.view?.applyTheme();
  }
}
