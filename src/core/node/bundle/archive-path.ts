// The one rule for a path inside a bundle, shared by the tar writer (it never writes a path it would
// refuse to read) and the reader (it refuses everything else before a single byte is used).
// A bundle path is relative, '/'-separated, made of segments of [A-Za-z0-9._@+-] that are not '.' or
// '..', and at most MAX_ARCHIVE_PATH bytes: no absolute paths, no backslashes, no drive letters, no
// control characters, no empty segments — nothing an extractor could resolve outside its folder.

/** Longest path accepted (the writer uses a pax header above ustar's 100 + 155 bytes). */
export const MAX_ARCHIVE_PATH = 1024;

const SEGMENT = /^[A-Za-z0-9._@+-]+$/;

/** Why `path` is not a bundle path, or undefined when it is one. */
export const archivePathProblem = (path: string): string | undefined => {
  if (path.length === 0) return 'the path is empty';
  if (path.length > MAX_ARCHIVE_PATH) return `the path is ${path.length} bytes long, the limit is ${MAX_ARCHIVE_PATH}`;
  if (path.startsWith('/')) return 'an absolute path';
  if (/^[A-Za-z]:/.test(path)) return 'a drive-letter path';
  if (path.includes('\\')) return 'a backslash in the path';
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'a control character in the path';
  const segments = path.split('/');
  if (segments.includes('..')) return 'a ".." segment leaves the bundle';
  if (segments.includes('.')) return 'a "." segment';
  if (segments.includes('')) return 'an empty path segment ("//" or a trailing "/")';
  const bad = segments.find((s) => !SEGMENT.test(s));
  if (bad !== undefined) return `the segment ${JSON.stringify(bad)} has a character outside [A-Za-z0-9._@+-]`;
  return undefined;
};

/** Byte order of UTF-8 paths (the order entries are written in); bundle paths are ASCII. */
export const compareArchivePaths = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
