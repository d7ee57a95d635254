// vsock-probe: the AF_VSOCK client, server and relay of nestbed's channel and control paths
// (busybox has no AF_VSOCK). Freestanding arm64 Linux program: raw system calls, no libc, so the
// cross compiler alone (Debian's gcc-aarch64-linux-gnu, no arm64 libc) builds it, statically.
// Built by `nestbed setup` (src/core/node/setup/guest-tools.ts); shipped in L1's and L2's initramfs.
//
//   vsock-probe serve PORT...               echo server on each PORT; accepts only CID 2 (L1)
//   vsock-probe connect CID PORT MS TRIES    send "nb-probe\n", expect it back; prints
//                                            "<status> <tries> <ms>", status: echo | closed |
//                                            reset | refused | timeout | mismatch | err<errno>
//   vsock-probe relay P.F.T...              L1: on port P forward a connection from CID F to CID
//                                            T:P (T = 0: answer here, as the end point); every
//                                            other connection is closed at once. One event line
//                                            per connection on stdout.
//   vsock-probe wait PORT SECONDS            control: accept one connection from CID 2, print the
//                                            first word it sends ([a-z] only), or "timeout";
//                                            acknowledges the word with "ok\n" before printing it
//   vsock-probe send CID PORT WORD MS        control: connect, send WORD and wait for the
//                                            acknowledgment, retrying the whole exchange until MS
//                                            (a word the peer did not acknowledge was not received)
//
// Only numbers come from the command line; guest/init.sh generates them from nb_* words.

#include "nb-rt.h"

#define SYS_fcntl 25
#define SYS_close 57
#define SYS_read 63
#define SYS_ppoll 73
#define SYS_nanosleep 101
#define SYS_clock_gettime 113
#define SYS_rt_sigaction 134
#define SYS_socket 198
#define SYS_bind 200
#define SYS_listen 201
#define SYS_accept 202
#define SYS_connect 203
#define SYS_setsockopt 208
#define SYS_clone 220

#define AF_VSOCK 40
#define SOCK_STREAM 1
#define SOL_SOCKET 1
#define SO_REUSEADDR 2
#define SO_VM_SOCKETS_CONNECT_TIMEOUT 6
#define VMADDR_CID_ANY 0xffffffffu
#define VMADDR_CID_HOST 2u
#define POLLIN 1
#define SIGPIPE 13
#define SIGCHLD 17

struct sockaddr_vm {
  u16 family;
  u16 reserved1;
  u32 port;
  u32 cid;
  unsigned char flags;
  unsigned char zero[3];
};
struct pollfd {
  int fd;
  short events;
  short revents;
};
struct timespec {
  long sec;
  long nsec;
};
struct ksigaction {
  u64 handler;
  u64 flags;
  u64 restorer;
  u64 mask;
};

static u64 now_ms(void) {
  struct timespec t;
  sc(SYS_clock_gettime, 1, &t, 0); /* CLOCK_MONOTONIC */
  return (u64)t.sec * 1000 + (u64)t.nsec / 1000000;
}

static void sleep_ms(u64 ms) {
  struct timespec t = {(long)(ms / 1000), (long)(ms % 1000) * 1000000};
  sc(SYS_nanosleep, &t, 0, 0);
}

/* Waits until fd is readable; 1 = readable, 0 = timeout. */
static int readable(int fd, long ms) {
  struct pollfd p = {fd, POLLIN, 0};
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  return sc6(SYS_ppoll, (long)&p, 1, ms < 0 ? 0 : (long)&t, 0, 8, 0) > 0;
}

static int vsock(void) {
  return (int)sc(SYS_socket, AF_VSOCK, SOCK_STREAM, 0);
}

static int listen_on(u32 port) {
  int fd = vsock();
  if (fd < 0) return fd;
  int one = 1;
  sc6(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, (long)&one, sizeof one, 0);
  struct sockaddr_vm a = {AF_VSOCK, 0, port, VMADDR_CID_ANY, 0, {0, 0, 0}};
  long r = sc(SYS_bind, fd, &a, sizeof a);
  if (r == 0) r = sc(SYS_listen, fd, 16, 0);
  if (r < 0) {
    sc(SYS_close, fd, 0, 0);
    return (int)r;
  }
  return fd;
}

static int accept_from(int lfd, u32 *cid) {
  struct sockaddr_vm a;
  u32 len = sizeof a;
  int fd = (int)sc(SYS_accept, lfd, &a, &len);
  *cid = fd >= 0 ? a.cid : 0;
  return fd;
}

/* Connects with a timeout; returns fd or -errno. */
static int dial(u32 cid, u32 port, u64 ms) {
  int fd = vsock();
  if (fd < 0) return fd;
  struct {
    long sec, usec;
  } tv = {(long)(ms / 1000), (long)(ms % 1000) * 1000};
  sc6(SYS_setsockopt, fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, (long)&tv, sizeof tv, 0);
  struct sockaddr_vm a = {AF_VSOCK, 0, port, cid, 0, {0, 0, 0}};
  long r = sc(SYS_connect, fd, &a, sizeof a);
  if (r < 0) {
    sc(SYS_close, fd, 0, 0);
    return (int)r;
  }
  return fd;
}

