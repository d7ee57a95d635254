/* The kernel command line: words separated by blanks; the nb_* words below are ours, every other
 * word (console=, quiet, the runner's nb_lv/nb_id/nb_pf/...) is ignored. The grammar is specified
 * in docs/rtos.md; the host side generates it from validated values
 * (src/core/common/rtos/params.ts). A later word wins over an earlier one with the same key. */
#include "rtos.h"

struct sb { char *b; u32 n, cap; };
static void sb_s(struct sb *s, const char *t) {
    while (*t && s->n + 1 < s->cap) s->b[s->n++] = *t++;
    s->b[s->n] = 0;
}
static void sb_u(struct sb *s, u64 v) {
    char d[20];
    int n = 0;
    do { d[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n && s->n + 1 < s->cap) s->b[s->n++] = d[--n];
    s->b[s->n] = 0;
}

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* does [w, end) start with `key` followed by '='? then *val = after '=' */
static bool word_key(const char *w, const char *end, const char *key, const char **val) {
    const char *p = w;
    for (; *key; key++, p++)
        if (p >= end || *p != *key) return false;
    if (p >= end || *p != '=') return false;
    *val = p + 1;
    return true;
}

/* decimal digits only, 1..10 of them, value <= max */
static bool num(const char *p, const char *end, u64 max, u64 *out) {
    if (p >= end || end - p > 10) return false;
    u64 v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (u64)(*p - '0');
    }
    if (v > max) return false;
    *out = v;
    return true;
}

