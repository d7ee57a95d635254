// Unsaved changes, seen from the main process. The renderer marks dirty tabs and explorer entries
// itself; for the window as a whole it uses the web's own mechanism: its beforeunload handler cancels
// the unload while a file is dirty. Electron reports that as the webContents' 'will-prevent-unload'
// (window close, reload, quit); main then asks, and lets the unload go on only when the user chooses
// to discard. Optionally the renderer puts UNSAVED_MARK before document.title; the window title keeps
// it and macOS shows the edited dot (setDocumentEdited).
import { basename } from 'node:path';

export const UNSAVED_MARK = '● ';

/** The window title for the page's title: the workspace folder's name, then the app's, with the
 * unsaved mark in front when the page sets it. */
export const windowTitle = (pageTitle: string, folder: string): { title: string; edited: boolean } => {
  const edited = pageTitle.startsWith(UNSAVED_MARK);
  return { title: `${edited ? UNSAVED_MARK : ''}${basename(folder) || folder} — nestbed`, edited };
};

/** The 'will-prevent-unload' listener: `ask` shows dialogs.ts discardDialog and returns the chosen button; preventDefault on the event
 * lets the unload proceed (Electron's semantics), so it is called only for "Discard Changes". */
export const onWillPreventUnload = (ask: () => number) => (event: { preventDefault(): void }) => {
  if (ask() === 0) event.preventDefault();
};