static const char *err_name(long e) {
  switch (e) {
    case 104: return "reset";
    case 111: return "refused";
    case 110: return "timeout";
    default: return 0;
  }
}

/* Reads one message (≤ n bytes) within ms and echoes it back. */
static void echo_once(int fd, long ms) {
  char b[64];
  if (readable(fd, ms)) {
    long r = sc(SYS_read, fd, b, sizeof b);
    if (r > 0) sc(SYS_write, fd, b, r);
  }
  sc(SYS_close, fd, 0, 0);
}

static int do_serve(int argc, char **argv) {
  struct pollfd p[16];
  int n = 0;
  for (int i = 0; i < argc && n < 16; i++) {
    u64 port;
    if (!num(argv[i], &port)) return 64;
    int fd = listen_on((u32)port);
    if (fd < 0) return 65;
    p[n].fd = fd, p[n].events = POLLIN, p[n].revents = 0, n++;
  }
  for (;;) {
    if (sc6(SYS_ppoll, (long)p, n, 0, 0, 8, 0) <= 0) continue;
    for (int i = 0; i < n; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      u32 cid;
      int c = accept_from(p[i].fd, &cid);
      if (c < 0) continue;
      if (cid != VMADDR_CID_HOST) { /* only the hypervisor's relay reaches a guest */
        sc(SYS_close, c, 0, 0);
        continue;
      }
      echo_once(c, 5000);
    }
  }
}

static int do_connect(int argc, char **argv) {
  u64 cid, port, ms, tries;
  if (argc != 4 || !num(argv[0], &cid) || !num(argv[1], &port) || !num(argv[2], &ms) || !num(argv[3], &tries) || tries < 1) return 64;
  static const char msg[] = "nb-probe\n";
  const char *st = "err";
  long errn = 0;
  u64 t0 = now_ms(), k;
  for (k = 1; k <= tries; k++) {
    errn = 0;
    int fd = dial((u32)cid, (u32)port, ms);
    if (fd < 0) {
      st = err_name(-fd);
      if (!st) st = "err", errn = -fd;
    } else {
      sc(SYS_write, fd, msg, sizeof msg - 1);
      char b[64];
      long r = readable(fd, (long)ms) ? sc(SYS_read, fd, b, sizeof b) : -110;
      if (r == (long)(sizeof msg - 1)) {
        st = "echo";
        for (unsigned i = 0; i < sizeof msg - 1; i++)
          if (b[i] != msg[i]) st = "mismatch";
      } else if (r == 0 || r == -104) {
        st = "closed";
      } else if (r == -110) {
        st = "timeout";
      } else {
        st = "mismatch";
      }
      sc(SYS_close, fd, 0, 0);
    }
    if (st[0] == 'e' && st[1] == 'c') break;
    if (k < tries) sleep_ms(500);
  }
  struct buf o = {{0}, 0};
  put(&o, st);
  if (errn) putn(&o, (u64)errn);
  put(&o, " ");
  putn(&o, k > tries ? tries : k);
  put(&o, " ");
  putn(&o, now_ms() - t0);
  flush(&o);
  return st[0] == 'e' && st[1] == 'c' ? 0 : 1;
}

/* Copies both directions until either side closes (child process of the relay). */
static void pump(int a, int b) {
  struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  char buf[4096];
  for (;;) {
    if (sc6(SYS_ppoll, (long)p, 2, 0, 0, 8, 0) <= 0) continue;
    for (int i = 0; i < 2; i++) {
      if (!p[i].revents) continue;
      long r = sc(SYS_read, p[i].fd, buf, sizeof buf);
      if (r <= 0) quit(0);
      if (sc(SYS_write, p[1 - i].fd, buf, r) != r) quit(0);
    }
  }
}

static void relay_event(const char *a, u64 port, u32 from, u32 to) {
  struct buf o = {{0}, 0};
  put(&o, "@{\"e\":\"rly\",\"a\":\"");
  put(&o, a);
  put(&o, "\",\"p\":");
  putn(&o, port);
  put(&o, ",\"f\":");
  putn(&o, from);
  put(&o, ",\"t\":");
  putn(&o, to);
  put(&o, "}");
  flush(&o);
}

