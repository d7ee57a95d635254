/* Minimal flattened-device-tree reader: just what the guest needs from QEMU's generated DTB.
 * Every read is a naturally aligned big-endian 32-bit word or a byte (the MMU is off). */
#include "rtos.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u
#define MAX_DEPTH 16

static u32 be32(u64 a) {
    u32 v = *(volatile u32 *)a;
    return __builtin_bswap32(v);
}
static u8 byte(u64 a) { return *(volatile u8 *)a; }

static bool str_eq(u64 a, const char *s) {
    for (;; a++, s++) {
        u8 c = byte(a);
        if (c != (u8)*s) return false;
        if (c == 0) return true;
    }
}
/* node name equals `s` or starts with `s` followed by '@' */
static bool name_is(u64 a, const char *s) {
    for (; *s; a++, s++)
        if (byte(a) != (u8)*s) return false;
    u8 c = byte(a);
    return c == 0 || c == '@';
}
/* a string list property (compatible) contains `s` */
static bool strlist_has(u64 a, u32 len, const char *s) {
    u32 i = 0;
    while (i < len) {
        if (str_eq(a + i, s)) return true;
        while (i < len && byte(a + i) != 0) i++;
        i++;
    }
    return false;
}
static u64 cells(u64 a, u32 n) {
    u64 v = 0;
    for (u32 i = 0; i < n; i++) v = (v << 32) | be32(a + 4 * i);
    return v;
}

bool fdt_parse(u64 dtb, struct platform *p, char *bootargs_buf, u32 buf_len, const char **err) {
    if ((dtb & 7) != 0 || be32(dtb) != FDT_MAGIC) {
        *err = "no device tree at x0";
        return false;
    }
    u32 total = be32(dtb + 4);
    u64 st = dtb + be32(dtb + 8), strs = dtb + be32(dtb + 12);
    p->dtb_size = total;
    bootargs_buf[0] = 0;
    p->bootargs = bootargs_buf;

    /* per-depth state: address/size cells given by the node at that depth for its children */
    u32 acells[MAX_DEPTH], scells[MAX_DEPTH];
    enum { N_OTHER, N_ROOT, N_CHOSEN, N_PSCI, N_MEMORY, N_CPUS, N_CPU, N_TIMER } kind[MAX_DEPTH];
    bool is_gic[MAX_DEPTH], is_uart[MAX_DEPTH], disabled[MAX_DEPTH];
    u64 reg_a[MAX_DEPTH]; /* address of the reg value, 0 = none */
    u32 reg_len[MAX_DEPTH];
    bool have_uart = false, have_gic = false, have_mem = false;
    int depth = -1;
    u64 a = st;
    for (;;) {
        if (a >= dtb + total) { *err = "device tree structure overruns"; return false; }
        u32 tok = be32(a);
        a += 4;
        if (tok == FDT_BEGIN_NODE) {
            u64 name = a;
            while (byte(a) != 0) a++;
            a = (a + 1 + 3) & ~3ull;
            depth++;
            if (depth >= MAX_DEPTH) { *err = "device tree too deep"; return false; }
            acells[depth] = 2;
            scells[depth] = 1;
            is_gic[depth] = is_uart[depth] = disabled[depth] = false;
            reg_a[depth] = 0;
            reg_len[depth] = 0;
            kind[depth] = N_OTHER;
            if (depth == 0) kind[depth] = N_ROOT;
            else if (depth == 1 && name_is(name, "chosen")) kind[depth] = N_CHOSEN;
            else if (depth == 1 && name_is(name, "psci")) kind[depth] = N_PSCI;
            else if (depth == 1 && name_is(name, "memory")) kind[depth] = N_MEMORY;
            else if (depth == 1 && name_is(name, "cpus")) kind[depth] = N_CPUS;
            else if (depth == 1 && name_is(name, "timer")) kind[depth] = N_TIMER;
            else if (depth == 2 && kind[1] == N_CPUS && name_is(name, "cpu")) kind[depth] = N_CPU;
        } else if (tok == FDT_END_NODE) {
            if (depth < 0) { *err = "unbalanced device tree"; return false; }
            int d = depth;
            u32 pa = d > 0 ? acells[d - 1] : 2, ps = d > 0 ? scells[d - 1] : 1;
            if (reg_a[d] && reg_len[d] >= 4 * (pa + ps)) {
                u64 base = cells(reg_a[d], pa), size = cells(reg_a[d] + 4 * pa, ps);
                if (kind[d] == N_MEMORY && !have_mem) {
                    p->mem_base = base;
                    p->mem_size = size;
                    have_mem = true;
                }
                if (is_uart[d] && !disabled[d] && !have_uart) {
                    p->uart = base;
                    have_uart = true;
                }
                if (is_gic[d] && !have_gic && reg_len[d] >= 8 * (pa + ps)) {
                    p->gicd = base;
                    p->gicr = cells(reg_a[d] + 4 * (pa + ps), pa);
                    have_gic = true;
                }
            }
            if (kind[d] == N_CPU && reg_a[d] && p->ncpus < MAX_CPUS) {
                p->mpidr[p->ncpus++] = cells(reg_a[d], d > 0 ? acells[d - 1] : 1) & 0xff00ffffffull;
            }
            depth--;
        } else if (tok == FDT_PROP) {
            u32 len = be32(a), nameoff = be32(a + 4);
            u64 v = a + 8, pn = strs + nameoff;
            a = (v + len + 3) & ~3ull;
            if (depth < 0) continue;
            if (str_eq(pn, "#address-cells") && len == 4) acells[depth] = be32(v);
            else if (str_eq(pn, "#size-cells") && len == 4) scells[depth] = be32(v);
            else if (str_eq(pn, "reg")) { reg_a[depth] = v; reg_len[depth] = len; }
            else if (str_eq(pn, "status")) disabled[depth] = !(str_eq(v, "okay") || str_eq(v, "ok"));
            else if (str_eq(pn, "compatible")) {
                if (strlist_has(v, len, "arm,gic-v3")) is_gic[depth] = true;
                if (strlist_has(v, len, "arm,pl011")) is_uart[depth] = true;
            } else if (kind[depth] == N_CHOSEN && str_eq(pn, "bootargs")) {
                if (len > buf_len) { *err = "kernel command line too long (max 32767 bytes)"; return false; }
                u32 i = 0;
                for (; i < len && byte(v + i) != 0; i++) bootargs_buf[i] = (char)byte(v + i);
                bootargs_buf[i] = 0;
            } else if (kind[depth] == N_PSCI && str_eq(pn, "method")) {
                p->psci_smc = str_eq(v, "smc");
            } else if (kind[depth] == N_TIMER && str_eq(pn, "interrupts") && len >= 36) {
                /* <type num flags> × 4: secure phys, non-secure phys, virtual, hyp; PPI n → 16+n */
                if (be32(v + 24) == 1) p->timer_intid = 16 + be32(v + 28);
            }
        } else if (tok == FDT_NOP) {
            continue;
        } else if (tok == FDT_END) {
            break;
        } else {
            *err = "bad device tree token";
            return false;
        }
    }
    if (p->ncpus == 0) { p->ncpus = 1; p->mpidr[0] = 0; }
    return true;
}
