// One console per level and guest of the current run (L0 server, L1 hypervisor, each guest), fed by
// the run's console events. A tab marks unseen output; `data-lines` counts what each console got.
import type { EventSource } from '../../core/common/model/run-events.js';
import { h } from '../dom.js';
import { XtermView } from './xterm-view.js';

export const sourceKey = (s: EventSource): string => (s.level === 2 ? `guest:${s.guest ?? '?'}` : `L${s.level}`);
const sourceLabel = (key: string): string => (key === 'L0' ? 'L0 server' : key === 'L1' ? 'L1 hypervisor' : key.slice('guest:'.length));

interface Console {
  readonly view: XtermView;
  readonly tab: HTMLButtonElement;
  readonly pane: HTMLDivElement;
  lines: number;
}

export class ConsolesPanel {
  readonly el: HTMLElement;
  private readonly tabs = h('div', { class: 'console-tabs', role: 'tablist' });
  private readonly host = h('div', { class: 'console-host' });
  private readonly consoles = new Map<string, Console>();
  private active: string | undefined;

  constructor() {
    this.el = h('div', { class: 'consoles' }, this.tabs, this.host);
    this.reset([]);
  }

  /** A new run: one console per level and guest, empty. */
  reset(guests: readonly string[]): void {
    for (const c of this.consoles.values()) c.view.term.dispose();
    this.consoles.clear();
    this.tabs.replaceChildren();
    this.host.replaceChildren();
    this.active = undefined;
    if (guests.length === 0) {
      this.tabs.append(h('span', { class: 'empty' }, 'Run or check a topology to see its consoles (L0 server, L1 hypervisor, each guest).'));
      return;
    }
    for (const key of ['L0', 'L1', ...guests.map((g) => `guest:${g}`)]) this.ensure(key);
    this.show('L0');
  }

  private ensure(key: string): Console {
    const existing = this.consoles.get(key);
    if (existing) return existing;
    const pane = h('div', { 'data-console': key });
    const tab = h('button', { role: 'tab', 'data-console': key, 'data-lines': 0, onclick: () => this.show(key) }, sourceLabel(key));
    this.tabs.append(tab);
    this.host.append(pane);
    const c: Console = { view: new XtermView(pane), tab, pane, lines: 0 };
    this.consoles.set(key, c);
    return c;
  }

  show(key: string): void {
    this.active = key;
    for (const [k, c] of this.consoles) {
      const on = k === key;
      c.pane.classList.toggle('active', on);
      c.tab.classList.toggle('active', on);
      if (on) {
        c.tab.classList.remove('fresh');
        requestAnimationFrame(() => c.view.resize());
      }
    }
  }

  line(source: EventSource, text: string): void {
    const key = sourceKey(source);
    const c = this.ensure(key);
    c.lines++;
    c.tab.dataset['lines'] = String(c.lines);
    if (key !== this.active) c.tab.classList.add('fresh');
    c.view.write(`${text}\r\n`);
  }

  /** An agent event, dimmed, as the run directory's console log has it (the consoles show what the
   * logs hold: with quiet kernels, most of a level's output is its agent's events). */
  agent(source: EventSource, name: string, data: Record<string, unknown>): void {
    this.line(source, `\x1b[2m@${name} ${JSON.stringify(data)}\x1b[0m`);
  }

  applyTheme(): void {
    for (const c of this.consoles.values()) c.view.applyTheme();
  }
}
