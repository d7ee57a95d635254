/* GICv3 (distributor, this vCPU's redistributor, the system-register CPU interface), the EL1
 * virtual timer and PSCI. Only the timer PPI is used: Group 1, one priority, EOImode 0. */
#include "rtos.h"

#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP (1u << 31)
#define GICD_CTLR_ARE (1u << 4)    /* ARE_NS in the non-secure view, ARE with DS=1 */
#define GICD_CTLR_GRP1 (1u << 1)   /* EnableGrp1A (non-secure view) / EnableGrp1 (DS=1) */

#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_SGI 0x10000           /* SGI_base frame */
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_IPRIORITYR 0x0400

static bool wait_clear(u64 addr, u32 mask) {
    for (u32 i = 0; i < 10000000u; i++)
        if (!(mmio_r32(addr) & mask)) return true;
    return false;
}

bool gic_dist_init(void) {
    u32 ctlr = mmio_r32(plat.gicd + GICD_CTLR);
    mmio_w32(plat.gicd + GICD_CTLR, ctlr | GICD_CTLR_ARE | GICD_CTLR_GRP1);
    return wait_clear(plat.gicd + GICD_CTLR, GICD_CTLR_RWP);
}

/* The redistributor whose GICR_TYPER affinity matches `mpidr`. Frames are 128 KiB (256 KiB with
 * VLPIs); GICR_TYPER.Last marks the final one. */
static u64 find_redist(u64 mpidr) {
    u32 aff = (u32)(((mpidr >> 32) & 0xff) << 24 | (mpidr & 0xffffff));
    u64 rd = plat.gicr;
    for (u32 i = 0; i < 512; i++) {
        u32 lo = mmio_r32(rd + GICR_TYPER), hi = mmio_r32(rd + GICR_TYPER + 4);
        if (hi == aff) return rd;
        if (lo & (1u << 4)) break;
        rd += (lo & (1u << 1)) ? 0x40000 : 0x20000;
    }
    return 0;
}

bool gic_cpu_init(u64 mpidr, u32 intid) {
    u64 rd = find_redist(mpidr);
    if (!rd) return false;
    u32 waker = mmio_r32(rd + GICR_WAKER);
    mmio_w32(rd + GICR_WAKER, waker & ~(1u << 1));          /* ProcessorSleep = 0 */
    if (!wait_clear(rd + GICR_WAKER, 1u << 2)) return false; /* ChildrenAsleep */
    u64 sgi = rd + GICR_SGI;
    mmio_w32(sgi + GICR_IGROUPR0, mmio_r32(sgi + GICR_IGROUPR0) | (1u << intid));
    u64 pr = sgi + GICR_IPRIORITYR + (intid & ~3u);
    u32 sh = (intid & 3u) * 8;
    mmio_w32(pr, (mmio_r32(pr) & ~(0xffu << sh)) | (0x80u << sh));
    mmio_w32(sgi + GICR_ISENABLER0, 1u << intid);

    SYSREG_WRITE(ICC_SRE_EL1, SYSREG_READ(ICC_SRE_EL1) | 1);
    isb();
    SYSREG_WRITE(ICC_PMR_EL1, 0xff);
    SYSREG_WRITE(ICC_BPR1_EL1, 0);
    SYSREG_WRITE(ICC_CTLR_EL1, 0);      /* EOImode 0: EOIR drops priority and deactivates */
    SYSREG_WRITE(ICC_IGRPEN1_EL1, 1);
    isb();
    return true;
}

u32 gic_ack(void) { return (u32)SYSREG_READ(ICC_IAR1_EL1); }
void gic_eoi(u32 iar) { SYSREG_WRITE(ICC_EOIR1_EL1, iar); }

/* Level-triggered: the line follows CNTVCT >= CVAL, so rearming to a future CVAL (or disarming)
 * before EOI deasserts it. */
void timer_arm(u64 cval) {
    SYSREG_WRITE("cntv_cval_el0", cval);
    SYSREG_WRITE("cntv_ctl_el0", 1); /* ENABLE, IMASK = 0 */
    isb();
}
void timer_disarm(void) {
    SYSREG_WRITE("cntv_ctl_el0", 0);
    isb();
}

u64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3) {
    register u64 x0 __asm__("x0") = fn;
    register u64 x1 __asm__("x1") = a1;
    register u64 x2 __asm__("x2") = a2;
    register u64 x3 __asm__("x3") = a3;
    if (plat.psci_smc)
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    else
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)::"x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    return x0;
}

void psci_system_off(void) {
    psci_call(0x84000008u, 0, 0, 0);
    for (;;) { irq_off(); wfi(); }
}
void psci_system_reset(void) {
    psci_call(0x84000009u, 0, 0, 0);
    for (;;) { irq_off(); wfi(); }
}
