// The problems list of the active file: nestbed's own diagnostics (same codes and positions as
// `nestbed validate`), errors first; a click reveals the line in the editor.
import { fill, h } from '../dom.js';

const SEV = { error: '✖', warning: '⚠', info: 'ℹ' } as const;

export class ProblemsPanel {
  readonly el = h('ul', { class: 'problems', 'data-testid': 'problems' });

  constructor(private readonly reveal: (line: number, column: number) => void) {}

  show(file: string | undefined, diagnostics: ReadonlyArray<{ readonly code: string; readonly severity: keyof typeof SEV; readonly message: string; readonly line: number; readonly column: number }>): void {
    if (diagnostics.length === 0) {
      fill(this.el, h('li', { class: 'empty' }, file ? `No problems in ${file}.` : 'No file open.'));
      return;
    }
    fill(
      this.el,
      ...diagnostics.map((d) =>
        h(
          'li',
          { class: d.severity, 'data-code': d.code, 'data-line': d.line, title: `${d.code} at ${d.line}:${d.column}`, onclick: () => this.reveal(d.line, d.column) },
          h('span', { class: 'sev', 'aria-label': d.severity }, SEV[d.severity]),
          h('span', { class: 'msg' }, d.message),
          h('span', { class: 'code' }, d.code),
          h('span', { class: 'pos' }, `[${d.line}:${d.column}]`),
        ),
      ),
    );
  }
}
