// gzip for bundles, with a header that does not depend on when or where it was made.
// Node's zlib writes the RFC 1952 header 1f 8b 08 00 | MTIME 00000000 | XFL | OS: no FNAME, no
// FCOMMENT, no FHCRC, MTIME 0 — but OS is zlib's compile-time OS_CODE (3 "Unix" on Linux and macOS, 10
// on Windows builds). normaliseGzipHeader() checks the flags and MTIME and sets OS to 255 ("unknown"),
// so the header is the same bytes on every platform. The header has no CRC of its own (FHCRC unset);
// the trailer's CRC32 covers the uncompressed data only, so the patch is safe.
// The compressed bytes also depend on the deflate implementation: the same Node release gives the same
// bytes (its bundled zlib, level 6); another zlib may choose other matches. The tar inside — what
// manifest.json's hashes cover — does not change with the compressor.
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';

export const GZIP_LEVEL = 6;
export const GZIP_OS_UNKNOWN = 255;
const HEADER = 10;

/** zlib's gzip at the bundle level (6: level 9 measured 0.3 % smaller and 3× slower on the kernel image). */
export const createBundleGzip = (): Gzip => createGzip({ level: GZIP_LEVEL });

/** Checks the first 10 bytes of a gzip stream (no name, no comment, no extra field, MTIME 0) and sets
 * the OS byte to 255. Throws on anything else: it would be a change of Node's zlib. */
export const normaliseGzipHeader = (): Transform => {
  let seen = 0;
  const head = Buffer.alloc(HEADER);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
      if (seen >= HEADER) {
        cb(null, chunk);
        return;
      }
      const take = Math.min(HEADER - seen, chunk.length);
      chunk.copy(head, seen, 0, take);
      seen += take;
      const rest = chunk.subarray(take);
      if (seen < HEADER) {
        cb();
        return;
      }
      if (head[0] !== 0x1f || head[1] !== 0x8b || head[2] !== 8) return cb(new Error('gzip: unexpected header from zlib (not deflate gzip)'));
      if (head[3] !== 0) return cb(new Error(`gzip: zlib set header flags 0x${head[3]!.toString(16)} (name, comment or extra field)`));
      if (head.readUInt32LE(4) !== 0) return cb(new Error('gzip: zlib wrote a non-zero MTIME'));
      head[9] = GZIP_OS_UNKNOWN;
      this.push(Buffer.from(head));
      cb(null, rest.length ? rest : undefined);
    },
    flush(cb: TransformCallback): void {
      cb(seen > 0 && seen < HEADER ? new Error('gzip: stream shorter than its header') : null);
    },
  });
};
