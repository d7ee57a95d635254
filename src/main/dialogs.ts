// The texts of the desktop shell's questions and notices (dialog.showMessageBox[Sync] options).

export interface DialogOptions {
  type: 'info' | 'warning';
  title: string;
  message: string;
  detail?: string;
  buttons: string[];
  defaultId?: number;
  cancelId?: number;
  noLink?: boolean;
}

/** Asked before a window with unsaved changes closes or reloads; button 0 discards. */
export const discardDialog = (folder: string): DialogOptions => ({
  type: 'warning',
  buttons: ['Discard Changes', 'Cancel'],
  defaultId: 1,
  cancelId: 1,
  noLink: true,
  title: 'Unsaved changes',
  message: 'Some files have unsaved changes.',
  detail: `Workspace: ${folder}\nDiscard the changes? They are lost if you do; choose Cancel and save them (Ctrl/Cmd+S) to keep them.`,
});

/** Help ▸ About: the version of nestbed and of the runtime it is in. */
export const aboutDialog = (version: string, versions: { readonly electron?: string; readonly chrome?: string; readonly node?: string }): DialogOptions => ({
  type: 'info',
  title: 'About nestbed',
  message: `nestbed ${version}`,
  detail: `Describe an automotive domain controller as a topology, check it statically, run it as nested arm64 VMs and judge it against real ECU profiles.\n\nElectron ${versions.electron ?? '?'} · Chromium ${versions.chrome ?? '?'} · Node.js ${versions.node ?? '?'}`,
  buttons: ['OK'],
});

/** Open Recent on a folder that is gone. */
export const missingFolderDialog = (folder: string): DialogOptions => ({ type: 'warning', title: 'Open Recent', message: `${folder} no longer exists.`, detail: 'It has been removed from the recent folders.', buttons: ['OK'] });
