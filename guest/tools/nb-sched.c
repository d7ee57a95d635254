// nb-sched: sets and reads back the Linux scheduling policy of one thread (busybox chrt has no
// SCHED_DEADLINE and cannot read a reservation back). Freestanding like vsock-probe (nb-rt.h).
// Used by the guest hypervisor's agent (guest/init.sh) to apply a guest's `vcpuServer` as a real
// CPU reservation on its vCPU threads, and to report every guest's policy as applied.
//
//   nb-sched dl TID RUNTIME_US DEADLINE_US PERIOD_US   SCHED_DEADLINE (constant-bandwidth server)
//   nb-sched get TID                                   prints "<policy> <prio> <runtime_us> <deadline_us> <period_us>"
//
// dl prints "ok" or "err<errno>" (and exits 0 / 1); only numbers come from the command line.

#include "nb-rt.h"

#define SYS_sched_setattr 274
#define SYS_sched_getattr 275
#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5
#define SCHED_DEADLINE 6

/* struct sched_attr, SCHED_ATTR_SIZE_VER0 (48 bytes) */
struct sched_attr {
  u32 size;
  u32 policy;
  u64 flags;
  int nice;
  u32 priority;
  u64 runtime;
  u64 deadline;
  u64 period;
};

static int report(long r) {
  struct buf o = {{0}, 0};
  if (r == 0) put(&o, "ok");
  else {
    put(&o, "err");
    putn(&o, (u64)-r);
  }
  flush(&o);
  return r == 0 ? 0 : 1;
}

static int set(u64 tid, struct sched_attr *a) {
  a->size = sizeof *a;
  return report(sc(SYS_sched_setattr, tid, a, 0));
}

static const char *policy_name(u32 p) {
  switch (p) {
    case SCHED_OTHER: return "other";
    case SCHED_FIFO: return "fifo";
    case SCHED_RR: return "rr";
    case SCHED_BATCH: return "batch";
    case SCHED_IDLE: return "idle";
    case SCHED_DEADLINE: return "deadline";
    default: return "unknown";
  }
}

int cmain(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  u64 tid = 0, v1 = 0, v2 = 0, v3 = 0;
  if (argc >= 3 && num(argv[2], &tid)) {
    const char *m = argv[1];
    if (streq(m, "dl") && argc == 6 && num(argv[3], &v1) && num(argv[4], &v2) && num(argv[5], &v3)) {
      struct sched_attr a = {0, SCHED_DEADLINE, 0, 0, 0, v1 * 1000, v2 * 1000, v3 * 1000};
      quit(set(tid, &a));
    }
    if (streq(m, "get") && argc == 3) {
      struct sched_attr a = {0, 0, 0, 0, 0, 0, 0, 0};
      long r = sc6(SYS_sched_getattr, (long)tid, (long)&a, sizeof a, 0, 0, 0);
      if (r != 0) quit(report(r));
      struct buf o = {{0}, 0};
      put(&o, policy_name(a.policy));
      put(&o, " ");
      putn(&o, a.priority);
      put(&o, " ");
      putn(&o, a.runtime / 1000);
      put(&o, " ");
      putn(&o, a.deadline / 1000);
      put(&o, " ");
      putn(&o, a.period / 1000);
      flush(&o);
      quit(0);
    }
  }
  quit(64);
  return 64;
}
