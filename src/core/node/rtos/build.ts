// Builds the rtos guest (guest/rtos) into an arm64 Linux "Image" with Debian's cross compiler
// (gcc-aarch64-linux-gnu). Reproducible: fixed source order and flags, no debug info, no build id,
// source paths mapped with -ffile-prefix-map, LC_ALL/TZ/SOURCE_DATE_EPOCH fixed, and only the
// loadable bytes kept (objcopy -O binary) — two builds with the same compiler give the same SHA-256
// wherever the sources and the output directory are.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InfrastructureError } from '../../common/model/errors.js';
import { runTool, ToolError, type ToolResult } from '../process/tool.js';
import { shippedFile } from '../setup/repo-files.js';

/** Bump when the build steps change in a way the recipe hash would not see. */
export const RTOS_BUILD_VERSION = 1;
export const DEFAULT_CROSS_PREFIX = 'aarch64-linux-gnu-';
export const CROSS_PACKAGE = 'gcc-aarch64-linux-gnu';

/** Compilation units in link order (start.S first: the Image header is its first bytes). */
export const RTOS_SOURCES = ['start.S', 'fdt.c', 'console.c', 'params.c', 'gic.c', 'sched.c', 'main.c'] as const;
/** Every file the image depends on (for the recipe hash). */
export const RTOS_INPUTS = [...RTOS_SOURCES, 'rtos.h', 'rtos.ld'] as const;
/** Where the image is linked (QEMU virt RAM base + 2 MiB: where -kernel puts an Image with text_offset 0). */
export const RTOS_LOAD_ADDRESS = 0x4020_0000;

export const RTOS_CFLAGS = [
  '-std=gnu11',
  '-O2',
  '-march=armv8-a',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-tree-loop-distribute-patterns', // no memset/memcpy calls synthesised from loops
  '-mgeneral-regs-only', // no FP/SIMD state to save on interrupts
  '-mstrict-align', // the MMU is off: all data accesses are Device memory
  '-mno-outline-atomics',
  '-fno-pic',
  '-fno-pie',
  '-fno-stack-protector',
  '-fno-asynchronous-unwind-tables',
  '-fno-unwind-tables',
  '-fno-common',
  '-fno-ident',
  '-Wall',
  '-Wextra',
  '-Werror',
] as const;

export const RTOS_LDFLAGS = ['-nostdlib', '-static', '-no-pie', '-Wl,--build-id=none', '-Wl,--no-warn-rwx-segments', '-Wl,-T,rtos.ld'] as const;

/** Fixed environment of every build step (merged over the caller's). */
export const RTOS_BUILD_ENV = { LC_ALL: 'C', TZ: 'UTC', SOURCE_DATE_EPOCH: '0' } as const;

export class RtosBuildError extends InfrastructureError {
  constructor(
    /** compile <file> | link | objcopy | probe | verify */
    readonly step: string,
    readonly tool: string,
    readonly argv: readonly string[],
    /** The tool's exit code (null: not started, killed or timed out). `exitCode` is the CLI's (3). */
    readonly toolExitCode: number | null,
    readonly stderrTail: string,
    message: string,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
  }
}

export interface RtosBuildOptions {
  /** Directory that receives rtos.Image and rtos.elf (created if missing). */
  readonly outDir: string;
  /** Default: the shipped guest/rtos. */
  readonly sourceDir?: string;
  /** Default aarch64-linux-gnu- (Debian's gcc-aarch64-linux-gnu). */
  readonly crossPrefix?: string;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
  /** Per step; default 120 s. */
  readonly stepTimeoutMs?: number;
}

export interface Arm64ImageHeader {
  readonly textOffset: number;
  /** Effective size in memory (bss and stacks included), bytes. */
  readonly imageSize: number;
  readonly flags: number;
}

export interface RtosImage {
  readonly path: string;
  readonly sha256: string;
  /** File size, bytes. */
  readonly size: number;
  readonly header: Arm64ImageHeader;
  readonly elfPath: string;
  readonly loadAddress: number;
  readonly compiler: { readonly gcc: string; readonly version: string };
  /** SHA-256 of the inputs, flags and build version: equal recipes give equal images. */
  readonly recipe: string;
  readonly ms: number;
}

export const rtosSourceDir = (): string => shippedFile('guest/rtos');

