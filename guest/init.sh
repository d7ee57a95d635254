#!/bin/sh
# nestbed guest agent: the /init of every level (L0 emulated server, L1 guest hypervisor, L2 guests).
# Static file, shipped in the initramfs by `nestbed setup`. Its only input is the kernel command
# line: nb_* words that the host runner generates from a validated topology (numbers, single
# letters, feature names) -- never free text. Output protocol (see src/core/node/run/demux.ts):
#   "@{json}"      one event; keys are short because every L2 console byte is an MMIO trap
#                  forwarded through two levels
#   anything else  console text (kernel messages, VMM errors)
# A level prefixes every line it relays from the VM below with a route: "1|" (L1), "2.<i>|" (guest i).
# The parent adds the route, so a guest cannot speak for another guest.
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
read U0 _ </proc/uptime
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
CMD=$(cat /proc/cmdline)
arg() { v=; for w in $CMD; do case $w in "$1="*) v=${w#*=} ;; esac; done; echo "${v:-$2}"; }
up() { read a _ </proc/uptime; echo "$a"; }
ev() { echo "@{\"e\":\"$1\",\"u\":$(up)${2:+,$2}}"; }
LV=$(arg nb_lv 0)
ev init "\"u0\":$U0"
BK="quiet loglevel=1 mitigations=off nokaslr audit=0 apparmor=0 init_on_alloc=0 cpuidle.off=1 rcupdate.rcu_expedited=1 initcall_blacklist=load_system_certificate_list cryptomgr.notests"
Q=/usr/bin/qemu-system-aarch64
feats() { grep -m1 '^Features' /proc/cpuinfo | sed 's/^Features[[:space:]]*:[[:space:]]*//'; }
# cpu features: L0 reports the full list, deeper levels the difference to their parent's list
cpuev() {
  f=$(feats); pf=$(arg nb_pf | tr , ' ')
  if [ "$LV" = 0 ] || [ -z "$pf" ]; then ev cpu "\"f\":\"$f\""; return; fi
  d=; for x in $f; do case " $pf " in *" $x "*) ;; *) d="$d +$x" ;; esac; done
  for x in $pf; do case " $f " in *" $x "*) ;; *) d="$d -$x" ;; esac; done
  CD=${d# }
  ev cpu "\"d\":\"$CD\""
}
meminfo() { awk '/^MemTotal:/{t=$2} /^MemAvailable:/{a=$2} END{printf "\"mt\":%d,\"ma\":%d", t, a}' /proc/meminfo; }

