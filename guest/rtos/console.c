/* PL011 output and the JSON line builder. Lines are written whole by one context at a time: the
 * background loop of vCPU 0, or the panic/fault path (which stops everything else first). */
#include "rtos.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define UART_LCR_H 0x2c
#define UART_CR 0x30
#define UART_IMSC 0x38
#define FR_TXFE (1u << 7)
#define CHUNK 16 /* written after each "FIFO empty": fits the 16-deep PL011 FIFO (QEMU: 32) */

void uart_init(void) {
    mmio_w32(plat.uart + UART_IMSC, 0);
    mmio_w32(plat.uart + UART_LCR_H, 0x70);   /* 8N1, FIFO enabled */
    mmio_w32(plat.uart + UART_CR, 0x301);     /* UARTEN | TXE | RXE */
}

/* Cost of one console character, ticks: a decaying maximum of measured writes. Under nested
 * virtualisation a PL011 access is a trap through two levels (milliseconds of wall-clock time, and
 * of guest time in fast mode) during which this vCPU cannot take its timer interrupt. */
static u64 char_cost;
static bool gate_on;
u64 console_char_cost(void) { return char_cost; }
void console_gate(bool on) { gate_on = on && prm.con_gate; }

/* One character, interrupts masked, its duration measured. One status read per CHUNK characters,
 * not per character (every access is a trap; the VMM drains the FIFO synchronously anyway). */
static void put_char(u64 base, u32 i, char c) {
    u64 daif = SYSREG_READ("daif");
    irq_off(); /* a trap cannot be interrupted either */
    u64 t0 = cnt_now();
    if (i % CHUNK == 0) {
        u32 spins = 0;
        while (!(mmio_r32(base + UART_FR) & FR_TXFE) && ++spins < 10000000u) {}
    }
    mmio_w32(base + UART_DR, (u8)c);
    if (prm.con_delay_us) { /* test knob: a console as slow as a nested trap */
        u64 until = t0 + us_to_ticks(prm.con_delay_us);
        while (cnt_now() < until) {}
    }
    u64 d = cnt_now() - t0;
    char_cost = d > char_cost ? d : char_cost - char_cost / 16;
    SYSREG_WRITE("daif", daif);
}

/* While the scheduler runs, vCPU 0 writes a character only when its next timer event is further
 * away than twice the character cost, so that console traps do not delay releases (they would
 * show up as latency and response time that the task set did not cause). A line waits for such
 * gaps at most half a heartbeat period (50 ms without heartbeats); then its remaining characters
 * are written regardless, so heartbeats stay on time even when the task set leaves no gap. */
void uart_write(const char *s, u32 n) {
    u64 base = plat.uart;
    u64 since = cnt_now();
    u64 limit = us_to_ticks(prm.hb_ms ? (u64)prm.hb_ms * 500u : 50000u);
    for (u32 i = 0; i < n; i++) {
        if (!gate_on) { /* before the start, after the stop, or crashing: IRQs are masked */
            put_char(base, i, s[i]);
            continue;
        }
        irq_off();
        for (;;) {
            u64 now = cnt_now(), next = sched_next_event();
            if (next > now && next - now > 2 * char_cost + guard_ticks) break;
            if (now - since > limit) break;
            wfi();
            irq_on(); /* the event: releases, jobs */
            irq_off();
        }
        put_char(base, i, s[i]);
        irq_on();
    }
}

static void put(struct line *l, char c) {
    if (l->n < sizeof l->b - 2) l->b[l->n++] = c; /* room kept for the closing "}\n" */
    else l->overflow = true;
}
static void puts_(struct line *l, const char *s) {
    while (*s) put(l, *s++);
}
static void put_u64(struct line *l, u64 v) {
    char d[20];
    int n = 0;
    do { d[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) put(l, d[--n]);
}
static void key(struct line *l, const char *k) {
    put(l, ',');
    put(l, '"');
    puts_(l, k);
    put(l, '"');
    put(l, ':');
}

/* "u": seconds of guest virtual time (the virtual counter, which QEMU/KVM start at 0 when the VM
 * is created), 6 decimals. */
void ln_begin(struct line *l, const char *event, u64 ticks) {
    l->n = 0;
    l->overflow = false;
    puts_(l, "@{\"e\":\"");
    puts_(l, event);
    put(l, '"');
    ln_sec(l, "u", ticks);
}
void ln_sec(struct line *l, const char *k, u64 ticks) {
    u64 us = cnt_freq ? ticks / cnt_freq * 1000000u + ticks % cnt_freq * 1000000u / cnt_freq : 0;
    key(l, k);
    put_u64(l, us / 1000000u);
    put(l, '.');
    u64 frac = us % 1000000u;
    for (u64 div = 100000; div; div /= 10) put(l, (char)('0' + (frac / div) % 10));
}
void ln_u64(struct line *l, const char *k, u64 v) {
    key(l, k);
    put_u64(l, v);
}
void ln_hex(struct line *l, const char *k, u64 v) {
    key(l, k);
    puts_(l, "\"0x");
    bool started = false;
    for (int sh = 60; sh >= 0; sh -= 4) {
        u32 nib = (u32)(v >> sh) & 0xf;
        if (nib || started || sh == 0) {
            put(l, "0123456789abcdef"[nib]);
            started = true;
        }
    }
    put(l, '"');
}
/* Values are names matched by ^[a-z][a-z0-9-]*$ or fixed messages; anything a JSON string could
 * not hold verbatim is replaced, so a line is always valid JSON. */
void ln_str(struct line *l, const char *k, const char *v) {
    key(l, k);
    put(l, '"');
    for (; *v; v++) put(l, (*v >= ' ' && *v <= '~' && *v != '"' && *v != '\\') ? *v : '?');
    put(l, '"');
}
void ln_raw(struct line *l, const char *s) { puts_(l, s); }
u32 ln_room(const struct line *l) { return (u32)(sizeof l->b - 2 - l->n); }
void ln_end(struct line *l) {
    if (l->overflow) {
        /* callers size their lines (see the histogram); never emit a cut line */
        emit_error("line overflow");
        return;
    }
    l->b[l->n++] = '}';
    l->b[l->n++] = '\n';
    uart_write(l->b, l->n);
}

void emit_error(const char *msg) {
    struct line l;
    ln_begin(&l, "err", cnt_now());
    ln_str(&l, "m", msg);
    ln_end(&l);
}
void ln_rawu(struct line *l, u64 v) { put_u64(l, v); }