static bool name_ok(const char *p, const char *end) {
    u64 n = (u64)(end - p);
    if (n < 1 || n > NAME_MAX_LEN || *p < 'a' || *p > 'z') return false;
    for (const char *q = p + 1; q < end; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-')) return false;
    return true;
}

static bool same_name(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

#define MAX_US 1000000000ull

static bool task_err(struct sb *e, u32 i, const char *what) {
    sb_s(e, "nb_tasks[");
    sb_u(e, i);
    sb_s(e, "]: ");
    sb_s(e, what);
    return false;
}

/* name:periodUs:wcetUs:[deadlineUs]:priority[:vcpu] */
static bool parse_task(const char *p, const char *end, struct task_param *t, u32 i, u32 ncpus, struct sb *e) {
    const char *f[7];
    const char *fe[7];
    u32 nf = 0;
    const char *s = p;
    for (const char *q = p; q <= end; q++) {
        if (q == end || *q == ':') {
            if (nf == 6) return task_err(e, i, "too many fields (name:periodUs:wcetUs:[deadlineUs]:priority[:vcpu])");
            f[nf] = s;
            fe[nf] = q;
            nf++;
            s = q + 1;
        }
    }
    if (nf < 5) return task_err(e, i, "expected name:periodUs:wcetUs:[deadlineUs]:priority[:vcpu]");
    if (!name_ok(f[0], fe[0])) return task_err(e, i, "name must match ^[a-z][a-z0-9-]{0,31}$");
    u64 T, C, D, P, V = 0;
    if (!num(f[1], fe[1], MAX_US, &T) || T == 0) return task_err(e, i, "periodUs must be an integer 1..1000000000");
    if (!num(f[2], fe[2], MAX_US, &C) || C == 0) return task_err(e, i, "wcetUs must be an integer 1..1000000000");
    if (f[3] == fe[3]) D = T; /* empty deadline: the period */
    else if (!num(f[3], fe[3], MAX_US, &D) || D == 0) return task_err(e, i, "deadlineUs must be an integer 1..1000000000 or empty");
    if (!num(f[4], fe[4], 99, &P) || P == 0) return task_err(e, i, "priority must be an integer 1..99");
    if (nf == 6 && !num(f[5], fe[5], 63, &V)) return task_err(e, i, "vcpu must be an integer 0..63");
    if (C > D) return task_err(e, i, "wcetUs > deadlineUs");
    if (D > T) return task_err(e, i, "deadlineUs > periodUs");
    if (V >= ncpus || V >= MAX_CPUS) {
        task_err(e, i, "vcpu ");
        sb_u(e, V);
        sb_s(e, " but the guest has ");
        sb_u(e, ncpus < MAX_CPUS ? ncpus : MAX_CPUS);
        sb_s(e, " usable vCPU(s)");
        return false;
    }
    u32 n = (u32)(fe[0] - f[0]);
    for (u32 k = 0; k < n; k++) t->name[k] = f[0][k];
    t->name[n] = 0;
    t->period_us = (u32)T;
    t->wcet_us = (u32)C;
    t->deadline_us = (u32)D;
    t->prio = (u8)P;
    t->cpu = (u8)V;
    return true;
}

static bool parse_tasks(const char *p, const char *end, struct params *pr, u32 ncpus, struct sb *e) {
    pr->ntasks = 0;
    if (p == end) return true; /* nb_tasks= : no tasks */
    const char *s = p;
    for (const char *q = p; q <= end; q++) {
        if (q == end || *q == ',') {
            if (pr->ntasks == MAX_TASKS) {
                sb_s(e, "nb_tasks: more than 256 tasks");
                return false;
            }
            struct task_param *t = &pr->task[pr->ntasks];
            if (!parse_task(s, q, t, pr->ntasks, ncpus, e)) return false;
            for (u32 k = 0; k < pr->ntasks; k++)
                if (same_name(pr->task[k].name, t->name)) return task_err(e, pr->ntasks, "duplicate task name");
            pr->ntasks++;
            s = q + 1;
        }
    }
    return true;
}

static bool bad_value(struct sb *e, const char *key, const char *range) {
    sb_s(e, key);
    sb_s(e, " must be ");
    sb_s(e, range);
    return false;
}

bool params_parse(const char *cmd, struct params *pr, u32 ncpus, char *err, u32 err_len) {
    struct sb e = { err, 0, err_len };
    err[0] = 0;
    pr->ntasks = 0;
    pr->run_ms = 1000;
    pr->hb_ms = 250;
    pr->panic_after_ms = -1;
    pr->panic_mode = PANIC_HANG;
    pr->hist = false;
    pr->idle_spin = false;
    pr->con_gate = true;
    pr->con_delay_us = 0;
    const char *tasks = 0, *tasks_end = 0;
    bool have_runms = false;
    u64 hold_s = 0;
    const char *p = cmd;
    for (;;) {
        while (*p && is_blank(*p)) p++;
        if (!*p) break;
        const char *w = p;
        while (*p && !is_blank(*p)) p++;
        const char *we = p, *v;
        u64 n;
        if (word_key(w, we, "nb_tasks", &v)) {
            tasks = v;
            tasks_end = we;
        } else if (word_key(w, we, "nb_runms", &v)) {
            if (!num(v, we, 1000000, &n) || n == 0) return bad_value(&e, "nb_runms", "an integer 1..1000000");
            pr->run_ms = (u32)n;
            have_runms = true;
        } else if (word_key(w, we, "nb_hold", &v)) {
            /* the runner's generic L2 word (seconds a guest stays up): the run length when there
             * is no nb_runms; ignored when malformed, it is not ours */
            if (num(v, we, 1000, &n)) hold_s = n;
        } else if (word_key(w, we, "nb_hbms", &v)) {
            if (!num(v, we, 60000, &n)) return bad_value(&e, "nb_hbms", "an integer 0..60000");
            pr->hb_ms = (u32)n;
        } else if (word_key(w, we, "nb_panic_after_ms", &v)) {
            if (!num(v, we, 1000000, &n)) return bad_value(&e, "nb_panic_after_ms", "an integer 0..1000000");
            pr->panic_after_ms = (i64)n;
        } else if (word_key(w, we, "nb_panic", &v)) {
            /* the runner's Linux-guest hook: nb_panic=1 crashes right after ready */
            if (!num(v, we, 1, &n)) return bad_value(&e, "nb_panic", "0 or 1");
            pr->panic_after_ms = n ? 0 : -1;
        } else if (word_key(w, we, "nb_panic_mode", &v)) {
            u64 len = (u64)(we - v);
            if (len == 4 && v[0] == 'h' && v[1] == 'a' && v[2] == 'n' && v[3] == 'g') pr->panic_mode = PANIC_HANG;
            else if (len == 3 && v[0] == 'o' && v[1] == 'f' && v[2] == 'f') pr->panic_mode = PANIC_OFF;
            else if (len == 5 && v[0] == 'r' && v[1] == 'e' && v[2] == 's' && v[3] == 'e' && v[4] == 't') pr->panic_mode = PANIC_RESET;
            else return bad_value(&e, "nb_panic_mode", "hang, off or reset");
        } else if (word_key(w, we, "nb_idle", &v)) {
            u64 len = (u64)(we - v);
            if (len == 3 && v[0] == 'w' && v[1] == 'f' && v[2] == 'i') pr->idle_spin = false;
            else if (len == 4 && v[0] == 's' && v[1] == 'p' && v[2] == 'i' && v[3] == 'n') pr->idle_spin = true;
            else return bad_value(&e, "nb_idle", "wfi or spin");
        } else if (word_key(w, we, "nb_con_gate", &v)) {
            if (!num(v, we, 1, &n)) return bad_value(&e, "nb_con_gate", "0 or 1");
            pr->con_gate = n == 1;
        } else if (word_key(w, we, "nb_con_delay_us", &v)) {
            if (!num(v, we, 100000, &n)) return bad_value(&e, "nb_con_delay_us", "an integer 0..100000");
            pr->con_delay_us = (u32)n;
        } else if (word_key(w, we, "nb_hist", &v)) {
            if (!num(v, we, 1, &n)) return bad_value(&e, "nb_hist", "0 or 1");
            pr->hist = n == 1;
        }
    }
    if (!have_runms && hold_s > 0) pr->run_ms = (u32)(hold_s * 1000u);
    if (tasks && !parse_tasks(tasks, tasks_end, pr, ncpus, &e)) return false;
    return true;
}
