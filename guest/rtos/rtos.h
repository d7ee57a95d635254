/* nestbed reference safety guest ("os: rtos"): shared declarations.
 *
 * A bare-metal arm64 guest for the QEMU "virt" machine: a fixed-priority preemptive scheduler
 * driven by the EL1 virtual generic timer (PPI 27 through GICv3), one scheduler per vCPU, output as
 * compact JSON lines on the PL011. See README.md and docs/rtos.md for the contract. */
#ifndef NB_RTOS_H
#define NB_RTOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t i64;

/* ── limits (documented in docs/rtos.md) ───────────────────────────────────────────────────────── */
#define MAX_CPUS 8          /* vCPUs that can run tasks (guest vCPU index 0..7) */
#define MAX_TASKS 256       /* == MAX_TASKS_PER_GUEST of the topology schema */
#define NAME_MAX_LEN 32
#define CMDLINE_MAX 32768   /* bootargs longer than this are an error (256 maximal tasks: ~18 KiB) */
#define HIST_BUCKETS 128    /* per-task response-time histogram over [0, deadline], + overflow */
#define STACK_SIZE 0x10000  /* per vCPU; must match start.S */

/* ── system registers ──────────────────────────────────────────────────────────────────────────── */
#define SYSREG_READ(name) ({ u64 v_; __asm__ volatile("mrs %0, " name : "=r"(v_)); v_; })
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " name ", %0" ::"r"((u64)(v)) : "memory")

#define ICC_IAR1_EL1 "S3_0_C12_C12_0"
#define ICC_EOIR1_EL1 "S3_0_C12_C12_1"
#define ICC_BPR1_EL1 "S3_0_C12_C12_3"
#define ICC_CTLR_EL1 "S3_0_C12_C12_4"
#define ICC_SRE_EL1 "S3_0_C12_C12_5"
#define ICC_IGRPEN1_EL1 "S3_0_C12_C12_7"
#define ICC_PMR_EL1 "S3_0_C4_C6_0"

