// Recent folders: most recent first, each once, at most ten, gone folders dropped, persisted.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addRecent, MAX_RECENT, RecentFolders, recentFoldersFile } from '../../../src/main/recent-folders.js';
import { startupFolder, folderArgument } from '../../../src/main/startup-folder.js';
import { tempDir } from '../../helpers/temp.js';

const folders = (root: string, n: number): string[] =>
  Array.from({ length: n }, (_, i) => {
    const f = join(root, `ws${i}`);
    mkdirSync(f, { recursive: true });
    return f;
  });

describe('addRecent', () => {
  it('puts the folder first, once, made absolute, and keeps at most ten', () => {
    expect(addRecent(['/a', '/b', '/c'], '/b')).toEqual(['/b', '/a', '/c']);
    expect(addRecent(['/a'], '/a/../b/')).toEqual(['/b', '/a']);
    const many = Array.from({ length: MAX_RECENT }, (_, i) => `/f${i}`);
    expect(addRecent(many, '/new')).toEqual(['/new', ...many.slice(0, MAX_RECENT - 1)]);
    expect(addRecent(many, '/new')).toHaveLength(10);
  });
});

describe('RecentFolders', () => {
  it('persists the MRU list across instances', () => {
    const dir = tempDir();
    const [a, b, c] = folders(dir, 3) as [string, string, string];
    const file = recentFoldersFile(join(dir, 'userData'));
    const r = new RecentFolders(file);
    r.add(a);
    r.add(b);
    r.add(c);
    r.add(a);
    expect(r.list()).toEqual([a, c, b]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ folders: [a, c, b] });
    expect(new RecentFolders(file).list()).toEqual([a, c, b]);
  });

  it('drops folders that no longer exist, on load and later', () => {
    const dir = tempDir();
    const [a, b, c] = folders(dir, 3) as [string, string, string];
    const file = recentFoldersFile(dir);
    writeFileSync(file, JSON.stringify({ folders: [a, join(dir, 'gone'), b, a, c] }));
    const r = new RecentFolders(file);
    expect(r.list()).toEqual([a, b, c]);
    rmSync(b, { recursive: true });
    expect(r.list()).toEqual([a, c]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ folders: [a, c] });
  });

  it('keeps ten; clear empties it; an unreadable file is an empty list', () => {
    const dir = tempDir();
    const all = folders(dir, 12);
    const file = recentFoldersFile(dir);
    const r = new RecentFolders(file);
    for (const f of all) r.add(f);
    expect(r.list()).toEqual(all.slice(2).reverse());
    r.clear();
    expect(new RecentFolders(file).list()).toEqual([]);
    writeFileSync(file, 'not json');
    expect(new RecentFolders(file).list()).toEqual([]);
  });
});

describe('the first window’s folder', () => {
  it('is the command line’s folder argument (after the app path when run as `electron .`), skipping switches', () => {
    expect(folderArgument(['/usr/lib/electron', '.', '--no-sandbox', '/home/ana/ecu'], true)).toBe('/home/ana/ecu');
    expect(folderArgument(['/usr/lib/electron', '.'], true)).toBeUndefined();
    expect(folderArgument(['/opt/nestbed/nestbed', 'ecu'], false)).toBe('ecu');
    expect(folderArgument(['/opt/nestbed/nestbed', '--enable-logging'], false)).toBeUndefined();
  });

  it('else the most recent folder that exists, else the working directory', () => {
    const dir = tempDir();
    const [a, b] = folders(dir, 2) as [string, string];
    const isDirectory = (p: string) => p === a || p === b || p === dir;
    expect(startupFolder({ argument: 'ws1', recent: [a], cwd: dir, isDirectory })).toEqual({ folder: b });
    expect(startupFolder({ argument: undefined, recent: ['/gone', a], cwd: dir, isDirectory })).toEqual({ folder: a });
    expect(startupFolder({ argument: undefined, recent: [], cwd: dir, isDirectory })).toEqual({ folder: dir });
    expect(startupFolder({ argument: 'nope.yaml', recent: [a], cwd: '/w', isDirectory })).toEqual({ folder: a, note: '/w/nope.yaml is not a folder' });
  });
});
