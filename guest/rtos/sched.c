/* Fixed-priority preemptive scheduling of periodic jobs, one scheduler per vCPU.
 *
 * Preemption on a single stack: a timer interrupt releases the jobs that are due, and the handler
 * itself runs every pending job whose priority is above the interrupted context's, highest first,
 * with interrupts re-enabled (so a still higher release preempts it in turn). A job therefore always
 * completes before anything it preempted resumes — exactly fixed-priority preemptive scheduling of
 * run-to-completion jobs. The background (priority 0) prints; jobs never print.
 *
 * Execution-time accounting: every instant of the vCPU's time line is charged to the job that an
 * ideal fixed-priority scheduler would be running then, except time during which the vCPU did not
 * run (below). A preemption is charged from the preemptor's nominal release (the programmed timer
 * compare value), not from when the handler got to it; a completion hands the time line to the
 * next job at the completion instant. Interrupt entry, release processing and dispatch are thereby
 * charged to a job (as a WCET must include them), and a job busy-executes until its charged time
 * reaches wcetUs minus a guard of two busy-loop steps (so that the last step never overshoots
 * wcetUs). Each job thus receives a CPU time in [wcetUs - guard, wcetUs], measured with CNTVCT_EL0
 * (guest virtual time).
 *
 * Stolen time: the virtual counter keeps running while the vCPU does not (descheduled by the
 * hypervisor, throttled by its CPU reservation, stuck in a console trap, or — under -icount — while
 * another vCPU executes). A job's busy loop sees this as a gap between two counter reads that no
 * interrupt explains; a timer interrupt sees it as a late delivery. Gaps and late deliveries above
 * a threshold (8 loop steps, at least 2 µs) are not charged to any job: the job then executes
 * longer in virtual time, and lost CPU supply shows up in response times, as it would on hardware. */
#include "rtos.h"

struct task {
    const struct task_param *p;
    u32 cpu;
    u32 order;      /* index in its vCPU's priority order */
    u64 wcet_t, target_t, hist_w;
    /* run state */
    u64 released;   /* releases made (index of the next one) */
    u64 completed;  /* jobs completed (index of the oldest pending job) */
    u64 next_rel;   /* nominal time of release #released */
    u64 consumed;   /* CPU time charged to job #completed so far (banked at preemptions) */
    bool started;
    /* statistics */
    u64 misses, rmin, rmax, jmax, smax;
    u32 hist[HIST_BUCKETS + 1];
};

#define LAT_BUCKETS 320
#define SPIN 32 /* busy-loop iterations between two looks at the counter */
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

struct cpu {
    u32 idx;
    struct task *t[MAX_TASKS]; /* priority descending, then command-line order */
    u32 n;
    /* releases: a min-heap on (next release, order), so a handler costs O(log n) per release */
    struct task *heap[MAX_TASKS];
    u32 hn;
    /* pending jobs: a bit per priority with at least one pending task; the tasks of one priority
     * are t[grp[p] .. grp[p] + grp_len[p]) */
    u64 pend[2];
    u16 pcount[100], grp[100], grp_len[100];
    struct task *cur;          /* job executing at the innermost dispatch level, or 0 */
    u32 cur_prio;              /* its priority; 0 = background */
    struct task *vrun;         /* whom the time line since `tl` is charged to */
    u64 tl;
    u64 t0, t_end;
    bool stopped;              /* reached t_end: no more releases */
    volatile u32 done;         /* stopped and idle */
    volatile u32 online;
    volatile u32 gen;          /* bumped by every interrupt: consistent reads of tl/consumed */
    u64 stolen_thr;            /* a gap longer than this is stolen time */
    u64 stolen_pending;        /* stolen time seen by the running job's loop since tl */
    u64 stolen_total;
    u32 burst;                 /* releases made by the current interrupt */
    u64 irqs, lat_max, lat_min, irqs_timed;
    u64 lat_win;               /* max timer latency since the last heartbeat (vCPU 0 resets it) */
    u32 lat_hist[LAT_BUCKETS];
    u64 next_event;            /* programmed timer compare value, ~0 = disarmed */
    /* vCPU 0 only */
    u64 hb_next, hb_period, panic_at;
};

