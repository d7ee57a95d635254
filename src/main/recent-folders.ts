// The recently opened workspace folders, most recent first (File ▸ Open Recent, and the folder a new
// start opens when none is given): at most MAX_RECENT, each once, folders that no longer exist dropped;
// persisted as JSON in userData.
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readJsonFile, writeJsonFile } from './json-file.js';

export const MAX_RECENT = 10;

const recentSchema = z.object({ folders: z.array(z.string().min(1)) });

export const recentFoldersFile = (userData: string): string => join(userData, 'recent-folders.json');

export const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** `folder` (made absolute) first, then the rest without it, at most MAX_RECENT. */
export const addRecent = (list: readonly string[], folder: string): string[] => {
  const f = resolve(folder);
  return [f, ...list.filter((x) => resolve(x) !== f)].slice(0, MAX_RECENT);
};

export class RecentFolders {
  private folders: string[];

  constructor(
    private readonly file: string,
    private readonly exists: (folder: string) => boolean = isDirectory,
  ) {
    const saved = readJsonFile(file, recentSchema)?.folders ?? [];
    this.folders = saved.reduceRight<string[]>((acc, f) => addRecent(acc, f), []).filter((f) => this.exists(f));
  }

  /** Most recent first; folders deleted since are dropped (and the file updated). */
  list(): string[] {
    const present = this.folders.filter((f) => this.exists(f));
    if (present.length !== this.folders.length) this.store(present);
    return [...this.folders];
  }

  add(folder: string): void {
    this.store(addRecent(this.folders, folder));
  }

  clear(): void {
    this.store([]);
  }

  private store(folders: string[]): void {
    this.folders = folders;
    writeJsonFile(this.file, { folders });
  }
}
