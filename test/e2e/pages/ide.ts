// Page objects of the IDE (browser mode): what a person does and sees, by role and test id, so the
// tests read as user stories and survive layout changes.
import type { Locator, Page } from 'playwright-core';

export class ExplorerPane {
  constructor(private readonly page: Page) {}
  readonly root = () => this.page.getByTestId('explorer');
  file(path: string): Locator {
    return this.root().locator(`li[data-path="${path}"]`);
  }
  async open(path: string): Promise<void> {
    await this.file(path).click();
  }
}

export class EditorPane {
  constructor(private readonly page: Page) {}
  readonly root = () => this.page.getByTestId('editor');
  /** Focus the editor with the caret at the end of the document. */
  async focusEnd(): Promise<void> {
    await this.root().locator('.view-lines').click();
    await this.page.keyboard.press('Control+End');
  }
  /** A new top-level line at the end of the document, with `text` typed as a person would. */
  async appendLine(text: string): Promise<void> {
    await this.focusEnd();
    await this.page.keyboard.press('Enter');
    // auto-indent follows the list above: back to column 1
    await this.page.keyboard.press('Shift+Home');
    await this.page.keyboard.press('Backspace');
    await this.page.keyboard.type(text, { delay: 5 });
  }
  async undo(times = 1): Promise<void> {
    for (let i = 0; i < times; i++) await this.page.keyboard.press('Control+z');
  }
  squiggles(kind: 'error' | 'warning' | 'info' = 'error'): Locator {
    return this.root().locator(`.squiggly-${kind}`);
  }
  async triggerSuggest(): Promise<void> {
    await this.page.keyboard.press('Control+Space');
  }
  suggestions(): Locator {
    return this.page.locator('.suggest-widget .monaco-list-row');
  }
  async quickFix(): Promise<void> {
    await this.page.keyboard.press('Control+.');
  }
  /** "Ln 9, Col 3" from the status bar. */
  async caret(): Promise<{ line: number; column: number }> {
    const m = /Ln (\d+), Col (\d+)/.exec((await this.page.getByTestId('status-cursor').textContent()) ?? '');
    return { line: Number(m?.[1] ?? 0), column: Number(m?.[2] ?? 0) };
  }
}

export class ProblemsPane {
  constructor(private readonly page: Page) {}
  readonly entries = () => this.page.getByTestId('problems').locator('li[data-code]');
  entry(code: string): Locator {
    return this.page.getByTestId('problems').locator(`li[data-code="${code}"]`);
  }
}

export class IdePage {
  readonly explorer: ExplorerPane;
  readonly editor: EditorPane;
  readonly problems: ProblemsPane;

  constructor(readonly page: Page) {
    this.explorer = new ExplorerPane(page);
    this.editor = new EditorPane(page);
    this.problems = new ProblemsPane(page);
  }

  async goto(url: string): Promise<void> {
    await this.page.goto(url);
    await this.explorer.root().locator('li[data-path]').first().waitFor();
  }

  sideTab(id: 'topology' | 'schedulability' | 'run' | 'history'): Locator {
    return this.page.locator(`.panel.side button[data-tab="${id}"]`);
  }
  bottomTab(id: 'problems' | 'consoles' | 'terminal'): Locator {
    return this.page.locator(`.panel.bottom button[data-tab="${id}"]`);
  }
  readonly topologyView = () => this.page.getByTestId('topology-view');
  readonly schedulability = () => this.page.getByTestId('schedulability');
  readonly status = () => this.page.getByTestId('status-validation');
  readonly stage = () => this.page.getByTestId('stage');
  readonly runButton = () => this.page.getByTestId('run');
  readonly checkButton = () => this.page.getByTestId('check');
  readonly stopButton = () => this.page.getByTestId('stop');
  readonly timing = () => this.page.getByTestId('timing');
  consoleTab(key: string): Locator {
    return this.page.locator(`.console-tabs button[data-console="${key}"]`);
  }
  readonly results = () => this.page.getByTestId('results');
  readonly history = () => this.page.getByTestId('history');
}