struct params prm;
u64 cnt_freq;
u64 guard_ticks;
static u64 step_ticks;              /* one busy-loop step, calibrated */
volatile u32 halt_all;
static struct task tasks[MAX_TASKS];
static struct cpu cpus[MAX_CPUS];
static volatile u32 hb_pending;
static u64 hb_time, hb_seq;
static volatile u32 uart_busy; /* the background is in the middle of a line */

static struct cpu *this_cpu(void) { return (struct cpu *)SYSREG_READ("tpidr_el1"); }

u64 us_to_ticks(u64 us) { return us * cnt_freq / 1000000u; }
/* split so that nothing overflows for any run length: (t % f) * 1e9 < f * 1e9 <= 2^64 for f <= 18 GHz */
static u64 scale(u64 t, u64 mul) { return t / cnt_freq * mul + t % cnt_freq * mul / cnt_freq; }
u64 ticks_to_us_ceil(u64 t) {
    u64 r = t % cnt_freq;
    return scale(t, 1000000u) + ((r * 1000000u) % cnt_freq != 0);
}
u64 ticks_to_ns(u64 t) { return scale(t, 1000000000u); }

static u64 nominal(const struct cpu *c, const struct task *t, u64 k) {
    return c->t0 + us_to_ticks(k * (u64)t->p->period_us);
}

/* log-linear histogram: exact below 8, then 8 sub-buckets per power of two (≤ 12.5 % wide) */
static u32 lat_index(u64 v) {
    if (v < 8) return (u32)v;
    u32 e = 63u - (u32)__builtin_clzll(v);
    u32 idx = (e - 2) * 8 + (u32)((v >> (e - 3)) & 7);
    return idx < LAT_BUCKETS ? idx : LAT_BUCKETS - 1;
}
static u64 lat_upper(u32 idx) {
    if (idx < 8) return idx;
    u32 e = idx / 8 + 2, sub = idx % 8;
    return ((8ull + sub + 1) << (e - 3)) - 1;
}

u32 cpus_needed(void) {
    u32 n = 1;
    for (u32 i = 0; i < prm.ntasks; i++)
        if (prm.task[i].cpu + 1u > n) n = prm.task[i].cpu + 1u;
    return n;
}

void sched_setup(void) {
    for (u32 c = 0; c < MAX_CPUS; c++) cpus[c].idx = c;
    /* stable order: priority descending, then command-line order (equal priorities: FIFO) */
    for (u32 prio = 99; prio >= 1; prio--) {
        for (u32 i = 0; i < prm.ntasks; i++) {
            const struct task_param *p = &prm.task[i];
            if (p->prio != prio) continue;
            struct task *t = &tasks[i];
            t->p = p;
            t->cpu = p->cpu;
            t->wcet_t = us_to_ticks(p->wcet_us);
            t->hist_w = (us_to_ticks(p->deadline_us) + HIST_BUCKETS - 1) / HIST_BUCKETS;
            if (t->hist_w == 0) t->hist_w = 1;
            t->rmin = ~0ull;
            struct cpu *c = &cpus[p->cpu];
            if (c->grp_len[prio] == 0) c->grp[prio] = (u16)c->n;
            c->grp_len[prio]++;
            t->order = c->n;
            c->t[c->n++] = t;
        }
    }
}

/* One step of a job's busy execution, interrupts enabled: spin a little, then return the CPU time
 * charged to the job so far and the counter value it was computed at. The time line (tl), the
 * banked time (consumed) and stolen_pending change in interrupt handlers, which all bump `gen`: a
 * read that saw `gen` unchanged is consistent. A gap since the previous step with no interrupt in
 * between is stolen time; recording it (rare) is done with interrupts masked. */
