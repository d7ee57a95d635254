// The IDE: explorer | editor (+ results tabs) | side panel (topology, schedulability, run, history),
// a bottom panel (problems, consoles, terminal) and a status bar. All state lives here; panels only
// draw what they are given. The backend is reached only through the bridge client.
import type { BridgeClient } from '../core/common/bridge/client.js';
import type { APP_COMMANDS, BridgeResult, OpenedRunView, RunSummaryView, ValidationView } from '../core/common/bridge/contract.js';
import type { SessionEvent } from '../core/common/model/session-events.js';
import { fill, h, trustedHtml } from './dom.js';
import type { TopologyEditor } from './editor/topology-editor.js';
import { ConsolesPanel } from './panels/consoles.js';
import { HistoryPanel } from './panels/history.js';
import { ProblemsPanel } from './panels/problems.js';
import { ResultsView, CompareView } from './panels/results.js';
import { RunProgress } from './panels/run-progress.js';
import { SchedulabilityPanel } from './panels/schedulability.js';
import { TerminalPanel } from './panels/terminal.js';
import { TOPOLOGY_DIAGRAM_CSS } from '../core/common/report/topology-diagram.js';

type Info = BridgeResult<'app.info'>;

interface OpenFile {
  readonly path: string;
  saved: string;
  dirty: boolean;
}

type Tab = { kind: 'file'; path: string } | { kind: 'results'; dir: string; title: string; view: ResultsView } | { kind: 'compare'; title: string; view: CompareView };

interface CurrentRun {
  readonly id: string;
  readonly mode: 'run' | 'check';
  readonly path: string;
  readonly started: number;
  runDir?: string;
  topology?: string;
  finished: boolean;
}

const VALIDATE_DEBOUNCE_MS = 120;

/** A panel with tab buttons over views (one visible). */
class TabbedPanel {
  readonly el: HTMLElement;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private readonly views = new Map<string, HTMLElement>();
  active = '';
  onShow: ((id: string) => void) | undefined;

  constructor(className: string, tabs: ReadonlyArray<{ id: string; label: string; view: HTMLElement }>) {
    const bar = h('div', { class: 'panel-tabs', role: 'tablist' });
    const body = h('div', { class: 'panel-body' });
    for (const t of tabs) {
      const b = h('button', { role: 'tab', 'data-tab': t.id, onclick: () => this.show(t.id) }, t.label);
      this.buttons.set(t.id, b);
      bar.append(b);
      const v = h('div', { class: 'view', 'data-view': t.id }, t.view);
      this.views.set(t.id, v);
      body.append(v);
    }
    this.el = h('section', { class: className }, bar, body);
    this.show(tabs[0]!.id);
  }

  show(id: string): void {
    this.active = id;
    for (const [k, b] of this.buttons) b.classList.toggle('active', k === id);
    for (const [k, v] of this.views) v.classList.toggle('active', k === id);
    this.onShow?.(id);
  }

  badge(id: string, text: string): void {
    const b = this.buttons.get(id);
    if (!b) return;
    b.querySelector('.badge')?.remove();
    if (text) b.append(h('span', { class: 'badge' }, text));
  }
}

export class App {
  private readonly files = new Map<string, OpenFile>();
  private tabs: Tab[] = [];
  private activeTab: Tab | undefined;
  private validation: ValidationView | undefined;
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private run: CurrentRun | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;

  private readonly el = {
    explorer: h('ul', { class: 'tree', 'data-testid': 'explorer' }),
    tabs: h('div', { class: 'tabs', role: 'tablist', 'data-testid': 'editor-tabs' }),
    editorArea: h('div', { class: 'editor-area' }),
    editorHost: h('div', { 'data-testid': 'editor' }),
    resultsHost: h('div', { class: 'results-host', style: 'overflow:auto;display:none' }),
    welcome: h('div', { class: 'welcome' }),
    topology: h('div', { class: 'topology-view', 'data-testid': 'topology-view' }),
    stage: h('span', { class: 'stage', 'data-testid': 'stage' }),
    status: h('span', { 'data-testid': 'status-validation' }),
    statusRun: h('span', { 'data-testid': 'status-run' }),
    cursor: h('span', { 'data-testid': 'status-cursor' }),
    run: h('button', { class: 'primary', title: 'Run the topology on the nested stack (F5)', 'data-testid': 'run' }, '▶ Run'),
    check: h('button', { title: 'Run and judge against the ECU profile (Ctrl+F5)', 'data-testid': 'check' }, '✓ Check'),
    stop: h('button', { title: 'Stop the run (Shift+F5)', 'data-testid': 'stop', disabled: true }, '■ Stop'),
    timing: h('select', { title: 'Timing mode', 'data-testid': 'timing' }, h('option', { value: 'deterministic' }, 'deterministic'), h('option', { value: 'fast' }, 'fast')),
    theme: h('button', { title: 'Light / dark theme' }, '◐'),
  };