static inline void isb(void) { __asm__ volatile("isb" ::: "memory"); }
static inline void dmb(void) { __asm__ volatile("dmb ish" ::: "memory"); }
static inline void dsb(void) { __asm__ volatile("dsb sy" ::: "memory"); }
static inline void irq_off(void) { __asm__ volatile("msr daifset, #2" ::: "memory"); }
static inline void irq_on(void) { __asm__ volatile("msr daifclr, #2" ::: "memory"); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void wfe(void) { __asm__ volatile("wfe" ::: "memory"); }
static inline void sev(void) { __asm__ volatile("dsb ish\n sev" ::: "memory"); }

/* The virtual counter. No ISB: a read may be satisfied a few cycles early on real hardware, which
 * only ever makes an elapsed time look shorter by that much; under TCG reads are in program order. */
static inline u64 cnt_now(void) { return SYSREG_READ("cntvct_el0"); }

/* ── MMIO (the MMU is off: every data access is Device-nGnRnE, so keep accesses naturally aligned) */
static inline u32 mmio_r32(u64 a) { return *(volatile u32 *)a; }
static inline void mmio_w32(u64 a, u32 v) { *(volatile u32 *)a = v; }

/* ── platform (filled from the DTB, with QEMU virt defaults) ───────────────────────────────────── */
struct platform {
    u64 uart;                 /* PL011 base */
    u64 gicd, gicr;           /* GICv3 distributor, first redistributor */
    u32 timer_intid;          /* EL1 virtual timer interrupt (PPI 11 → INTID 27) */
    bool psci_smc;            /* PSCI conduit: true = SMC, false = HVC */
    u64 mem_base, mem_size;   /* first /memory range */
    u32 ncpus;                /* /cpus/cpu@* nodes */
    u64 mpidr[MAX_CPUS];
    const char *bootargs;     /* /chosen/bootargs (NUL-terminated copy) or "" */
    u32 dtb_size;
};
extern struct platform plat;

/* fdt.c */
bool fdt_parse(u64 dtb, struct platform *p, char *bootargs_buf, u32 buf_len, const char **err);

/* console.c: a line is built in a buffer and written in one go (few, short lines: every console
 * byte of an L2 guest is an MMIO trap through two levels of virtualisation). */
struct line {
    char b[512];
    u32 n;
    bool overflow;
};
void uart_init(void);
void uart_write(const char *s, u32 n);
void console_gate(bool on);
u64 console_char_cost(void);
void ln_begin(struct line *l, const char *event, u64 ticks); /* @{"e":"<event>","u":<s>  */
void ln_str(struct line *l, const char *key, const char *val);
void ln_u64(struct line *l, const char *key, u64 v);
void ln_sec(struct line *l, const char *key, u64 ticks);   /* seconds, 6 decimals */
void ln_hex(struct line *l, const char *key, u64 v);
void ln_raw(struct line *l, const char *s);
void ln_rawu(struct line *l, u64 v);
u32 ln_room(const struct line *l);
void ln_end(struct line *l);                                  /* }\n and write */
void emit_error(const char *msg);                             /* @{"e":"err","m":"..."} */

/* params.c: the kernel command line grammar (docs/rtos.md) */
enum panic_mode { PANIC_HANG = 0, PANIC_OFF = 1, PANIC_RESET = 2 };
struct task_param {
    char name[NAME_MAX_LEN + 1];
    u32 period_us, wcet_us, deadline_us;
    u8 prio, cpu;
};
struct params {
    struct task_param task[MAX_TASKS];
    u32 ntasks;
    u32 run_ms;          /* default 1000 */
    u32 hb_ms;           /* default 250, 0 = no heartbeat */
    i64 panic_after_ms;  /* -1 = never */
    enum panic_mode panic_mode;
    bool hist;
    bool idle_spin;      /* nb_idle=spin */
    bool con_gate;       /* nb_con_gate (default 1): slack-gated console while the scheduler runs */
    u32 con_delay_us;    /* nb_con_delay_us: test knob, simulates a trapping console */
};
bool params_parse(const char *cmdline, struct params *p, u32 ncpus, char *err, u32 err_len);

/* gic.c: GICv3, the virtual timer, PSCI */
bool gic_dist_init(void);
bool gic_cpu_init(u64 mpidr, u32 intid);
u32 gic_ack(void);
void gic_eoi(u32 iar);
void timer_arm(u64 cval);
void timer_disarm(void);
u64 psci_call(u64 fn, u64 a1, u64 a2, u64 a3);
void psci_system_off(void) __attribute__((noreturn));
void psci_system_reset(void) __attribute__((noreturn));
#define PSCI_CPU_ON 0xC4000003ull

/* sched.c */
extern struct params prm;
extern u64 cnt_freq;
u64 us_to_ticks(u64 us);
u64 ticks_to_us_ceil(u64 t);
u64 ticks_to_ns(u64 t);
void sched_setup(void);                     /* split tasks per vCPU, derive tick values */
void sched_calibrate(void);                 /* busy-loop guard */
void sched_cpu_start(u32 cpu, u64 t0);      /* arm the first timer event of this vCPU */
void irq_handler(void);                     /* called from start.S */
void sync_handler(u64 *frame, u64 kind);    /* called from start.S, never returns */
void rtos_halt(void) __attribute__((noreturn));   /* stop this vCPU (and tell the others) */
void background_loop(void) __attribute__((noreturn));
void sched_arm_panic(void);
void cpu_mark_online(u32 idx);
bool cpu_is_online(u32 idx);
void idle_loop(u32 idx) __attribute__((noreturn));
u32 cpus_needed(void);
u64 sched_next_event(void);                 /* vCPU 0's next timer event, ~0 if none */
extern u64 guard_ticks;
extern volatile u32 halt_all;

/* main.c */
void secondary_main(u64 cpu) __attribute__((noreturn));

/* start.S */
extern char _start[], _end[], __bss_start[], __bss_end[], __stack_top[], secondary_entry[];

/* lib */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);

#endif
