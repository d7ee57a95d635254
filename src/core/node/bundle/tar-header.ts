// POSIX ustar headers (IEEE Std 1003.1 "pax" format, ustar interchange format) and pax extended
// header records: encoding for the writer, strict decoding for the reader. No policy here: the writer
// decides what it writes (tar-writer.ts), the reader what it accepts (tar-reader.ts).
//
// Header layout (offset, width): name 0/100, mode 100/8, uid 108/8, gid 116/8, size 124/12,
// mtime 136/12, chksum 148/8, typeflag 156/1, linkname 157/100, magic 257/6 ("ustar\0"),
// version 263/2 ("00"), uname 265/32, gname 297/32, devmajor 329/8, devminor 337/8, prefix 345/155.

export const BLOCK = 512;
/** Largest value of the 12-byte octal size field (11 digits): 8 GiB − 1. */
export const MAX_OCTAL_SIZE = 8 ** 11 - 1;

export interface HeaderFields {
  readonly name: string;
  readonly prefix?: string;
  readonly mode: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly size: number;
  readonly mtime: number;
  /** One character: '0' regular file, 'x' pax extended header, '2' symlink … */
  readonly type: string;
  readonly linkname?: string;
  readonly uname?: string;
  readonly gname?: string;
  readonly devmajor?: number;
  readonly devminor?: number;
}

/** Thrown for bytes that are not a well-formed ustar header or pax record. */
export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

const putString = (block: Buffer, offset: number, width: number, s: string): void => {
  const b = Buffer.from(s, 'utf8');
  if (b.length > width) throw new Error(`tar header: ${JSON.stringify(s)} does not fit in ${width} bytes`);
  b.copy(block, offset);
};

/** width−1 octal digits and a NUL (the form GNU tar and bsdtar write). */
const putOctal = (block: Buffer, offset: number, width: number, n: number): void => {
  if (!Number.isSafeInteger(n) || n < 0 || n > 8 ** (width - 1) - 1) throw new Error(`tar header: ${n} does not fit in a ${width}-byte octal field`);
  putString(block, offset, width, `${n.toString(8).padStart(width - 1, '0')}\0`);
};

/** One 512-byte ustar header. Field widths are enforced; meaning is the caller's business (tests
 * build hostile headers with it). */
export const encodeHeader = (f: HeaderFields): Buffer => {
  const block = Buffer.alloc(BLOCK);
  putString(block, 0, 100, f.name);
  putOctal(block, 100, 8, f.mode);
  putOctal(block, 108, 8, f.uid ?? 0);
  putOctal(block, 116, 8, f.gid ?? 0);
  putOctal(block, 124, 12, f.size);
  putOctal(block, 136, 12, f.mtime);
  block.fill(0x20, 148, 156);
  putString(block, 156, 1, f.type);
  putString(block, 157, 100, f.linkname ?? '');
  putString(block, 257, 6, 'ustar\0');
  putString(block, 263, 2, '00');
  putString(block, 265, 32, f.uname ?? '');
  putString(block, 297, 32, f.gname ?? '');
  putOctal(block, 329, 8, f.devmajor ?? 0);
  putOctal(block, 337, 8, f.devminor ?? 0);
  putString(block, 345, 155, f.prefix ?? '');
  putString(block, 148, 8, `${checksum(block).toString(8).padStart(6, '0')}\0 `);
  return block;
};

/** Sum of the header's bytes with the checksum field counted as eight spaces. */
const checksum = (block: Buffer): number => {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
};

export interface DecodedHeader {
  /** prefix + '/' + name (ustar), before any pax override. */
  readonly path: string;
  readonly mode: number;
  /** Declared data size; Infinity when it does not fit a safe integer (a base-256 giant). */
  readonly size: number;
  readonly mtime: number;
  readonly type: string;
  readonly linkname: string;
}

const field = (block: Buffer, offset: number, width: number): Buffer => {
  const raw = block.subarray(offset, offset + width);
  const nul = raw.indexOf(0);
  return nul < 0 ? raw : raw.subarray(0, nul);
};