  private readonly problems = new ProblemsPanel((line, col) => this.editor.reveal(line, col));
  private readonly sched = new SchedulabilityPanel();
  private readonly consoles = new ConsolesPanel();
  private readonly progress = new RunProgress();
  private readonly history: HistoryPanel;
  private readonly terminal: TerminalPanel;
  private readonly side: TabbedPanel;
  private readonly bottom: TabbedPanel;

  constructor(
    private readonly client: BridgeClient,
    private readonly info: Info,
    private readonly editor: TopologyEditor,
  ) {
    this.terminal = new TerminalPanel(client, info.terminal, info.terminalReason);
    this.history = new HistoryPanel({ open: (r) => void this.openRun(r), compare: (a, b) => void this.compare(a, b) });
    this.side = new TabbedPanel('panel side', [
      { id: 'topology', label: 'Topology', view: this.el.topology },
      { id: 'schedulability', label: 'Schedulability', view: this.sched.el },
      { id: 'run', label: 'Run', view: this.progress.el },
      { id: 'history', label: 'History', view: this.history.el },
    ]);
    this.bottom = new TabbedPanel('panel bottom', [
      { id: 'problems', label: 'Problems', view: this.problems.el },
      { id: 'consoles', label: 'Consoles', view: this.consoles.el },
      { id: 'terminal', label: 'Terminal', view: this.terminal.el },
    ]);
    this.bottom.onShow = (id) => {
      if (id === 'terminal') void this.terminal.show();
    };
    client.on('run.event', (p) => {
      if (p.runId === this.run?.id) this.onRunEvent(p.event);
    });
    client.on('app.command', ({ command }) => this.command(command));
    editor.onChange = (path) => this.changed(path);
    editor.onSave = () => void this.save();
    editor.onCursor = (line, column) => {
      this.el.cursor.textContent = `Ln ${line}, Col ${column}`;
    };
  }

  mount(root: HTMLElement): void {
    const style = h('style', {}, TOPOLOGY_DIAGRAM_CSS);
    document.head.append(style);
    this.el.editorArea.append(this.el.editorHost, this.el.resultsHost, this.el.welcome);
    fill(this.el.welcome, h('h2', {}, 'nestbed'), h('p', {}, `Folder: ${this.info.folder}`), h('p', {}, 'Open a topology from the explorer. Ctrl+S saves, F5 runs, Ctrl+F5 checks, Shift+F5 stops, Ctrl+` opens the terminal.'));
    const sideSplit = h('div', { class: 'splitter', title: 'Drag to resize' });
    const bottomSplit = h('div', { class: 'splitter h', title: 'Drag to resize' });
    fill(
      root,
      h('header', { class: 'toolbar' }, h('span', { class: 'brand' }, 'nestbed'), this.el.run, this.el.check, this.el.stop, this.el.timing, this.el.stage, h('span', { class: 'spacer' }), this.el.theme),
      h(
        'div',
        { class: 'main' },
        h('nav', { class: 'sidebar' }, h('div', { class: 'pane-title' }, 'Explorer'), this.el.explorer),
        h('div', { class: 'center' }, this.el.tabs, this.el.editorArea, bottomSplit, this.bottom.el),
        sideSplit,
        this.side.el,
      ),
      h('footer', { class: 'statusbar' }, this.el.status, this.el.statusRun, h('span', { class: 'right' }, this.el.cursor, `  ·  nestbed ${this.info.version} · ${this.info.shell}`)),
    );
    root.removeAttribute('aria-busy');
    this.editor.mount(this.el.editorHost);
    this.drag(sideSplit, 'x', '--side', root);
    this.drag(bottomSplit, 'y', '--bottom', root);
    this.el.run.addEventListener('click', () => void this.start('run'));
    this.el.check.addEventListener('click', () => void this.start('check'));
    this.el.stop.addEventListener('click', () => void this.stop());
    this.el.theme.addEventListener('click', () => this.setTheme(document.documentElement.dataset['theme'] === 'dark' ? 'light' : 'dark'));
    this.setTheme(localStorage.getItem('nestbed-theme') === 'light' ? 'light' : 'dark');
    window.addEventListener('keydown', (e) => this.key(e));
    window.addEventListener('beforeunload', (e) => {
      if ([...this.files.values()].some((f) => f.dirty)) e.preventDefault();
    });
    this.showTab(undefined);
    this.problems.show(undefined, []);
    this.sched.show([], 'Open a topology to see its schedulability analysis.');
    void this.refreshFiles();
  }

