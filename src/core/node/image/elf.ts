// Minimal ELF64 little-endian reader: the DT_NEEDED entries and PT_INTERP of a binary. Used to
// copy only the shared libraries L1's VMM really needs (no binutils required on the host).

export interface ElfDeps {
  readonly needed: readonly string[];
  readonly interp?: string;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;

export const readElfDeps = (buf: Buffer): ElfDeps => {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('only ELF64 little-endian is supported');
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  const loads: { vaddr: bigint; offset: bigint; filesz: bigint }[] = [];
  let dyn: { offset: number; size: number } | undefined;
  let interp: string | undefined;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const type = buf.readUInt32LE(o);
    const offset = buf.readBigUInt64LE(o + 8);
    const vaddr = buf.readBigUInt64LE(o + 16);
    const filesz = buf.readBigUInt64LE(o + 32);
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_DYNAMIC) dyn = { offset: Number(offset), size: Number(filesz) };
    else if (type === PT_INTERP) interp = buf.toString('latin1', Number(offset), Number(offset + filesz)).replace(/\0.*$/s, '');
  }
  if (!dyn) return { needed: [], ...(interp ? { interp } : {}) };
  const entries: [bigint, bigint][] = [];
  for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.size; o += 16) {
    const tag = buf.readBigUInt64LE(o);
    if (tag === 0n) break;
    entries.push([tag, buf.readBigUInt64LE(o + 8)]);
  }
  const strtabVaddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
  if (strtabVaddr === undefined) throw new Error('ELF has no DT_STRTAB');
  const seg = loads.find((l) => strtabVaddr >= l.vaddr && strtabVaddr < l.vaddr + l.filesz);
  if (!seg) throw new Error('DT_STRTAB outside every PT_LOAD segment');
  const strtab = Number(strtabVaddr - seg.vaddr + seg.offset);
  const str = (off: bigint): string => {
    const start = strtab + Number(off);
    return buf.toString('latin1', start, buf.indexOf(0, start));
  };
  return { needed: entries.filter(([t]) => t === DT_NEEDED).map(([, v]) => str(v)), ...(interp ? { interp } : {}) };
};
