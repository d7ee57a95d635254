// The workspace folder of the first window: the folder on the command line (`npm start -- ~/ecu`,
// `nestbed ~/ecu` when packaged), else the most recent folder that still exists, else the working
// directory.
import { resolve } from 'node:path';

/** The command line's folder argument. `defaultApp`: run as `electron <app path> …` (process.defaultApp),
 * where argv[1] is the app, not a folder. Switches (Chromium's and ours) are skipped. */
export const folderArgument = (argv: readonly string[], defaultApp: boolean): string | undefined => argv.slice(defaultApp ? 2 : 1).find((a) => !a.startsWith('-'));

export interface StartupChoice {
  readonly folder: string;
  /** Why not the argument (it is no folder), for the log. */
  readonly note?: string;
}

export const startupFolder = (o: { argument: string | undefined; recent: readonly string[]; cwd: string; isDirectory: (p: string) => boolean }): StartupChoice => {
  let note: string | undefined;
  if (o.argument !== undefined) {
    const arg = resolve(o.cwd, o.argument);
    if (o.isDirectory(arg)) return { folder: arg };
    note = `${arg} is not a folder`;
  }
  const folder = o.recent.find((f) => o.isDirectory(f)) ?? o.cwd;
  return note ? { folder, note } : { folder };
};