  private drag(handle: HTMLElement, axis: 'x' | 'y', variable: string, root: HTMLElement): void {
    handle.addEventListener('pointerdown', (down) => {
      handle.setPointerCapture(down.pointerId);
      const move = (e: PointerEvent) => {
        const px = axis === 'x' ? window.innerWidth - e.clientX : window.innerHeight - e.clientY - 22;
        root.style.setProperty(variable, `${Math.max(120, Math.min(px, (axis === 'x' ? window.innerWidth : window.innerHeight) - 200))}px`);
        this.editor.layout();
      };
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
    });
  }

  private setTheme(theme: 'light' | 'dark'): void {
    document.documentElement.dataset['theme'] = theme;
    localStorage.setItem('nestbed-theme', theme);
    this.editor.setTheme(theme);
    this.consoles.applyTheme();
    this.terminal.applyTheme();
  }

  /** A native menu's command (desktop). */
  private command(c: (typeof APP_COMMANDS)[number]): void {
    switch (c) {
      case 'save':
        return void this.save();
      case 'run':
      case 'check':
        return void this.start(c);
      case 'stop':
        return void this.stop();
      case 'toggle-theme':
        return this.setTheme(document.documentElement.dataset['theme'] === 'dark' ? 'light' : 'dark');
      case 'show-problems':
        return this.bottom.show('problems');
      case 'show-terminal':
        return this.bottom.show('terminal');
    }
  }