struct step { u32 gen; u64 prev; }; /* a job loop's previous step (on its own stack: jobs nest) */
static inline __attribute__((always_inline)) u64 job_step(struct cpu *c, struct task *t, struct step *sp, u64 *now) {
    u64 n = SPIN;
    __asm__ volatile("1: subs %0, %0, #1\n b.ne 1b" : "+r"(n));
    for (;;) {
        u32 g = c->gen;
        __asm__ volatile("" ::: "memory");
        u64 cons = READ_ONCE(t->consumed), tl = READ_ONCE(c->tl), st = READ_ONCE(c->stolen_pending);
        *now = cnt_now();
        __asm__ volatile("" ::: "memory");
        if (g != c->gen) continue;
        if (g == sp->gen && *now - sp->prev > c->stolen_thr) {
            irq_off();
            if (g == c->gen) {
                u64 lost = *now - sp->prev - step_ticks;
                c->stolen_pending += lost;
                c->stolen_total += lost;
                st = c->stolen_pending;
            }
            irq_on();
        }
        sp->gen = g;
        sp->prev = *now;
        u64 span = *now - tl;
        return cons + (span > st ? span - st : 0);
    }
}

/* The guard: two steps of the job loop, measured here (median of 63 samples, so that a host hiccup
 * in non-deterministic mode does not inflate it). Interrupts are not armed yet. */
void sched_calibrate(void) {
    static struct cpu cal_cpu;
    static struct task cal_task;
    u64 d[63], prev, now;
    struct step sp = { 0, 0 };
    cal_cpu.tl = cnt_now();
    (void)job_step(&cal_cpu, &cal_task, &sp, &prev);
    for (u32 i = 0; i < 63; i++) {
        (void)job_step(&cal_cpu, &cal_task, &sp, &now);
        d[i] = now - prev;
        prev = now;
    }
    for (u32 i = 1; i < 63; i++)
        for (u32 j = i; j > 0 && d[j - 1] > d[j]; j--) { u64 x = d[j]; d[j] = d[j - 1]; d[j - 1] = x; }
    step_ticks = d[31];
    guard_ticks = 2 * step_ticks;
    if (guard_ticks == 0) guard_ticks = 1;

    for (u32 i = 0; i < prm.ntasks; i++) {
        struct task *t = &tasks[i];
        t->target_t = t->wcet_t > guard_ticks ? t->wcet_t - guard_ticks : 1;
    }
}

/* ── the release heap and the pending set ──────────────────────────────────────────────────────── */

static bool before(const struct task *a, const struct task *b) {
    return a->next_rel < b->next_rel || (a->next_rel == b->next_rel && a->order < b->order);
}
static void heap_down(struct cpu *c, u32 i) {
    for (;;) {
        u32 l = 2 * i + 1, r = l + 1, m = i;
        if (l < c->hn && before(c->heap[l], c->heap[m])) m = l;
        if (r < c->hn && before(c->heap[r], c->heap[m])) m = r;
        if (m == i) return;
        struct task *x = c->heap[i];
        c->heap[i] = c->heap[m];
        c->heap[m] = x;
        i = m;
    }
}
static void pend_add(struct cpu *c, u32 prio) {
    if (c->pcount[prio]++ == 0) c->pend[prio >> 6] |= 1ull << (prio & 63);
}
static void pend_del(struct cpu *c, u32 prio) {
    if (--c->pcount[prio] == 0) c->pend[prio >> 6] &= ~(1ull << (prio & 63));
}
/* the first task (priority order) with a pending job above priority `base`, or 0 */
static struct task *highest_pending(struct cpu *c, u32 base) {
    u32 p = c->pend[1] ? 64 + 63 - (u32)__builtin_clzll(c->pend[1]) : c->pend[0] ? 63 - (u32)__builtin_clzll(c->pend[0]) : 0;
    if (p <= base) return 0;
    for (u32 i = c->grp[p], e = i + c->grp_len[p]; i < e; i++)
        if (c->t[i]->released > c->t[i]->completed) return c->t[i];
    return 0;
}

static void program_next(struct cpu *c) {
    u64 next = ~0ull;
    if (!c->stopped) {
        if (c->hn) next = c->heap[0]->next_rel;
        if (next >= c->t_end) next = c->t_end;
        if (c->idx == 0 && c->hb_period && c->hb_next < next) next = c->hb_next;
    }
    if (c->idx == 0 && c->panic_at && c->panic_at < next) next = c->panic_at;
    c->next_event = next;
    if (next == ~0ull) timer_disarm();
    else timer_arm(next);
}

u64 sched_next_event(void) { return cpus[0].next_event; }