# control port of the agents (outside the 16-bit range a topology can declare: src/core/node/stack/channels.ts)
CTL=100000
if [ "$LV" = 2 ]; then
  # vsock (orchestrated runs): the modules, then an echo server on every port a declared channel
  # reaches this guest on (vsock-probe accepts only L1, CID 2: the relay is the only way in)
  VS=$(arg nb_vs 0); VX=
  if [ "$VS" = 1 ]; then
    K=/lib/nb/$(uname -r); n=0
    for m in vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport; do insmod $K/$m.ko 2>/dev/null && n=$((n + 1)); done
    LP=$(arg nb_vl | tr . ' ')
    [ -n "$LP" ] && vsock-probe serve $LP >/dev/null 2>&1 &
    VX=",\"vs\":$n"
  fi
  ev ready "$(meminfo)$VX"
  # (the test hook lets the ready line leave the tty before the crash's printk)
  if [ "$(arg nb_panic 0)" = 1 ]; then sleep 1; echo c >/proc/sysrq-trigger; fi
  cpuev
  SP=; NICE=; command -v nice >/dev/null 2>&1 && NICE="nice -n 19"
  stress() {
    set -- $(arg nb_st 0,0 | tr , ' ')
    if [ "$1" -gt 0 ]; then
      i=0; while [ $i -lt "$1" ]; do $NICE sh -c 'while :; do :; done' & SP="$SP $!"; i=$((i + 1)); done
      if [ "$2" -gt 0 ]; then $NICE sh -c "while :; do dd if=/dev/zero of=/tmp/stress bs=1M count=$2 2>/dev/null; rm -f /tmp/stress; done" & SP="$SP $!"; fi
      ev stress "\"c\":$1,\"m\":$2"
    fi
  }
  # declared channels from this guest: k-port (through the relay, CID 2); undeclared attempts: u-cid-port
  probes() {
    for s in $(arg nb_vc | tr . ' '); do
      set -- $(vsock-probe connect 2 "${s#*-}" 3000 20); ev ch "\"k\":${s%%-*},\"r\":\"$1\",\"n\":${2:-0},\"ms\":${3:-0}"
    done
    for s in $(arg nb_vu | tr . ' '); do
      set -- $(echo "$s" | tr - ' '); u=$1
      set -- $(vsock-probe connect "$2" "$3" 800 1); ev ux "\"i\":$u,\"r\":\"$1\",\"ms\":${3:-0}"
    done
    ev chd
  }
  # isolation (b): read a guest-physical address 16 MiB above the end of this guest's RAM (an IPA no
  # memory slot backs) through /dev/mem; what happens must stay inside this guest
  spatial() {
    e=$(awk -F'[- ]' '/^[0-9a-f]+-[0-9a-f]+ : System RAM/{x=$2} END{print x}' /proc/iomem)
    a=$(printf '0x%x' $((0x${e:-0} + 0x1000001)))
    v=$(devmem "$a" 32 2>/dev/null); rc=$?
    ev sp "\"a\":\"$a\",\"rc\":$rc,\"v\":\"$(echo "$v" | tr -cd '0-9a-fA-Fx')\""
  }
  [ "$VS" = 1 ] || stress
  set -- $(arg nb_cy 0,0 | tr , ' ')
  if [ "$1" -gt 0 ]; then
    ev cyc0
    cyclictest -m -q -p 90 -i "$1" -l "$2" -h 20000 --histfile=/tmp/h >/dev/null 2>/tmp/cyc.err
    rc=$?
    r=$(awk '/^#/{ if ($2=="Min") mn=$4+0; if ($2=="Avg") av=$4+0; if ($2=="Max") mx=$4+0; if ($2=="Histogram" && $3=="Overflows:") of=$4+0; next }
      $2>0 { b=1; while (b <= $1+0) b*=2; h[b]+=$2 }
      END { s=""; for (b=1; b<=32768; b*=2) if (h[b]) s=s (s?",":"") "[" b "," h[b] "]"; printf "\"min\":%d,\"avg\":%d,\"max\":%d,\"of\":%d,\"h\":[%s]", mn, av, mx, of, s }' /tmp/h 2>/dev/null)
    ev cyc "\"rc\":$rc,${r:-\"min\":0}"
  fi
  if [ "$VS" = 1 ]; then
    # L1 sequences the run (channel probes, idle and stress phases, fault injection): commands are
    # single words on the control port, from L1 only
    while c=$(vsock-probe wait $CTL 900); do
      case $c in
        probe) probes ;;
        stress) stress ;;
        spatial) spatial ;;
        panic) ev panicking; sleep 1; echo c >/proc/sysrq-trigger ;;
        ping) ev alive ;;
        *) break ;;
      esac
    done
  else
    sleep "$(arg nb_hold 0)"
  fi
  [ -n "$SP" ] && kill $SP 2>/dev/null
  # the cpu diff again: once a 'cpu' line arrived without its first 16 characters (cause found later:
  # L1's relay 'read' restarted on SIGCHLD, see relay(); kept as a second chance). The last line is
  # written in the background and waited for at
  # most 5 s: once in CI a guest's console output stopped for good (its TX interrupt never came) and
  # the guest, blocked in that write, never powered off
  ( ev bye "$(meminfo),\"d\":\"$CD\"" ) &
  w=$!; n=0; while kill -0 $w 2>/dev/null && [ $n -lt 50 ]; do usleep 100000; n=$((n + 1)); done
  poweroff -f
fi