static int do_relay(int argc, char **argv) {
  struct {
    u32 port, from, to;
  } spec[64];
  int ns = 0;
  for (int i = 0; i < argc && ns < 64; i++) {
    u64 v[3];
    char *s = argv[i];
    for (int k = 0; k < 3; k++) {
      char *e = s;
      while (*e && *e != '.') e++;
      char c = *e;
      *e = 0;
      if (!num(s, &v[k])) return 64;
      s = c ? e + 1 : e;
    }
    spec[ns].port = (u32)v[0], spec[ns].from = (u32)v[1], spec[ns].to = (u32)v[2], ns++;
  }
  struct ksigaction ign = {1, 0, 0, 0}; /* SIG_IGN on SIGCHLD: children are reaped by the kernel */
  sc6(SYS_rt_sigaction, SIGCHLD, (long)&ign, 0, 8, 0, 0);
  struct pollfd p[64];
  u32 pport[64];
  int np = 0;
  for (int i = 0; i < ns; i++) {
    int dup = 0;
    for (int j = 0; j < np; j++) dup |= pport[j] == spec[i].port;
    if (dup) continue;
    int fd = listen_on(spec[i].port);
    if (fd < 0) {
      relay_event("nolisten", spec[i].port, 0, 0);
      continue;
    }
    pport[np] = spec[i].port, p[np].fd = fd, p[np].events = POLLIN, p[np].revents = 0, np++;
  }
  relay_event("up", (u64)np, 0, 0);
  for (;;) {
    if (sc6(SYS_ppoll, (long)p, np, 0, 0, 8, 0) <= 0) continue;
    for (int i = 0; i < np; i++) {
      if (!(p[i].revents & POLLIN)) continue;
      u32 cid;
      int c = accept_from(p[i].fd, &cid);
      if (c < 0) continue;
      int k = -1;
      for (int j = 0; j < ns && k < 0; j++)
        if (spec[j].port == pport[i] && spec[j].from == cid) k = j;
      if (k < 0) { /* not declared: closed before a byte is read */
        sc(SYS_close, c, 0, 0);
        relay_event("deny", pport[i], cid, 0);
        continue;
      }
      if (spec[k].to == 0) { /* the end point has no vsock (rtos): the relay answers for it */
        echo_once(c, 5000);
        relay_event("end", pport[i], cid, 0);
        continue;
      }
      int d = dial(spec[k].to, pport[i], 3000);
      if (d < 0) {
        sc(SYS_close, c, 0, 0);
        relay_event("fail", pport[i], cid, spec[k].to);
        continue;
      }
      long pid = sc6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
      if (pid == 0) pump(c, d);
      sc(SYS_close, c, 0, 0);
      sc(SYS_close, d, 0, 0);
      relay_event(pid > 0 ? "fwd" : "fail", pport[i], cid, spec[k].to);
    }
  }
}

static int do_wait(int argc, char **argv) {
  u64 port, secs;
  if (argc != 2 || !num(argv[0], &port) || !num(argv[1], &secs)) return 64;
  int l = listen_on((u32)port);
  if (l < 0) return 65;
  u64 end = now_ms() + secs * 1000;
  struct buf o = {{0}, 0};
  for (;;) {
    u64 t = now_ms();
    if (t >= end || !readable(l, (long)(end - t))) {
      put(&o, "timeout");
      flush(&o);
      return 2;
    }
    u32 cid;
    int c = accept_from(l, &cid);
    if (c < 0) continue;
    if (cid != VMADDR_CID_HOST) {
      sc(SYS_close, c, 0, 0);
      continue;
    }
    char b[32];
    long r = readable(c, 5000) ? sc(SYS_read, c, b, sizeof b) : 0;
    for (long i = 0; i < r && b[i] >= 'a' && b[i] <= 'z'; i++) {
      char w[2] = {b[i], 0};
      put(&o, w);
    }
    if (o.n > 0) sc(SYS_write, c, "ok\n", 3);
    sc(SYS_close, c, 0, 0);
    if (o.n == 0) continue;
    flush(&o);
    return 0;
  }
}

static int do_send(int argc, char **argv) {
  u64 cid, port, ms;
  if (argc != 4 || !num(argv[0], &cid) || !num(argv[1], &port) || !num(argv[3], &ms)) return 64;
  u64 end = now_ms() + ms;
  struct buf o = {{0}, 0};
  for (;;) {
    int fd = dial((u32)cid, (u32)port, 1000);
    if (fd >= 0) {
      char ack[4];
      sc(SYS_write, fd, argv[2], slen(argv[2]));
      sc(SYS_write, fd, "\n", 1);
      long r = readable(fd, 10000) ? sc(SYS_read, fd, ack, sizeof ack) : 0;
      sc(SYS_close, fd, 0, 0);
      if (r >= 2 && ack[0] == 'o' && ack[1] == 'k') {
        put(&o, "ok");
        flush(&o);
        return 0;
      }
    }
    if (now_ms() >= end) {
      put(&o, "fail");
      flush(&o);
      return 1;
    }
    sleep_ms(200);
  }
}

int cmain(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  int r = 64;
  struct ksigaction ign = {1, 0, 0, 0}; /* SIG_IGN: a peer that went away is an error code, not a kill */
  sc6(SYS_rt_sigaction, SIGPIPE, (long)&ign, 0, 8, 0, 0);
  if (argc >= 2) {
    const char *m = argv[1];
    if (streq(m, "serve")) r = do_serve(argc - 2, argv + 2);
    else if (streq(m, "connect")) r = do_connect(argc - 2, argv + 2);
    else if (streq(m, "relay")) r = do_relay(argc - 2, argv + 2);
    else if (streq(m, "wait")) r = do_wait(argc - 2, argv + 2);
    else if (streq(m, "send")) r = do_send(argc - 2, argv + 2);
  }
  quit(r);
  return r;
}