/* Moves the time line to `at`, charging the stretch to its job minus the stolen time its loop saw. */
static void advance(struct cpu *c, u64 at) {
    if (at <= c->tl) return;
    if (c->vrun) {
        u64 span = at - c->tl, st = c->stolen_pending < span ? c->stolen_pending : span;
        c->vrun->consumed += span - st;
    }
    c->stolen_pending = 0;
    c->tl = at;
}

/* Release every job that is due, in nominal-time order (equal times: priority order), moving the
 * ideal time line along: a release above the job the time line is charged to preempts it at the
 * release instant. */
static void release_due(struct cpu *c, u64 now) {
    while (c->hn) {
        struct task *t = c->heap[0];
        u64 r = t->next_rel;
        if (r > now || r >= c->t_end) return;
        if (now - r > t->jmax) t->jmax = now - r;
        bool was_pending = t->released > t->completed;
        t->released++;
        t->next_rel = nominal(c, t, t->released);
        heap_down(c, 0);
        c->burst++;
        if (was_pending) continue; /* overrun: the job queues behind its predecessor */
        pend_add(c, t->p->prio);
        if (!c->vrun || t->p->prio > c->vrun->p->prio) {
            advance(c, r);
            c->vrun = t;
        }
    }
}

static void record(struct task *t, u64 resp) {
    if (resp < t->rmin) t->rmin = resp;
    if (resp > t->rmax) t->rmax = resp;
    u64 b = resp / t->hist_w;
    t->hist[b < HIST_BUCKETS ? b : HIST_BUCKETS]++;
    /* exact: resp / freq > D / 1e6 */
    if (resp * 1000000u > (u64)t->p->deadline_us * cnt_freq) t->misses++;
}

/* Runs job #completed of `t` to completion. Entered and left with IRQs masked; they are enabled
 * while the job executes, and masked again for the final check, so that the completion instant
 * and the hand-over of the time line cannot be split by an interrupt. */
static void run_job(struct cpu *c, struct task *t) {
    u64 r = nominal(c, t, t->completed);
    u64 now = cnt_now();
    if (!t->started) {
        t->started = true;
        if (now - r > t->smax) t->smax = now - r;
    }
    /* the first step also checks the stretch since the time line was handed to this job (its
     * release, or the previous completion), less 1 µs per release the handler made (a generous
     * allowance for its own work: ~0.3 µs each under TCG, much less on hardware) */
    u64 from = c->tl + c->burst * us_to_ticks(1);
    struct step sp = { c->gen, from < now ? from : now };
    for (;;) {
        u64 span = now - c->tl, st = c->stolen_pending;
        if (t->consumed + (span > st ? span - st : 0) >= t->target_t) break;
        irq_on();
        while (job_step(c, t, &sp, &now) < t->target_t) {}
        irq_off();
        now = cnt_now();
    }
    c->tl = now;
    c->stolen_pending = 0;
    t->consumed = 0;
    t->started = false;
    record(t, now - r);
    t->completed++;
    if (t->completed == t->released) pend_del(c, t->p->prio);
}

static void dispatch(struct cpu *c) {
    struct task *interrupted = c->cur;
    u32 base = c->cur_prio;
    for (;;) {
        struct task *next = highest_pending(c, base);
        if (!next) break;
        c->cur = next;
        c->cur_prio = next->p->prio;
        c->vrun = next;
        run_job(c, next);
    }
    c->cur = interrupted;
    c->cur_prio = base;
    c->vrun = interrupted;
}

static void lat_record(struct cpu *c, u64 lat) {
    if (lat > c->lat_max) c->lat_max = lat;
    if (lat > c->lat_win) c->lat_win = lat;
    if (c->irqs_timed++ == 0 || lat < c->lat_min) c->lat_min = lat;
    c->lat_hist[lat_index(ticks_to_ns(lat))]++;
}

static void do_panic(void);

