// The rtos image build: reproducible (same SHA-256 from two builds, also from a copy of the
// sources at another path), a valid arm64 Image, and typed errors naming tool, args, exit code and
// stderr. Needs Debian's gcc-aarch64-linux-gnu; without it these tests are skipped with that
// message (CI installs it).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRtosImage,
  findCrossCompiler,
  readArm64ImageHeader,
  RTOS_LOAD_ADDRESS,
  rtosRecipe,
  RtosBuildError,
  rtosSourceDir,
  type RtosImage,
} from '../../../src/core/node/rtos/build.js';

const cross = await findCrossCompiler();
const skipReason = 'aarch64-linux-gnu-gcc not found: install gcc-aarch64-linux-gnu to build the rtos guest';
if (!cross) console.warn(`[rtos build tests skipped] ${skipReason}`);

describe.skipIf(!cross)(`rtos image build (${cross ? `gcc ${cross.version}` : skipReason})`, () => {
  let dir: string;
  let first: RtosImage;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nb-rtos-build-'));
    first = await buildRtosImage({ outDir: join(dir, 'a') });
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('produces an arm64 Image linked where QEMU -kernel loads it', async () => {
    const bytes = await readFile(first.path);
    expect(first.size).toBe(bytes.length);
    expect(first.size).toBeLessThan(64 * 1024);
    const h = readArm64ImageHeader(bytes);
    expect(h).toEqual(first.header);
    expect(h.textOffset).toBe(0);
    expect(h.imageSize).toBeGreaterThanOrEqual(bytes.length);
    expect(h.imageSize % 4096).toBe(0);
    expect(first.loadAddress).toBe(RTOS_LOAD_ADDRESS);
    // the ELF's entry is the load address
    const elf = await readFile(first.elfPath);
    expect(elf.readUInt32BE(0)).toBe(0x7f454c46);
    expect(Number(elf.readBigUInt64LE(0x18))).toBe(RTOS_LOAD_ADDRESS);
    expect(first.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.recipe).toBe(await rtosRecipe());
  });

  it('is reproducible: a second build, and a build from a copy elsewhere, give the same SHA-256', async () => {
    const second = await buildRtosImage({ outDir: join(dir, 'b') });
    expect(second.sha256).toBe(first.sha256);
    const copy = join(dir, 'elsewhere', 'deeper', 'rtos-src');
    await cp(rtosSourceDir(), copy, { recursive: true });
    const third = await buildRtosImage({ outDir: join(dir, 'c'), sourceDir: copy });
    expect(third.sha256).toBe(first.sha256);
    expect(Buffer.compare(await readFile(third.path), await readFile(first.path))).toBe(0);
  }, 240_000);

  it('a compile error is an RtosBuildError with the step, tool, args, exit code and stderr tail', async () => {
    const broken = join(dir, 'broken');
    await cp(rtosSourceDir(), broken, { recursive: true });
    await writeFile(join(broken, 'gic.c'), 'int this_is = not_c;\n');
    const err = await buildRtosImage({ outDir: join(dir, 'd'), sourceDir: broken }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtosBuildError);
    const e = err as RtosBuildError;
    expect(e.step).toBe('compile gic.c');
    expect(e.tool).toBe('aarch64-linux-gnu-gcc');
    expect(e.argv).toContain('gic.c');
    expect(e.argv).toContain('-ffreestanding');
    expect(e.toolExitCode).toBe(1);
    expect(e.stderrTail).toMatch(/not_c/);
    expect(e.message).toMatch(/^rtos build \(compile gic\.c\): aarch64-linux-gnu-gcc failed with exit code 1: aarch64-linux-gnu-gcc /);
    expect(e.exitCode).toBe(3); // infrastructure
  }, 120_000);
});

describe('rtos image build without a cross compiler', () => {
  it('names the missing tool and the package to install', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nb-rtos-nocc-'));
    try {
      const err = await buildRtosImage({ outDir: dir, crossPrefix: 'no-such-cross-' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RtosBuildError);
      const e = err as RtosBuildError;
      expect(e.step).toBe('probe');
      expect(e.toolExitCode).toBeNull();
      expect(e.message).toBe('rtos build (probe): no-such-cross-gcc not found');
      expect(e.hint).toBe('install the cross compiler: apt-get install --no-install-recommends gcc-aarch64-linux-gnu');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('readArm64ImageHeader', () => {
  it('rejects a file without the arm64 magic', () => {
    expect(() => readArm64ImageHeader(Buffer.alloc(64))).toThrow(/no arm64 Image header/);
    expect(() => readArm64ImageHeader(Buffer.alloc(10))).toThrow(/no arm64 Image header/);
  });
});
