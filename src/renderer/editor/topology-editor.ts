// The topology editor: one Monaco editor, one model per open file. Completion and hover come from the
// generated JSON Schema (monaco-yaml, its own validation off); the diagnostics are nestbed's own
// validator's (same codes and positions as `nestbed validate`), drawn as markers; a diagnostic with an
// obvious fix ("did you mean") offers it as a quick fix.
import { monaco } from './monaco.js';

/** A diagnostic as the bridge carries it. */
interface Diag {
  readonly code: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly endLine?: number | undefined;
  readonly endColumn?: number | undefined;
}

const OWNER = 'nestbed';
const SEVERITY = { error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning, info: monaco.MarkerSeverity.Info } as const;
const DID_YOU_MEAN = /did you mean "([^"]+)"\?/;

/** The file name a model is known by (monaco-yaml matches the schema to every model). */
const uriOf = (path: string) => monaco.Uri.parse(`file:///workspace/${path.split('/').map(encodeURIComponent).join('/')}`);

export class TopologyEditor {
  private editor: monaco.editor.IStandaloneCodeEditor | undefined;
  private readonly models = new Map<string, monaco.editor.ITextModel>();
  private readonly views = new Map<string, monaco.editor.ICodeEditorViewState | null>();
  private current: string | undefined;
  onChange: ((path: string) => void) | undefined;
  onSave: (() => void) | undefined;
  onCursor: ((line: number, column: number) => void) | undefined;

  constructor() {
    monaco.languages.registerCodeActionProvider('yaml', {
      provideCodeActions: (model, _range, context) => {
        const actions: monaco.languages.CodeAction[] = [];
        for (const m of context.markers) {
          if (m.source !== OWNER) continue;
          const fix = DID_YOU_MEAN.exec(m.message)?.[1];
          if (!fix) continue;
          const range = new monaco.Range(m.startLineNumber, m.startColumn, m.endLineNumber, m.endColumn);
          const old = model.getValueInRange(range);
          // the marker covers the unknown key (or its whole entry): replace the key's text only
          const keyRange = old.includes(':') ? new monaco.Range(m.startLineNumber, m.startColumn, m.startLineNumber, m.startColumn + old.indexOf(':')) : range;
          actions.push({ title: `Change to "${fix}"`, kind: 'quickfix', diagnostics: [m], isPreferred: true, edit: { edits: [{ resource: model.uri, textEdit: { range: keyRange, text: fix }, versionId: model.getVersionId() }] } });
        }
        return { actions, dispose: () => undefined };
      },
    });
  }

  mount(host: HTMLElement): void {
    this.editor = monaco.editor.create(host, {
      model: null,
      automaticLayout: true,
      fontSize: 13,
      minimap: { enabled: true },
      scrollBeyondLastLine: false,
      tabSize: 2,
      insertSpaces: true,
      quickSuggestions: { other: true, strings: true, comments: false },
      fixedOverflowWidgets: true,
      'semanticHighlighting.enabled': false,
    });
    this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => this.onSave?.());
    this.editor.onDidChangeCursorPosition((e) => this.onCursor?.(e.position.lineNumber, e.position.column));
  }

  open(path: string, text: string): void {
    if (this.models.has(path)) return;
    const model = monaco.editor.createModel(text, path.endsWith('.json') ? 'json' : 'yaml', uriOf(path));
    model.onDidChangeContent(() => this.onChange?.(path));
    this.models.set(path, model);
  }

  show(path: string): void {
    const model = this.models.get(path);
    if (!this.editor || !model) return;
    if (this.current) this.views.set(this.current, this.editor.saveViewState());
    this.current = path;
    this.editor.setModel(model);
    const state = this.views.get(path);
    if (state) this.editor.restoreViewState(state);
    this.editor.focus();
  }

  close(path: string): void {
    this.models.get(path)?.dispose();
    this.models.delete(path);
    this.views.delete(path);
    if (this.current === path) this.current = undefined;
  }

  text(path: string): string | undefined {
    return this.models.get(path)?.getValue();
  }

  setDiagnostics(path: string, diagnostics: readonly Diag[]): void {
    const model = this.models.get(path);
    if (!model) return;
    monaco.editor.setModelMarkers(
      model,
      OWNER,
      diagnostics.map((d) => {
        const endLine = d.endLine ?? d.line;
        const lineEnd = model.getLineMaxColumn(Math.min(endLine, model.getLineCount()));
        const endColumn = d.endColumn ?? Math.max(d.column + 1, lineEnd);
        return { source: OWNER, code: d.code, severity: SEVERITY[d.severity], message: d.message, startLineNumber: d.line, startColumn: d.column, endLineNumber: endLine, endColumn: endLine === d.line && endColumn <= d.column ? d.column + 1 : endColumn };
      }),
    );
  }

  reveal(line: number, column: number): void {
    if (!this.editor) return;
    this.editor.revealLineInCenter(line);
    this.editor.setPosition({ lineNumber: line, column });
    this.editor.focus();
  }

  layout(): void {
    this.editor?.layout();
  }

  setTheme(theme: 'light' | 'dark'): void {
    monaco.editor.setTheme(theme === 'dark' ? 'vs-dark' : 'vs');
  }
}