void irq_handler(void) {
    struct cpu *c = this_cpu();
    c->gen++;
    c->burst = 0;
    u32 iar = gic_ack();
    u32 intid = iar & 0xffffff;
    if (intid >= 1020) return; /* spurious */
    if (halt_all) rtos_halt();
    if (intid == plat.timer_intid) {
        u64 now = cnt_now();
        u64 cval = SYSREG_READ("cntv_cval_el0");
        c->irqs++;
        if (now >= cval) {
            lat_record(c, now - cval);
            if (now - cval > c->stolen_thr) {
                /* delivered late: the vCPU did not run (or ran with IRQs masked) since cval */
                advance(c, cval);
                c->stolen_total += now - (c->tl > cval ? c->tl : cval);
                c->tl = now;
                c->stolen_pending = 0;
            }
        }
        release_due(c, now);
        if (!c->stopped && now >= c->t_end) c->stopped = true;
        if (c->idx == 0) {
            if (c->hb_period && !c->stopped && now >= c->hb_next) {
                /* one sequence number per period: a heartbeat still waiting to be printed is
                 * replaced, and periods that passed without a tick are skipped, so the host sees
                 * a gap in the sequence */
                while (c->hb_next <= now) {
                    c->hb_next += c->hb_period;
                    hb_seq++;
                }
                hb_time = now;
                hb_pending = 1;
            }
            if (c->panic_at && now >= c->panic_at) do_panic();
        }
        program_next(c);
    }
    gic_eoi(iar);
    dispatch(c);
}

void sched_cpu_start(u32 idx, u64 t0) {
    struct cpu *c = &cpus[idx];
    SYSREG_WRITE("tpidr_el1", (u64)c);
    c->t0 = t0;
    c->tl = t0;
    c->t_end = t0 + us_to_ticks((u64)prm.run_ms * 1000u);
    /* 8 loop steps, at least 2 µs */
    c->stolen_thr = 8 * step_ticks;
    if (c->stolen_thr < us_to_ticks(2)) c->stolen_thr = us_to_ticks(2);
    for (u32 i = 0; i < c->n; i++) {
        c->t[i]->next_rel = t0;
        c->heap[i] = c->t[i]; /* equal keys in priority order: already a heap */
    }
    c->hn = c->n;
    if (idx == 0) {
        c->hb_period = us_to_ticks((u64)prm.hb_ms * 1000u);
        c->hb_next = t0 + c->hb_period;
    }
    program_next(c);
}

/* The test hook is armed once the ready line is out, so that "crash at once" still shows ready.
 * Called by vCPU 0's background with IRQs enabled. */
void sched_arm_panic(void) {
    if (prm.panic_after_ms < 0) return;
    struct cpu *c = &cpus[0];
    irq_off();
    u64 at = c->t0 + us_to_ticks((u64)prm.panic_after_ms * 1000u), now = cnt_now();
    c->panic_at = at > now ? at : now;
    if (c->panic_at == 0) c->panic_at = 1;
    program_next(c);
    irq_on();
}

/* ── halting: the test hook, faults ─────────────────────────────────────────────────────────────── */

static void line_break_if_busy(void) {
    if (uart_busy) uart_write("\n", 1);
}

void rtos_halt(void) {
    __asm__ volatile("msr daifset, #0xf" ::: "memory");
    timer_disarm();
    halt_all = 1;
    dmb();
    for (;;) wfi();
}

static void apply_panic_mode(void) __attribute__((noreturn));
static void apply_panic_mode(void) {
    switch (prm.panic_mode) {
    case PANIC_OFF: psci_system_off();
    case PANIC_RESET: psci_system_reset();
    case PANIC_HANG: break;
    }
    rtos_halt();
}

static void do_panic(void) {
    halt_all = 1;
    console_gate(false);
    dmb();
    line_break_if_busy();
    struct line l;
    ln_begin(&l, "panic", cnt_now());
    ln_str(&l, "m", "nb_panic_after_ms");
    ln_end(&l);
    apply_panic_mode();
}

void sync_handler(u64 *frame, u64 kind) {
    (void)frame;
    halt_all = 1;
    console_gate(false);
    dmb();
    line_break_if_busy();
    struct line l;
    ln_begin(&l, "fault", cnt_now());
    ln_u64(&l, "k", kind);
    ln_hex(&l, "esr", SYSREG_READ("esr_el1"));
    ln_hex(&l, "elr", SYSREG_READ("elr_el1"));
    ln_hex(&l, "far", SYSREG_READ("far_el1"));
    ln_end(&l);
    apply_panic_mode();
}