mount -t debugfs none /sys/kernel/debug 2>/dev/null
# KVM exit counters (debugfs; they count live VMs only) under short keys, read with builtins only:
# every fork costs milliseconds at L0 and much more at L1, where it competes with the guests.
KS="x:exits mu:mmio_exit_user mk:mmio_exit_kernel wi:wfi_exit_stat we:wfe_exit_stat hv:hvc_exit_stat sg:signal_exits hw:halt_wakeup"
kvmstat() { s=; for kf in $KS; do v=; read v </sys/kernel/debug/kvm/${kf#*:} 2>/dev/null && s="$s${s:+,}\"${kf%%:*}\":$v"; done; echo "$s"; }
rss() { r=0; [ -n "$1" ] && [ -r /proc/$1/status ] && while read k v _; do [ "$k" = VmRSS: ] && r=$v; done </proc/$1/status; echo $r; }
pidof_() { p=; [ -r /tmp/$1.pid ] && read p </tmp/$1.pid; echo "$p"; }
# "k:tid " for each vCPU thread ("CPU k/KVM") of VMM process $1; a thread's affinity mask (hex)
vcpus_of() { local t cm k; for t in /proc/$1/task/*; do cm=; read cm <$t/comm 2>/dev/null; case $cm in "CPU "*"/KVM") k=${cm#CPU }; printf '%s ' "${k%/KVM}:${t##*/}" ;; esac; done; }
affinity() { taskset -p "$1" 2>/dev/null | sed 's/.*: //'; }
SI=$(arg nb_si 3)
# the kernel command line for the level below: our own nb_* words (except per-level ones) + our features
F=$(feats | tr ' ' ,)
# evidence: KVM init lines (NV2 at L0), /dev/kvm, cpu features, memory; emitted after the VMs below started
evidence() {
  dmesg | grep -E 'initialized successfully|IPA Size Limit|Nested Virtualization|started at EL' | sed 's/^\[[ 0-9.]*\] //; s/"//g; s/\\/\//g' | while IFS= read -r l; do ev kvm "\"m\":\"$l\""; done
  [ -e /dev/kvm ] && ev kvmdev "\"ok\":1" || ev kvmdev "\"ok\":0"
  cpuev
  ev ready "$(meminfo),\"n\":$(grep -c '^processor' /proc/cpuinfo)"
}
fwd() { for w in $CMD; do case $w in nb_lv=* | nb_pf=* | nb_l1=*) ;; nb_*) printf '%s ' "$w" ;; esac; done; }

# os: custom guests (nb_cu=1): the user's files come on a read-only virtio-blk disk holding one newc
# archive (src/core/node/custom-image.ts); L0 hands the disk on to L1, L1 unpacks it into /c
CU=$(arg nb_cu 0); CUD=
if [ "$CU" = 1 ]; then
  insmod /lib/nb/$(uname -r)/virtio_blk.ko 2>/dev/null
  n=0; while ! [ -b /dev/vda ] && [ $n -lt 100 ]; do usleep 50000; n=$((n + 1)); done
  [ -b /dev/vda ] && CUD="-drive file=/dev/vda,if=none,id=cu,format=raw,readonly=on -device virtio-blk-pci,drive=cu"
  ev cdisk "\"ok\":$([ -b /dev/vda ] && echo 1 || echo 0)"
fi