const text = (block: Buffer, offset: number, width: number, what: string): string => {
  const b = field(block, offset, width);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new TarFormatError(`the ${what} field is not UTF-8`);
  }
};

/** An octal field (leading spaces/zeros, digits, then NUL or space), or GNU's base-256 form (first
 * byte 0x80: a big-endian positive number). */
const numeric = (block: Buffer, offset: number, width: number, what: string): number => {
  const raw = block.subarray(offset, offset + width);
  if (raw[0] === 0x80) {
    let v = 0n;
    for (let i = 1; i < width; i++) v = (v << 8n) | BigInt(raw[i]!);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
  }
  if (raw[0] === 0xff) throw new TarFormatError(`the ${what} field is negative (base-256)`);
  const s = raw.toString('latin1');
  const m = /^ *([0-7]*)[ \0]*$/.exec(s);
  if (!m) throw new TarFormatError(`the ${what} field is not an octal number: ${JSON.stringify(s.replace(/\0+$/, ''))}`);
  return m[1] === '' ? 0 : parseInt(m[1]!, 8);
};

/** Decodes one header block: 'zero' for an all-zero block (the end-of-archive marker). Throws
 * TarFormatError for a bad checksum, a missing ustar magic or malformed fields. */
export const decodeHeader = (block: Buffer): DecodedHeader | 'zero' => {
  if (block.length !== BLOCK) throw new TarFormatError(`a header is ${BLOCK} bytes, got ${block.length}`);
  if (block.every((b) => b === 0)) return 'zero';
  const declared = numeric(block, 148, 8, 'checksum');
  if (declared !== checksum(block)) throw new TarFormatError(`header checksum mismatch (declared ${declared}, computed ${checksum(block)})`);
  const magic = block.subarray(257, 263).toString('latin1');
  if (magic !== 'ustar\0' && magic !== 'ustar ') throw new TarFormatError('not a ustar header (no "ustar" magic)');
  const name = text(block, 0, 100, 'name');
  const prefix = magic === 'ustar\0' ? text(block, 345, 155, 'prefix') : '';
  return {
    path: prefix ? `${prefix}/${name}` : name,
    mode: numeric(block, 100, 8, 'mode'),
    size: numeric(block, 124, 12, 'size'),
    mtime: numeric(block, 136, 12, 'mtime'),
    type: block[156] === 0 ? '\0' : String.fromCharCode(block[156]!),
    linkname: text(block, 157, 100, 'linkname'),
  };
};

/** pax extended header data: records "<len> <key>=<value>\n", len counting the whole record. */
export const encodePaxRecords = (records: readonly (readonly [string, string])[]): Buffer =>
  Buffer.concat(
    records.map(([k, v]) => {
      const body = ` ${k}=${v}\n`;
      const bodyLen = Buffer.byteLength(body, 'utf8');
      let len = bodyLen + 1;
      while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
      return Buffer.from(`${len}${body}`, 'utf8');
    }),
  );

/** Parses pax records strictly (every length exact, UTF-8, "key=value"); later keys win. */
export const decodePaxRecords = (data: Buffer): Map<string, string> => {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0 && data.subarray(off).every((b) => b === 0)) break;
    const sp = data.indexOf(0x20, off);
    if (sp < 0 || sp - off > 10) throw new TarFormatError('malformed pax record (no length)');
    const lenText = data.subarray(off, sp).toString('latin1');
    if (!/^[1-9][0-9]*$/.test(lenText)) throw new TarFormatError(`malformed pax record length ${JSON.stringify(lenText)}`);
    const len = Number(lenText);
    const end = off + len;
    if (end > data.length || data[end - 1] !== 0x0a) throw new TarFormatError('malformed pax record (length does not end at a newline)');
    let body: string;
    try {
      body = new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(sp + 1, end - 1));
    } catch {
      throw new TarFormatError('a pax record is not UTF-8');
    }
    const eq = body.indexOf('=');
    if (eq <= 0) throw new TarFormatError('malformed pax record (no key=value)');
    out.set(body.slice(0, eq), body.slice(eq + 1));
    off = end;
  }
  return out;
};