/* Idle, entered with IRQs masked, left with IRQs enabled after (at least) one interrupt could be
 * taken. nb_idle=wfi (default) sleeps until an interrupt is pending; nb_idle=spin keeps executing
 * instructions, so that under `-icount` virtual time never advances without instructions (with
 * sleep=on QEMU otherwise lets idle time pass at host wall-clock speed, which makes runs
 * non-deterministic), at the cost of host CPU time. */
static void idle_wait(void) {
    if (prm.idle_spin) {
        u32 g = this_cpu()->gen;
        irq_on();
        while (this_cpu()->gen == g) __asm__ volatile("yield" ::: "memory");
        return;
    }
    wfi();
    irq_on();
}

/* ── vCPU 0 background: heartbeats, then the summary ────────────────────────────────────────────── */

static void totals(u64 *completed, u64 *misses) {
    u64 c = 0, m = 0;
    for (u32 i = 0; i < prm.ntasks; i++) {
        c += tasks[i].completed;
        m += tasks[i].misses;
    }
    *completed = c;
    *misses = m;
}

static void emit_line(struct line *l) {
    uart_busy = 1;
    ln_end(l);
    uart_busy = 0;
}

static u64 p99_ticks(const struct task *t) {
    u64 n = t->completed;
    if (n == 0) return 0;
    u64 need = (n * 99 + 99) / 100, acc = 0;
    for (u32 b = 0; b <= HIST_BUCKETS; b++) {
        acc += t->hist[b];
        if (acc >= need) {
            if (b == HIST_BUCKETS) return t->rmax;
            u64 up = (b + 1) * t->hist_w;
            return up < t->rmax ? up : t->rmax;
        }
    }
    return t->rmax;
}

static void emit_task(const struct task *t) {
    struct line l;
    ln_begin(&l, "task", cnt_now());
    ln_str(&l, "n", t->p->name);
    ln_u64(&l, "k", t->released);
    ln_u64(&l, "c", t->completed);
    ln_u64(&l, "m", t->misses);
    ln_u64(&l, "rn", t->completed ? ticks_to_us_ceil(t->rmin) : 0);
    ln_u64(&l, "rx", ticks_to_us_ceil(t->rmax));
    ln_u64(&l, "rp", ticks_to_us_ceil(p99_ticks(t)));
    ln_u64(&l, "jx", ticks_to_ns(t->jmax));
    ln_u64(&l, "sx", ticks_to_ns(t->smax));
    emit_line(&l);
}

/* non-empty buckets as [index,count]; bucket i holds response times in [i*w, (i+1)*w) ns, index
 * 128 everything above; split over several lines if needed */
static void emit_hist(const struct task *t) {
    struct line l;
    u32 b = 0;
    do {
        ln_begin(&l, "hist", cnt_now());
        ln_str(&l, "n", t->p->name);
        ln_u64(&l, "w", ticks_to_ns(t->hist_w));
        ln_raw(&l, ",\"h\":[");
        bool first = true;
        for (; b <= HIST_BUCKETS; b++) {
            if (!t->hist[b]) continue;
            if (ln_room(&l) < 32) break;
            ln_raw(&l, first ? "[" : ",[");
            ln_rawu(&l, b);
            ln_raw(&l, ",");
            ln_rawu(&l, t->hist[b]);
            ln_raw(&l, "]");
            first = false;
        }
        ln_raw(&l, "]");
        emit_line(&l);
    } while (b <= HIST_BUCKETS);
}

static u64 stack_used(u32 idx) {
    u64 *lo = (u64 *)(__stack_top - (u64)(idx + 1) * STACK_SIZE), *hi = (u64 *)(__stack_top - (u64)idx * STACK_SIZE);
    u64 *p = lo;
    while (p < hi && *p == 0x5a5a5a5a5a5a5a5aull) p++;
    return (u64)((char *)hi - (char *)p);
}

extern u64 used_kib, mem_kib;

