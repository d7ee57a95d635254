// nb-fwcfg: copies a QEMU fw_cfg file into a file at an offset, through fw_cfg's DMA interface.
// L0 uses it for the run's payload (guest/init.sh fwcopy). Linux's qemu_fw_cfg driver reads a file
// one byte at a time through the data register and, for every 4 KiB read of its sysfs file, skips
// again from the file's start: a payload of megabytes (an os: custom guest's kernel) took longer
// than any run. Here every transfer is one DMA request of up to 1 MiB into pinned pages whose
// physical addresses come from /proc/self/pagemap; QEMU carries a DMA request out synchronously,
// within the register write, so the copy is as deterministic as the driver's reads. Freestanding
// like vsock-probe (nb-rt.h).
//
//   nb-fwcfg REG NAME OUT OFFSET    REG: the fw_cfg node's "reg" in /proc/device-tree (base, size);
//                                   NAME: the fw_cfg file (e.g. opt/nestbed/payload); OUT is
//                                   written from byte OFFSET on (not truncated)
//
// Prints "<bytes>" and exits 0, or "err <what>" and exits 1. Only numbers and paths come from the
// command line. Needs root (/dev/mem, page frame numbers).

#include "nb-rt.h"

#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_pread64 67
#define SYS_pwrite64 68
#define SYS_munmap 215
#define SYS_mmap 222
#define SYS_mlock 228
#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_SYNC 04010000
#define PROT_RW 3
#define MAP_SHARED 1
#define MAP_PRIVATE_ANON 0x22

#define PAGE 4096ul
#define CHUNK_PAGES 256ul /* 1 MiB per copy round */

/* fw_cfg, MMIO variant (QEMU's virt machine): big-endian registers */
#define FW_CFG_SEL 8
#define FW_CFG_DMA 16
#define FW_CFG_FILE_DIR 0x19
#define DMA_ERROR 0x01u
#define DMA_READ 0x02u
#define DMA_SELECT 0x08u

struct dma_access {
  u32 control, length; /* big-endian */
  u64 address;         /* big-endian */
};

static u32 be32(u32 v) { return __builtin_bswap32(v); }
static u64 be64(u64 v) { return __builtin_bswap64(v); }

static void fail(const char *what) {
  struct buf o = {.n = 0};
  put(&o, "err ");
  put(&o, what);
  flush(&o);
  quit(1);
}

static long openf(const char *path, int flags) { return sc6(SYS_openat, AT_FDCWD, (long)path, flags, 0644, 0, 0); }

static void *map(long len, int prot, int flags, long fd, u64 off) {
  long p = sc6(SYS_mmap, 0, len, prot, flags, fd, (long)off);
  if (p < 0 && p > -4096) return 0;
  return (void *)p;
}

static volatile unsigned char *regs;
static volatile struct dma_access *desc;
static u64 desc_phys;
static long pagemap;

/* the physical address of the (locked, touched) page at v */
static u64 phys(void *v) {
  u64 e = 0;
  if (sc6(SYS_pread64, pagemap, (long)&e, 8, (long)((u64)v / PAGE * 8), 0, 0) != 8 || !(e >> 63)) fail("pagemap");
  u64 pfn = e & ((1ull << 55) - 1);
  if (!pfn) fail("pagemap (no frame numbers: not root?)");
  return pfn * PAGE + (u64)v % PAGE;
}

/* one DMA request: read `len` bytes (≤ a page) at phys `to`; `sel` ≥ 0 selects that item first */
static void dma_read(u64 to, u32 len, long sel) {
  desc->control = be32(DMA_READ | (sel >= 0 ? DMA_SELECT | ((u32)sel << 16) : 0));
  desc->length = be32(len);
  desc->address = be64(to);
  __asm__ volatile("dsb sy" ::: "memory");
  *(volatile u32 *)(regs + FW_CFG_DMA) = be32((u32)(desc_phys >> 32));
  *(volatile u32 *)(regs + FW_CFG_DMA + 4) = be32((u32)desc_phys);
  __asm__ volatile("dsb sy" ::: "memory");
  u32 c;
  while ((c = be32(desc->control)) & ~DMA_ERROR) __asm__ volatile("yield");
  if (c & DMA_ERROR) fail("dma");
}

int cmain(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  u64 off;
  if (argc != 5 || !num(argv[4], &off)) fail("usage: nb-fwcfg REG NAME OUT OFFSET");
  const char *name = argv[2];

  /* the register block: base and size from the device tree's reg (two big-endian u64) */
  u64 reg[2];
  long fd = openf(argv[1], O_RDONLY);
  if (fd < 0 || sc(SYS_read, fd, reg, 16) != 16) fail("reg");
  sc(SYS_close, fd, 0, 0);
  u64 base = be64(reg[0]);
  if (base % PAGE) fail("reg (unaligned)");
  long mem = openf("/dev/mem", O_RDWR | O_SYNC);
  if (mem < 0) fail("/dev/mem");
  regs = map(PAGE, PROT_RW, MAP_SHARED, mem, base);
  if (!regs) fail("mmap fw_cfg");
  pagemap = openf("/proc/self/pagemap", O_RDONLY);
  if (pagemap < 0) fail("pagemap");

  /* the descriptor's page and the copy buffer: anonymous, locked, touched */
  unsigned char *buf = map((long)((CHUNK_PAGES + 1) * PAGE), PROT_RW, MAP_PRIVATE_ANON, -1, 0);
  if (!buf || sc(SYS_mlock, buf, (CHUNK_PAGES + 1) * PAGE, 0) != 0) fail("mlock");
  for (u64 i = 0; i <= CHUNK_PAGES; i++) buf[i * PAGE] = 0;
  desc = (volatile struct dma_access *)(buf + CHUNK_PAGES * PAGE);
  desc_phys = phys((void *)desc);
  u64 frame[CHUNK_PAGES];
  for (u64 i = 0; i < CHUNK_PAGES; i++) frame[i] = phys(buf + i * PAGE);

  /* the file directory: a big-endian count, then 64-byte entries (size, select, reserved, name) */
  dma_read(frame[0], 4, FW_CFG_FILE_DIR);
  u32 count = be32(*(u32 *)buf);
  long sel = -1;
  u64 size = 0;
  for (u32 i = 0; i < count && sel < 0; i++) {
    dma_read(frame[0], 64, -1);
    if (streq((const char *)buf + 8, name)) sel = be32(*(u32 *)(buf + 4)) >> 16, size = be32(*(u32 *)buf);
  }
  if (sel < 0) fail("no such fw_cfg file");

  long out = openf(argv[3], O_WRONLY);
  if (out < 0) fail("open out");
  u64 done = 0;
  int first = 1;
  while (done < size) {
    u64 n = 0;
    for (u64 i = 0; i < CHUNK_PAGES && done + n < size; i++) {
      u32 len = (u32)(size - done - n < PAGE ? size - done - n : PAGE);
      dma_read(frame[i], len, first ? sel : -1);
      first = 0;
      n += len;
    }
    if (sc6(SYS_pwrite64, out, (long)buf, (long)n, (long)(off + done), 0, 0) != (long)n) fail("write");
    done += n;
  }
  sc(SYS_close, out, 0, 0);
  struct buf o = {.n = 0};
  putn(&o, size);
  flush(&o);
  quit(0);
  return 0;
}
