// Freestanding runtime of nestbed's guest tools (arm64 Linux, raw system calls, no libc): the
// system-call wrapper, the helpers GCC may call, line output assembled in one write(), decimal
// parsing and the entry point. Each tool defines cmain(sp).
#ifndef NB_RT_H
#define NB_RT_H

typedef unsigned long u64;
typedef unsigned int u32;
typedef unsigned short u16;

#define SYS_write 64
#define SYS_exit_group 94

static inline long sc6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
  return x0;
}
#define sc(n, a, b, c) sc6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* GCC may emit calls to these for struct copies and initialisers, even when freestanding. */
void *memcpy(void *d, const void *s, unsigned long n);
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n) {
  char *a = d;
  const char *b = s;
  while (n--) *a++ = *b++;
  return d;
}
void *memset(void *d, int c, unsigned long n) {
  char *a = d;
  while (n--) *a++ = (char)c;
  return d;
}

static inline void quit(int code) {
  for (;;) sc(SYS_exit_group, code, 0, 0);
}

static inline unsigned slen(const char *s) {
  unsigned n = 0;
  while (s[n]) n++;
  return n;
}

/* Output is assembled in a buffer and written with one write(): a line never interleaves. */
struct buf {
  char b[256];
  unsigned n;
};
static inline void put(struct buf *o, const char *s) {
  while (*s && o->n < sizeof o->b - 1) o->b[o->n++] = *s++;
}
static inline void putn(struct buf *o, u64 v) {
  char t[24];
  int i = 0;
  do t[i++] = (char)('0' + v % 10), v /= 10;
  while (v && i < 23);
  while (i > 0 && o->n < sizeof o->b - 1) o->b[o->n++] = t[--i];
}
static inline void flush(struct buf *o) {
  o->b[o->n++] = '\n';
  sc(SYS_write, 1, o->b, o->n);
  o->n = 0;
}

static inline int num(const char *s, u64 *out) {
  u64 v = 0;
  if (!*s) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 0xffffffffull) return 0;
    v = v * 10 + (u64)(*s - '0');
  }
  *out = v;
  return 1;
}

static inline int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

int cmain(long *sp);
__asm__(".text\n.global _start\n_start:\n  mov x0, sp\n  bl cmain\n  b .\n");

#endif