void background_loop(void) {
    u32 ncpu = cpus_needed();
    for (;;) {
        irq_off();
        if (hb_pending) {
            u64 at = hb_time, seq = hb_seq, done, miss;
            hb_pending = 0;
            irq_on();
            totals(&done, &miss);
            /* per-window figures for the host's phase windows: stolen time so far, and the worst
             * timer delivery since the previous heartbeat (a benign race with other vCPUs' writes:
             * at worst one sample lands in the next window) */
            u64 stolen = 0, win = 0;
            for (u32 i = 0; i < ncpu; i++) {
                stolen += READ_ONCE(cpus[i].stolen_total);
                u64 w = READ_ONCE(cpus[i].lat_win);
                if (w > win) win = w;
                WRITE_ONCE(cpus[i].lat_win, 0);
            }
            struct line l;
            ln_begin(&l, "hb", at);
            ln_u64(&l, "n", seq);
            ln_u64(&l, "c", done);
            ln_u64(&l, "m", miss);
            ln_u64(&l, "sl", ticks_to_ns(stolen));
            ln_u64(&l, "lw", ticks_to_ns(win));
            emit_line(&l);
            continue;
        }
        if (cpus[0].stopped) {
            cpus[0].done = 1;
            bool all = true;
            for (u32 i = 1; i < ncpu; i++)
                if (!cpus[i].done) all = false;
            if (all) break;
            /* no timer is armed any more: wait for a secondary's SEV (sent when it is done) */
            irq_on();
            wfe();
            continue;
        }
        idle_wait();
    }
    /* everything stopped and drained; interrupts stay masked */
    console_gate(false);
    timer_disarm();
    dmb();
    for (u32 i = 0; i < prm.ntasks; i++) emit_task(&tasks[i]);
    if (prm.hist)
        for (u32 i = 0; i < prm.ntasks; i++) emit_hist(&tasks[i]);
    u64 done, miss, lat_max = 0, lat_min = ~0ull, st = 0, n = 0, stolen = 0;
    u32 merged[LAT_BUCKETS];
    for (u32 b = 0; b < LAT_BUCKETS; b++) merged[b] = 0;
    totals(&done, &miss);
    for (u32 i = 0; i < ncpu; i++) {
        if (cpus[i].lat_max > lat_max) lat_max = cpus[i].lat_max;
        if (cpus[i].irqs_timed && cpus[i].lat_min < lat_min) lat_min = cpus[i].lat_min;
        for (u32 b = 0; b < LAT_BUCKETS; b++) { merged[b] += cpus[i].lat_hist[b]; n += cpus[i].lat_hist[b]; }
        stolen += cpus[i].stolen_total;
        u64 s = stack_used(i);
        if (s > st) st = s;
    }
    u64 lp = 0, need = (n * 99 + 99) / 100, acc = 0;
    for (u32 b = 0; b < LAT_BUCKETS && n; b++) {
        acc += merged[b];
        if (acc >= need) { lp = lat_upper(b); break; }
    }
    u64 lx = ticks_to_ns(lat_max);
    if (lp > lx) lp = lx;
    struct line l;
    ln_begin(&l, "bye", cnt_now());
    ln_u64(&l, "c", done);
    ln_u64(&l, "m", miss);
    ln_u64(&l, "lx", lx);
    ln_u64(&l, "lp", lp);
    /* the floor: the fastest timer delivery seen (the platform's interrupt path undisturbed) */
    ln_u64(&l, "ln", lat_min == ~0ull ? 0 : ticks_to_ns(lat_min));
    ln_u64(&l, "st", st);
    ln_u64(&l, "sl", ticks_to_ns(stolen));
    ln_u64(&l, "mt", mem_kib);
    ln_u64(&l, "ma", mem_kib > used_kib ? mem_kib - used_kib : 0);
    emit_line(&l);
    psci_system_off();
}

/* ── secondary vCPUs ─────────────────────────────────────────────────────────────────────────────── */

void cpu_mark_online(u32 idx) {
    cpus[idx].online = 1;
    sev();
}
bool cpu_is_online(u32 idx) { return cpus[idx].online != 0; }

void idle_loop(u32 idx) {
    struct cpu *c = &cpus[idx];
    for (;;) {
        irq_off();
        if (c->stopped) {
            timer_disarm();
            c->done = 1;
            sev(); /* vCPU 0 waits for this in WFE */
            for (;;) wfi();
        }
        idle_wait();
    }
}