/** Reads the 64-byte arm64 Image header (Documentation/arch/arm64/booting.rst); throws if absent. */
export const readArm64ImageHeader = (buf: Buffer): Arm64ImageHeader => {
  if (buf.length < 64 || buf.readUInt32LE(56) !== 0x644d5241) throw new Error('no arm64 Image header (magic "ARM\\x64" at offset 56)');
  return { textOffset: Number(buf.readBigUInt64LE(8)), imageSize: Number(buf.readBigUInt64LE(16)), flags: Number(buf.readBigUInt64LE(24)) };
};

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Hash of everything that determines the image (except the compiler, recorded separately). */
export const rtosRecipe = async (sourceDir = rtosSourceDir()): Promise<string> => {
  const files: [string, string][] = [];
  for (const f of RTOS_INPUTS) files.push([f, sha256(await readFile(join(sourceDir, f)))]);
  return sha256(JSON.stringify({ v: RTOS_BUILD_VERSION, files, cflags: RTOS_CFLAGS, ldflags: RTOS_LDFLAGS, env: RTOS_BUILD_ENV }));
};

/** Runs one build step; any failure becomes an RtosBuildError naming the tool, args, exit code and
 * stderr tail. */
const step = async (name: string, tool: string, argv: readonly string[], cwd: string, opts: RtosBuildOptions): Promise<ToolResult> => {
  try {
    return await runTool(tool, argv, { cwd, env: RTOS_BUILD_ENV, timeoutMs: opts.stepTimeoutMs ?? 120_000, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    const missing = e.code === null && /ENOENT/.test(e.message);
    const message = missing
      ? `rtos build (${name}): ${tool} not found`
      : `rtos build (${name}): ${tool} failed with ${e.code === null ? 'no exit code' : `exit code ${e.code}`}: ${argv.join(' ')}${e.stderrTail ? `\n${e.stderrTail}` : ''}`;
    const hint = missing ? `install the cross compiler: apt-get install --no-install-recommends ${CROSS_PACKAGE}` : undefined;
    throw new RtosBuildError(name, tool, argv, e.code, e.stderrTail, message, hint, { cause: e });
  }
};

/** The cross compiler's version, or undefined when it is not installed. */
export const findCrossCompiler = async (crossPrefix = DEFAULT_CROSS_PREFIX): Promise<{ gcc: string; version: string } | undefined> => {
  const gcc = `${crossPrefix}gcc`;
  const r = await runTool(gcc, [gcc, '-dumpfullversion'], { timeoutMs: 20_000 }).catch(() => undefined);
  return r ? { gcc, version: r.stdout.trim() } : undefined;
};

export const buildRtosImage = async (opts: RtosBuildOptions): Promise<RtosImage> => {
  const started = Date.now();
  const log = opts.log ?? (() => {});
  const src = resolve(opts.sourceDir ?? rtosSourceDir());
  const out = resolve(opts.outDir);
  const prefix = opts.crossPrefix ?? DEFAULT_CROSS_PREFIX;
  const gcc = `${prefix}gcc`;
  const objcopy = `${prefix}objcopy`;
  const version = (await step('probe', gcc, [gcc, '-dumpfullversion'], src, opts)).stdout.trim();
  const recipe = await rtosRecipe(src);
  await mkdir(out, { recursive: true });
  const tmp = await mkdtemp(join(out, '.rtos-build-'));
  try {
    const objs: string[] = [];
    for (const f of RTOS_SOURCES) {
      const obj = join(tmp, `${f.replace(/\.[cS]$/, '')}.o`);
      // relative source names + the prefix map: no absolute path reaches the objects
      await step(`compile ${f}`, gcc, [gcc, ...RTOS_CFLAGS, `-ffile-prefix-map=${src}=guest/rtos`, `-frandom-seed=${f}`, '-c', f, '-o', obj], src, opts);
      objs.push(obj);
    }
    const elf = join(tmp, 'rtos.elf');
    const img = join(tmp, 'rtos.Image');
    await step('link', gcc, [gcc, ...RTOS_LDFLAGS, '-o', elf, ...objs], src, opts);
    await step('objcopy', objcopy, [objcopy, '-O', 'binary', elf, img], src, opts);
    const bytes = await readFile(img);
    let header: Arm64ImageHeader;
    try {
      header = readArm64ImageHeader(bytes);
    } catch (e) {
      throw new RtosBuildError('verify', objcopy, [], 0, '', `rtos build: ${img}: ${(e as Error).message}`);
    }
    if (header.imageSize < bytes.length) {
      throw new RtosBuildError('verify', objcopy, [], 0, '', `rtos build: header image_size ${header.imageSize} is below the file size ${bytes.length}`);
    }
    const path = join(out, 'rtos.Image');
    const elfPath = join(out, 'rtos.elf');
    await rename(img, path);
    await rename(elf, elfPath);
    const digest = sha256(bytes);
    log(`rtos image: ${path} (${bytes.length} bytes, ${header.imageSize} in memory, sha256 ${digest.slice(0, 16)}…, gcc ${version})`);
    return { path, sha256: digest, size: bytes.length, header, elfPath, loadAddress: RTOS_LOAD_ADDRESS, compiler: { gcc, version }, recipe, ms: Date.now() - started };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
};
