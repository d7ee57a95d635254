/* Boot flow of vCPU 0 and of the secondary vCPUs. */
#include "rtos.h"

struct platform plat;
u64 used_kib, mem_kib;
static char bootargs[CMDLINE_MAX];
static char errbuf[192];
static volatile u32 start_flag;
static volatile u64 start_t0;

#define STACK_PAINT 0x5a5a5a5a5a5a5a5aull
#define START_MARGIN_US 50 /* every vCPU has armed its first event before t0 */

static void fail(const char *msg) __attribute__((noreturn));
static void fail(const char *msg) {
    emit_error(msg);
    psci_system_off();
}

static u64 mpidr_self(void) { return SYSREG_READ("mpidr_el1") & 0xff00ffffffull; }

/* Fill the stack slots of the vCPUs in use with a pattern (vCPU 0's only below the live frames) so
 * that the summary can report the deepest use. */
static void paint_stacks(u32 ncpu) {
    u64 *lo = (u64 *)(__stack_top - (u64)ncpu * STACK_SIZE);
    u64 *stop = (u64 *)((u64)__builtin_frame_address(0) - 1024);
    for (u64 *p = lo; p < stop; p++) *p = STACK_PAINT;
}

void primary_main(u64 dtb, u64 entry_cnt) __attribute__((noreturn));
void primary_main(u64 dtb, u64 entry_cnt) {
    plat.uart = 0x09000000;
    plat.gicd = 0x08000000;
    plat.gicr = 0x080a0000;
    plat.timer_intid = 27;
    plat.psci_smc = false;
    cnt_freq = SYSREG_READ("cntfrq_el0");
    const char *err = 0;
    bool dtb_ok = fdt_parse(dtb, &plat, bootargs, sizeof bootargs, &err);
    uart_init();
    if (cnt_freq < 1000000u) fail("CNTFRQ_EL0 below 1 MHz");
    if (!dtb_ok) fail(err);
    if (dtb < (u64)_end && dtb + plat.dtb_size > (u64)_start) fail("the device tree overlaps the image");
    mem_kib = plat.mem_size / 1024;
    used_kib = ((u64)(_end - _start) + plat.dtb_size + 1023) / 1024;
    if (!params_parse(plat.bootargs, &prm, plat.ncpus, errbuf, sizeof errbuf)) fail(errbuf);
    if (plat.timer_intid < 16 || plat.timer_intid > 31) fail("the virtual timer is not a PPI");

    u32 ncpu = cpus_needed();
    paint_stacks(ncpu);
    sched_setup();
    sched_calibrate();
    if (!gic_dist_init()) fail("GIC distributor did not settle (GICD_CTLR.RWP)");
    if (!gic_cpu_init(mpidr_self(), plat.timer_intid)) fail("no GICv3 redistributor for vCPU 0");

    for (u32 v = 1; v < ncpu; v++) {
        u64 rc = psci_call(PSCI_CPU_ON, plat.mpidr[v], (u64)secondary_entry, v);
        if (rc != 0) fail("PSCI CPU_ON failed for a vCPU that has tasks");
    }
    u64 wait_until = cnt_now() + cnt_freq; /* 1 s of guest time */
    for (u32 v = 1; v < ncpu; v++)
        while (!cpu_is_online(v)) {
            if (cnt_now() > wait_until) fail("a secondary vCPU did not come up within 1 s");
            wfe(); /* woken by its SEV (or the event stream); yields the vCPU under TCG */
        }

    /* ready before the start: the line's console traps then cannot disturb the schedule, and
     * they give the first measurement of the per-character cost (console.c) */
    struct line l;
    ln_begin(&l, "ready", cnt_now());
    ln_sec(&l, "u0", entry_cnt);
    ln_u64(&l, "n", prm.ntasks);
    ln_u64(&l, "v", ncpu);
    ln_u64(&l, "hz", cnt_freq);
    ln_u64(&l, "g", ticks_to_ns(guard_ticks));
    ln_u64(&l, "mt", mem_kib);
    ln_u64(&l, "ma", mem_kib > used_kib ? mem_kib - used_kib : 0);
    ln_end(&l);

    u64 t0 = cnt_now() + us_to_ticks(START_MARGIN_US);
    start_t0 = t0;
    dmb();
    start_flag = 1;
    sev();
    sched_cpu_start(0, t0);
    console_gate(true);
    irq_on(); /* from here on jobs preempt everything below */
    sched_arm_panic();
    background_loop();
}

void secondary_main(u64 idx) {
    if (!gic_cpu_init(mpidr_self(), plat.timer_intid)) rtos_halt();
    cpu_mark_online((u32)idx);
    while (!start_flag) wfe();
    dmb();
    sched_cpu_start((u32)idx, start_t0);
    idle_loop((u32)idx);
}

/* ── the few libc functions the compiler may call ──────────────────────────────────────────────── */
void *memset(void *d, int c, size_t n) {
    u8 *p = d;
    while (n--) *p++ = (u8)c;
    return d;
}
void *memcpy(void *d, const void *s, size_t n) {
    u8 *p = d;
    const u8 *q = s;
    while (n--) *p++ = *q++;
    return d;
}
size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}