if [ "$LV" = 0 ]; then
  set -- $(arg nb_l1 1,512 | tr , ' ')
  # housekeeping: with more emulated cores than L1 has vCPUs, L0's own work -- this agent, the L1
  # VMM's main loop and I/O threads (device emulation for L1's console and timers) -- runs on the
  # cores no L1 vCPU uses; each vCPU thread is moved to its own core below
  NC=$(grep -c '^processor' /proc/cpuinfo)
  # (no spare core: the cores of L1's CPUs that are not partitions, i.e. where L1's own work runs)
  HK=; if [ "$NC" -gt "$1" ]; then HK="$1-$((NC - 1))"
  else c=0; while [ $c -lt "$1" ]; do case ".$(arg nb_dp x)." in *".$c."*) ;; *) HK="$HK${HK:+,}$c" ;; esac; c=$((c + 1)); done; fi
  [ -n "$HK" ] && taskset -p -c "$HK" $$ >/dev/null 2>&1
  ev hk "\"c\":\"${HK:-all}\""
  # L1's memory stays where it is: locked as it is faulted in (-overcommit mem-lock=on-fault below),
  # never migrated by compaction, no proactive compaction. Every move of L1's memory is an MMU notifier
  # event that makes L0's KVM drop the shadow stage-2 tables of *every* nested guest, which then
  # re-fault their working sets: measured, a 2.8 ms stall of the safety rtos and 3 deadline misses
  # while the other guests booted, gone with this (docs/emulation-notes.md). (transparent_hugepage=never
  # instead was measured to more than double every boot: L1's memory then maps in 4 KiB pages.)
  echo 0 >/proc/sys/vm/compaction_proactiveness 2>/dev/null
  echo 0 >/proc/sys/vm/compact_unevictable_allowed 2>/dev/null
  # with that housekeeping, L1's partition CPUs (one guest's vCPU threads each) get no scheduler tick
  # while a single task runs there (every tick is a nested exit of that guest) and no RCU callbacks;
  # measured better together, worse alone (docs/emulation-notes.md: the realistic example's ADAS
  # latency max 2100 -> 4832 us with 3 cores, 1085 us with a fourth core for housekeeping)
  L1NZ=; DPC=$(arg nb_dp x | tr . ,); [ "$DPC" != x ] && [ "$NC" -gt "$1" ] && L1NZ="nohz_full=$DPC rcu_nocbs=$DPC"
  ( $Q -M virt,virtualization=on,gic-version=3 -accel kvm -cpu host -smp "$1" -m "$2"M -overcommit mem-lock=on-fault -nodefaults -no-user-config \
      -display none -monitor none -net none -serial stdio -kernel /next/Image -initrd /next/l1.cpio $CUD \
      -pidfile /tmp/l1.pid -name l1,debug-threads=on \
      -append "console=ttyAMA0 $BK $L1NZ nb_lv=1 nb_pf=$F $(fwd)" </dev/null 2>&1
    echo "@{\"e\":\"vmexit\",\"rc\":$?}" ) | sed 's/^/1|/' &
  LP=$!
  ev vmstart
  # pin L1's vCPU k thread to L0 CPU k when L0 has a CPU for each: the guest hypervisor's CPUs (and
  # the partitions made on them) then do not wander between, or share, the emulated cores
  if [ "$1" -le "$(grep -c '^processor' /proc/cpuinfo)" ]; then
    n=0; while [ $n -lt 100 ] && ! [ -s /tmp/l1.pid ]; do usleep 50000; n=$((n + 1)); done
    p=$(pidof_ l1); m=; n=0
    while [ -n "$p" ] && [ $n -lt 100 ]; do
      m=; c=0
      for e in $(vcpus_of "$p"); do k=${e%%:*}; tid=${e#*:}
        taskset -p -c "$k" "$tid" >/dev/null 2>&1 && c=$((c + 1)); m="$m${m:+,}\"$k\":\"$(affinity "$tid")\""; done
      [ "$c" -ge "$1" ] && break; usleep 50000; n=$((n + 1))
    done
    ev l1pin "\"m\":{$m}"
  fi
  evidence
  ( while sleep "$SI"; do ev s "\"k\":{$(kvmstat)},\"r\":[$(rss "$(pidof_ l1)")]"; done ) &
  SMP=$!
  wait $LP
  kill $SMP 2>/dev/null
  ev done
  poweroff -f
fi

# L1: start every guest (nb_g<i>=vcpus,memMiB,pins(.-separated),os(l|r|o),budget,period,cycInt,cycLoops,stressCpu,stressMiB,reservation(d|c|p|o);
# rtos guests also nb_r<i>=<their rtos words joined by '+'>, generated by rtosCommandLineWords)
mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null && echo "+cpu +cpuset" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
N=$(arg nb_n 0)
# reservations: each CPU in nb_dp becomes a cpuset partition before any guest starts — a root domain
# of its own, so SCHED_DEADLINE admits the vCPU threads there; the VMMs of the guests pinned to it
# start inside it, and L1's own tasks keep the other CPUs; deadline enforcement by high-resolution
# timer instead of the 4 ms tick
DP=$(arg nb_dp x | tr . ' '); [ "$DP" = x ] && DP=
for c in $DP; do
  d=/sys/fs/cgroup/c$c; mkdir -p $d; echo "$c" >$d/cpuset.cpus 2>/dev/null; echo root >$d/cpuset.cpus.partition 2>/dev/null
  read st <$d/cpuset.cpus.partition; ev part "\"c\":$c,\"st\":\"$st\""
done
[ -n "$DP" ] && echo HRTICK_DL >/sys/kernel/debug/sched/features 2>/dev/null
# the rtos guests' memory is locked as it is faulted in (-overcommit below) and never migrated: a
# moved page is a stage-2 unmap and a TLB invalidation that L0 turns into a shadow stage-2 rebuild;
# huge pages stay on, but no compaction to make them (defrag): measured, the compaction after the
# planned panic's VM teardown stalled the safety rtos for 6.75 ms (8 misses), none with this
# (docs/emulation-notes.md)
echo 0 >/proc/sys/vm/compaction_proactiveness 2>/dev/null
echo 0 >/proc/sys/vm/compact_unevictable_allowed 2>/dev/null
echo never >/sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null
echo 0 >/sys/kernel/mm/transparent_hugepage/khugepaged/defrag 2>/dev/null
# orchestrated runs (nb_ph): vhost-vsock for the guests' vsock devices, and the relay, which forwards
# only the declared from→to:port connections (nb_rl=port.fromCid.toCid,...; src/core/node/stack/channels.ts)
PH=$(arg nb_ph); VSG=" $(arg nb_vs | tr . ' ') "
if [ -n "$PH" ]; then
  K=/lib/nb/$(uname -r); n=0
  for m in vsock vmw_vsock_virtio_transport_common vhost_iotlb vhost vhost_vsock; do insmod $K/$m.ko 2>/dev/null && n=$((n + 1)); done
  ev vsk "\"m\":$n,\"dev\":$([ -e /dev/vhost-vsock ] && echo 1 || echo 0)"
  RL=$(arg nb_rl | tr , ' ')
  [ -n "$RL" ] && vsock-probe relay $RL &
fi
mkdir -p /tmp/chd
ctl() { [ "$(vsock-probe send $(($1 + 3)) $CTL "$2" 60000)" = ok ] || ev ctlerr "\"g\":$1,\"c\":\"$2\""; }
# the run's phases, once every guest is ready: channel probes → idle → stress → fault → end
orch() {
  [ -n "$PH" ] || return 0
  set -- $(echo "$PH" | tr , ' '); IDLE=$1; STR=$2; FG=$3; AFT=$4; SG=${5:-x}
  ev ph "\"p\":\"probe\""
  for g in $VSG; do ctl $g probe; done
  for s in $(arg nb_vr | tr . ' '); do
    set -- $(echo "$s" | tr - ' '); k=$1
    set -- $(vsock-probe connect "$2" "$3" 3000 20); ev ch "\"k\":$k,\"r\":\"$1\",\"n\":${2:-0},\"ms\":${3:-0}"
  done
  w=0; while [ $w -lt 120 ]; do d=0; for g in $VSG; do [ -e /tmp/chd/$g ] && d=$((d + 1)); done; set -- $VSG; [ $d -ge $# ] && break; sleep 1; w=$((w + 1)); done
  ev ph "\"p\":\"idle\""
  sleep "$IDLE"
  ev ph "\"p\":\"stress\""
  for g in $VSG; do set -- $(arg "nb_g$g" | tr , ' '); [ "$9" -gt 0 ] && ctl $g stress; done
  sleep "$STR"
  if [ "$SG" != x ]; then
    ev ph "\"p\":\"spatial\",\"g\":$SG"
    ctl "$SG" spatial
    sleep 1
    ctl "$SG" ping
  fi
  if [ "$FG" != x ]; then
    ev ph "\"p\":\"fault\",\"g\":$FG"
    ctl "$FG" panic
    sleep "$AFT"
    for g in $VSG; do [ "$g" = "$FG" ] || ctl $g ping; done
  fi
  ev ph "\"p\":\"end\""
  for g in $VSG; do [ "$g" = "$FG" ] || ctl $g end; done
  : >/tmp/orchdone
}
# guard I: at guest I's ready marker, pin each vCPU thread ("CPU k/KVM") to its L1 CPU pins[k] (the
# VMM already runs under taskset on the union of its pins, which is exact for 1-vCPU guests), apply
# the guest's reservation (field 11 of nb_g<i>, src/core/node/stack/plan.ts reservationOf):
#   d  SCHED_DEADLINE runtime/period on each vCPU thread (the VMM runs in its CPU's cpuset partition)
#   c  cgroup v2 cpu.max on the vCPU threads (vcpus x runtime per period)
#   p  nothing more: the VMM already runs in its CPU's partition (dedicated CPU)
#   o  nothing (shared without a server)
# and read affinity and policy back. Nothing polls: every fork in L1 competes with the guests' boot.
guard() {
  local i j k e cpu tid p m s ok q r kind pins pid g
  i=$1; set -- $(arg "nb_g$i" | tr , ' '); pins=$(echo "$3" | tr . ' '); kind=${11:-o}
  pid=$(pidof_ g$i); m=; s=; ok=1; q=
  if [ "$kind" = c ]; then
    # threaded cgroup: the cap applies to the vCPU threads only, not to the VMM's I/O threads
    g=/sys/fs/cgroup/g$i; mkdir -p $g/v
    { echo threaded >$g/v/cgroup.type && echo +cpu >$g/cgroup.subtree_control && echo "$pid" >$g/cgroup.procs; } 2>/dev/null || ok=0
  fi
  for e in $(vcpus_of "$pid"); do
    k=${e%%:*}; tid=${e#*:}; j=0; cpu=
    for p in $pins; do [ $j = "$k" ] && cpu=$p; j=$((j + 1)); done
    [ -n "$cpu" ] && [ "$1" -gt 1 ] && taskset -p -c "$cpu" "$tid" >/dev/null 2>&1
    case $kind in
      d) r=$(nb-sched dl "$tid" "$5" "$6" "$6"); [ "$r" = ok ] || { ok=0; q="$r"; } ;;
      c) [ $ok = 1 ] && { echo "$tid" >$g/v/cgroup.threads; } 2>/dev/null || ok=0 ;;
    esac
    m="$m${m:+,}\"$k\":\"$(affinity "$tid")\""
    s="$s${s:+,}\"$k\":\"$(nb-sched get "$tid")\""
  done
  if [ "$kind" = c ] && [ $ok = 1 ]; then { echo "$(($1 * $5)) $6" >$g/v/cpu.max && read q <$g/v/cpu.max; } 2>/dev/null || ok=0; fi
  ev pin "\"g\":$i,\"m\":{$m},\"s\":{$s},\"k\":\"$kind\",\"ok\":$ok${q:+,\"q\":\"$q\"},\"r\":$(rss "$pid")"
}
# L1's evidence and counter sampling start once every guest is ready (or at the end if one never
# is): every fork in L1 while the guest VMMs start costs them seconds (measured: an L1 'ready' event
# with two forks took 4.3 s of wall time then, see docs/emulation-notes.md).
mkdir -p /tmp/rdy
sampler() { while :; do r=; j=0; while [ $j -lt "$N" ]; do r="$r${r:+,}$(rss "$(pidof_ g$j)")"; j=$((j + 1)); done
  ev s "\"k\":{$(kvmstat)},\"r\":[$r]"; sleep "$SI"; done; }
monitor() { mkdir /tmp/mon 2>/dev/null || return 0; evidence; sampler & echo $! >/tmp/smp.pid; orch & }
allready() { set -- /tmp/rdy/*; [ -e "$1" ] && [ $# -ge "$N" ]; }
# relay I: prefix every line of guest I's console with its route; start its guard at its ready marker.
# Work started from a relay is detached, ( job & ), so that it is not the relay's child: busybox ash
# restarts a 'read' that a signal interrupts (SIGCHLD of a finished background job) and drops the
# bytes of the line read so far -- the cause of console lines that lost their first characters
relay() {
  while IFS= read -r l; do
    echo "2.$1|$l"
    case $l in
      '@{"e":"ready"'*) ( guard "$1" & ); : >/tmp/rdy/$1; ( allready && monitor & ) ;;
      '@{"e":"chd"'*) : >/tmp/chd/$1 ;;
    esac
  done
}
# relay of an os: custom guest: its console is text only -- nothing it prints is an agent event
# (the collector ignores '@{' lines on its route) -- and its ready marker is the first line that
# contains its readyLine (/c/c<i>/ready, compared literally), or its first line; it runs until the
# hold time after ready has passed (and the run's phases are over), then L1 stops its VMM
crelay() {
  local r= RDY=; [ -r /c/c$1/ready ] && RDY=$(cat /c/c$1/ready)
  while IFS= read -r l; do
    echo "2.$1|$l"
    [ -n "$r" ] && continue
    case $l in *"$RDY"*) r=1; ev cready "\"g\":$1"; ( guard "$1" & ); : >/tmp/rdy/$1; ( allready && monitor & )
      ( ( sleep "$(arg nb_hold 0)"; [ -n "$PH" ] && while ! [ -e /tmp/orchdone ]; do sleep 1; done
        : >/tmp/cstop$1; kill -9 "$(pidof_ g$1)" 2>/dev/null ) & ) ;;
    esac
  done
}
if [ "$CU" = 1 ]; then mkdir -p /c && (cd /c && cpio -i -d 2>/dev/null </dev/vda); ev cunpack "\"n\":$(ls /c | wc -l)"; fi
exec 3>&1
i=0; PIDS=
while [ $i -lt "$N" ]; do
  set -- $(arg "nb_g$i" | tr , ' ')
  PA=; [ "$(arg nb_panic -1)" = $i ] && PA=nb_panic=1
  K=/next/Image; INI="-initrd /next/l2.cpio"; APP="console=ttyAMA0 $BK nb_lv=2 nb_id=$i nb_cy=$7,$8 nb_st=$9,${10} nb_hold=$(arg nb_hold 0) $PA nb_pf=$F"
  [ "$4" = r ] && [ -e /next/Image-rt ] && K=/next/Image-rt
  # os: rtos -- the bare-metal rtos image (docs/rtos.md), no initramfs; its words come as nb_r<i>, '+' for blanks
  ML=; if [ "$4" = o ]; then K=/next/rtos.Image; INI=; APP="console=ttyAMA0 $(arg "nb_r$i" | tr + ' ')"; ML="-overcommit mem-lock=on-fault"; fi
  # os: custom -- the user's kernel, initrd and command line, verbatim (one argv word, never evaluated)
  if [ "$4" = u ]; then K=/c/c$i/kernel; INI=; [ -e /c/c$i/initrd ] && INI="-initrd /c/c$i/initrd"; APP=$(cat /c/c$i/cmdline 2>/dev/null); fi
  # vsock: device + the guest's own channel words; the planned fault victim reboots on panic, and
  # -no-reboot turns that into a VMM exit L1 can report
  DEV=; case $VSG in *" $i "*) DEV="-device vhost-vsock-pci,guest-cid=$((i + 3))"
    APP="$APP nb_vs=1 nb_vl=$(arg "nb_vl$i") nb_vc=$(arg "nb_vc$i") nb_vu=$(arg "nb_vu$i")" ;; esac
  [ -n "$PH" ] && [ "$(echo "$PH" | cut -d, -f3)" = "$i" ] && APP="$APP panic=-1"
  CG=; case "${11}" in d | p) case " $DP " in *" ${3%%.*} "*) CG=/sys/fs/cgroup/c${3%%.*}/cgroup.procs ;; esac ;; esac
  ev vmstart "\"g\":$i"
  ( [ -n "$CG" ] && read -r self _ </proc/self/stat && echo "$self" >$CG
    taskset -c "$(echo "$3" | tr . ,)" $Q -M virt,gic-version=3 -accel kvm -cpu host -smp "$1" -m "$2"M $ML -nodefaults -no-user-config -display none \
      -monitor none -net none -serial stdio -kernel $K $INI -pidfile /tmp/g$i.pid -name g$i,debug-threads=on -no-reboot $DEV \
      -append "$APP" </dev/null 2>&1
    rc=$?
    if [ "$4" = u ]; then ev cexit "\"g\":$i,\"rc\":$rc,\"st\":$([ -e /tmp/cstop$i ] && echo 1 || echo 0)" >&3
    else echo "@{\"e\":\"vmexit\",\"rc\":$rc}"; fi ) | if [ "$4" = u ]; then crelay $i; else relay $i; fi &
  PIDS="$PIDS $!"
  i=$((i + 1))
done
for p in $PIDS; do wait $p; done
monitor
SMP=; [ -r /tmp/smp.pid ] && read SMP </tmp/smp.pid
[ -n "$SMP" ] && kill $SMP 2>/dev/null
ev done
poweroff -f