  private key(e: KeyboardEvent): void {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 's') {
      e.preventDefault();
      void this.save();
    } else if (e.key === 'F5') {
      e.preventDefault();
      if (e.shiftKey) void this.stop();
      else void this.start(mod ? 'check' : 'run');
    } else if (mod && e.shiftKey && e.key.toLowerCase() === 'm') {
      e.preventDefault();
      this.bottom.show('problems');
    } else if (mod && e.key === '`') {
      e.preventDefault();
      this.bottom.show('terminal');
    }
  }

  // ── files and tabs ────────────────────────────────────────────────────────────────────────────

  private async refreshFiles(): Promise<void> {
    const { files } = await this.client.call('workspace.files', {});
    const items: HTMLElement[] = [];
    let lastDir = '';
    for (const f of files) {
      const parts = f.path.split('/');
      const dir = parts.slice(0, -1).join('/');
      if (dir && dir !== lastDir) {
        const common = lastDir.split('/');
        const segs = dir.split('/');
        let k = 0;
        while (k < common.length && common[k] === segs[k]) k++;
        for (let d = k; d < segs.length; d++) items.push(h('li', { class: 'dir', style: `--depth:${d}` }, `▾ ${segs[d]}`));
      }
      lastDir = dir;
      items.push(h('li', { 'data-path': f.path, style: `--depth:${parts.length - 1}`, title: f.path, onclick: () => void this.openFile(f.path) }, parts.at(-1)!));
    }
    fill(this.el.explorer, ...(items.length ? items : [h('li', { class: 'dir' }, 'No .yaml/.json files in this folder.')]));
    this.markExplorer();
  }

  private markExplorer(): void {
    const active = this.activeTab?.kind === 'file' ? this.activeTab.path : undefined;
    for (const li of this.el.explorer.querySelectorAll<HTMLElement>('li[data-path]')) {
      const p = li.dataset['path']!;
      li.classList.toggle('active', p === active);
      li.classList.toggle('dirty', this.files.get(p)?.dirty === true);
    }
  }

  async openFile(path: string): Promise<void> {
    if (!this.files.has(path)) {
      const { text } = await this.client.call('file.read', { path });
      this.files.set(path, { path, saved: text, dirty: false });
      this.editor.open(path, text);
      this.tabs.push({ kind: 'file', path });
    }
    this.showTab(this.tabs.find((t) => t.kind === 'file' && t.path === path));
  }

  private tabTitle(t: Tab): string {
    return t.kind === 'file' ? t.path.split('/').at(-1)! : t.title;
  }

  private renderTabs(): void {
    fill(
      this.el.tabs,
      ...this.tabs.map((t) =>
        h(
          'div',
          { class: `tab${t === this.activeTab ? ' active' : ''}${t.kind === 'file' && this.files.get(t.path)?.dirty ? ' dirty' : ''}`, role: 'tab', 'data-kind': t.kind, title: t.kind === 'file' ? t.path : t.title, onclick: () => this.showTab(t) },
          h('span', { class: 'tab-name' }, this.tabTitle(t)),
          h('button', { class: 'close', title: 'Close', onclick: (e: Event) => (e.stopPropagation(), this.closeTab(t)) }, '×'),
        ),
      ),
    );
  }

  private closeTab(t: Tab): void {
    if (t.kind === 'file') {
      const f = this.files.get(t.path);
      if (f?.dirty && !confirm(`${t.path} has unsaved changes. Close it anyway?`)) return;
      this.files.delete(t.path);
      this.editor.close(t.path);
    }
    const i = this.tabs.indexOf(t);
    this.tabs.splice(i, 1);
    if (this.activeTab === t) this.showTab(this.tabs[Math.max(0, i - 1)]);
    else this.renderTabs();
  }

  private showTab(t: Tab | undefined): void {
    this.activeTab = t;
    this.el.welcome.style.display = t ? 'none' : 'block';
    this.el.editorHost.style.visibility = t?.kind === 'file' ? 'visible' : 'hidden';
    this.el.resultsHost.style.display = t && t.kind !== 'file' ? 'block' : 'none';
    if (t?.kind === 'file') {
      this.editor.show(t.path);
      this.validateNow();
    } else if (t) fill(this.el.resultsHost, t.view.el);
    this.renderTabs();
    this.markExplorer();
    this.updateButtons();
  }

  private currentPath(): string | undefined {
    return this.activeTab?.kind === 'file' ? this.activeTab.path : undefined;
  }

  private changed(path: string): void {
    const f = this.files.get(path);
    if (!f) return;
    const dirty = this.editor.text(path) !== f.saved;
    if (dirty !== f.dirty) {
      f.dirty = dirty;
      this.renderTabs();
      this.markExplorer();
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.validateNow(), VALIDATE_DEBOUNCE_MS);
  }

  private async save(): Promise<void> {
    const path = this.currentPath();
    const f = path ? this.files.get(path) : undefined;
    if (!path || !f) return;
    const text = this.editor.text(path) ?? '';
    await this.client.call('file.write', { path, text });
    f.saved = text;
    f.dirty = false;
    this.renderTabs();
    this.markExplorer();
    this.el.status.textContent = `Saved ${path}`;
  }

  // ── live validation ───────────────────────────────────────────────────────────────────────────

  private validateNow(): void {
    const path = this.currentPath();
    if (!path) return;
    const seq = ++this.seq;
    const text = this.editor.text(path) ?? '';
    this.client.call('topology.validate', { path, text, seq }).then(
      (v) => {
        if (v.seq !== this.seq || this.currentPath() !== path) return; // an older keystroke's answer
        this.validation = v;
        this.showValidation(path, v);
      },
      (e: Error) => {
        this.el.status.textContent = `validation failed: ${e.message}`;
      },
    );
  }

  private showValidation(path: string, v: ValidationView): void {
    this.editor.setDiagnostics(path, v.diagnostics);
    this.problems.show(path, v.diagnostics);
    const shown = v.diagnostics.length;
    this.bottom.badge('problems', shown ? String(shown) : '');
    this.sched.show(v.schedulability, v.valid ? undefined : v.malformed ? 'The file is not a well-formed topology yet.' : undefined);
    if (v.diagram) {
      trustedHtml(this.el.topology, v.diagram);
      for (const el of this.el.topology.querySelectorAll<SVGElement>('[data-line]')) {
        el.addEventListener('click', () => this.editor.reveal(Number(el.dataset['line']), 1));
      }
    } else fill(this.el.topology, h('p', { class: 'empty' }, 'The drawing appears when the file is a schema-valid topology.'));
    const sev = v.errors ? `✖ ${v.errors} error${v.errors === 1 ? '' : 's'}` : v.valid ? '✔ valid' : '';
    this.el.status.textContent = `${sev}${v.warnings ? ` · ⚠ ${v.warnings}` : ''}${v.name ? ` · ${v.name}` : ''}${v.profile ? ` vs ${v.profile}` : ''} · validated in ${v.ms.toFixed(1)} ms`;
    this.el.status.dataset['errors'] = String(v.errors);
    this.updateButtons();
    if (v.name) void this.history.load(this.client, v.name);
  }

  // ── runs ──────────────────────────────────────────────────────────────────────────────────────

  private updateButtons(): void {
    const running = this.run !== undefined && !this.run.finished;
    const canRun = !running && this.currentPath() !== undefined && this.validation?.valid === true;
    this.el.run.disabled = !canRun;
    this.el.check.disabled = !canRun;
    this.el.stop.disabled = !running;
  }

  private async start(mode: 'run' | 'check'): Promise<void> {
    const path = this.currentPath();
    if (!path || (this.run && !this.run.finished) || this.validation?.valid !== true) return;
    const timing = this.el.timing.value as 'fast' | 'deterministic';
    this.consoles.reset([]);
    delete this.el.stage.dataset['outcome'];
    this.el.stage.textContent = `${mode}: starting…`;
    const { runId } = await this.client.call('run.start', { mode, path, text: this.editor.text(path) ?? '', timing });
    this.run = { id: runId, mode, path, started: Date.now(), finished: false };
    this.progress.reset(mode, path);
    this.side.show('run');
    this.bottom.show('consoles');
    this.updateButtons();
    clearInterval(this.tick);
    this.tick = setInterval(() => this.showElapsed(), 500);
    await this.client.call('run.subscribe', { runId });
  }

  private showElapsed(): void {
    if (!this.run) return;
    const s = (Date.now() - this.run.started) / 1000;
    this.el.statusRun.textContent = `${this.run.mode} ${this.run.finished ? 'ended' : 'running'} · ${s.toFixed(0)} s`;
  }

  private async stop(): Promise<void> {
    if (!this.run || this.run.finished) return;
    this.el.stage.textContent = 'stopping…';
    await this.client.call('run.cancel', { runId: this.run.id });
  }

  private onRunEvent(e: SessionEvent): void {
    const run = this.run!;
    this.progress.event(e);
    switch (e.type) {
      case 'accepted':
        run.runDir = e.runDir;
        run.topology = e.topologyName;
        this.consoles.reset(e.guests);
        this.el.stage.textContent = `${e.mode}: ${e.topologyName} (${e.timing})`;
        break;
      case 'console':
        this.consoles.line(e.source, e.line);
        break;
      case 'stage':
        this.el.stage.textContent = `[${(e.t / 1000).toFixed(1)} s] ${e.message}`;
        break;
      case 'failure':
        this.el.stage.textContent = `FAILED (${e.reason}): ${e.message}`;
        break;
      case 'rejected':
        this.el.stage.textContent = `not run: ${e.message}`;
        break;
      case 'finished': {
        run.finished = true;
        clearInterval(this.tick);
        this.showElapsed();
        this.el.stage.textContent = e.message;
        this.el.stage.dataset['outcome'] = e.outcome;
        this.updateButtons();
        const rel = e.runDir ? this.relative(e.runDir) : undefined;
        if (rel && (e.outcome === 'ok' || e.outcome === 'check-failed' || e.outcome === 'failed')) void this.openRun({ dir: rel, name: rel.split('/').at(-1)! });
        if (run.topology) void this.history.load(this.client, run.topology);
        break;
      }
      case 'agent':
        this.consoles.agent(e.source, e.name, e.data);
        break;
      case 'state':
      case 'host-sample':
      case 'verdict':
        break;
    }
  }

  private relative(dir: string): string | undefined {
    const root = this.info.folder.endsWith('/') ? this.info.folder : `${this.info.folder}/`;
    return dir.startsWith(root) ? dir.slice(root.length) : undefined;
  }

  private async openRun(r: Pick<RunSummaryView, 'dir' | 'name'>): Promise<void> {
    const existing = this.tabs.find((t) => t.kind === 'results' && t.dir === r.dir);
    if (existing) return this.showTab(existing);
    const opened: OpenedRunView = await this.client.call('runs.open', { dir: r.dir });
    const actions = {
      exportBundle: (images: boolean) => this.client.call('bundle.export', { dir: r.dir, images }),
      verifyBundle: (path: string) => this.client.call('bundle.verify', { path }),
    };
    const tab: Tab = { kind: 'results', dir: r.dir, title: `Results: ${r.name}`, view: new ResultsView(opened, actions) };
    this.tabs.push(tab);
    this.showTab(tab);
  }

  private async compare(a: RunSummaryView, b: RunSummaryView): Promise<void> {
    const [ra, rb] = await Promise.all([this.client.call('runs.open', { dir: a.dir }), this.client.call('runs.open', { dir: b.dir })]);
    const tab: Tab = { kind: 'compare', title: `Compare: ${a.name} ↔ ${b.name}`, view: new CompareView({ label: a.name, run: ra }, { label: b.name, run: rb }) };
    this.tabs.push(tab);
    this.showTab(tab);
  }
}

