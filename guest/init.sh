#!/bin/sh
# nestbed guest agent: the /init of every level (L0 emulated server, L1 guest hypervisor, L2 guests).
# Static file, shipped in the initramfs by `nestbed setup` with its helpers (guest/lib.sh, as
# /nb-agent.sh, which also describes the output protocol). Its input is the kernel command line:
# nb_* words that the host runner generates from a validated topology (numbers, single letters,
# feature names) -- never free text. L1 runs the launcher of the run's payload (guest/launch.sh).
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
. /nb-agent.sh
LV=$(arg nb_lv 0)
read KR </proc/sys/kernel/osrelease
ev init "\"u0\":$U0,\"k\":\"$KR\""
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
SI=$(arg nb_si 3)

# the run's payload (src/core/node/run/payload.ts): the launcher, its words and the os: custom
# guests' files, one newc archive. The host gives it to L0 as the fw_cfg file opt/nestbed/payload:
# read by L0's vCPU itself, the same instructions in every run (a host virtio disk's reads complete on
# the host's I/O threads, and deterministic runs then differed). L0 copies it into a disk of its
# tmpfs that L1 has had from its start, read-only: L0's own I/O, as deterministic as the rest of L0
# (fw_cfg at L1 would cost a nested trap per byte: 90 s measured). L1 unpacks it into /b and runs
# its launcher; nothing in it reaches a shell as a word.
# Warm stack (src/core/node/run/warm-stack.ts): both levels boot, then *wait* for the payload. The
# host snapshots the stack while they wait (its fw_cfg file is then a placeholder, not an archive),
# and every run resumes from such a snapshot in an emulator whose fw_cfg file is the run's payload.
# Nothing polls while the stack waits (a snapshot of a polling stack would spend the restored run's
# first instructions on the poll): L0 waits for the virt machine's power button (gpio-keys), which
# the host presses (QMP system_powerdown) on the restored stack before it lets it run, so L0 sees it
# at the same instruction in every run. L0 then loads the fw_cfg driver (it reads the directory of
# the emulator it now runs in), copies the archive behind the first 4 KiB of L1's disk, writes the
# header "NBPL1 <bytes>" there and says "go" on L1's console (its VMM's stdin), which L1 reads.
# A run without snapshot (--cold) finds the archive at once and writes the disk before L1 starts.
PDISK=/tmp/payload.img
FD=/sys/firmware/qemu_fw_cfg/by_name/opt/nestbed/payload
# the archive from fw_cfg onto L1's disk (0: there was one): by fw_cfg DMA (nb-fwcfg), else through
# the driver's sysfs file, whose reads are byte-wise and start over at every 4 KiB (quadratic: only
# for archives of a few KiB)
fwcopy() {
  s=0; for R in /proc/device-tree/fw-cfg@*/reg; do :; done
  if ! s=$(nb-fwcfg "$R" opt/nestbed/payload $PDISK 4096 2>/dev/null); then
    s=0; K=/lib/nb/$(uname -r); insmod $K/qemu_fw_cfg.ko 2>/dev/null; [ -r $FD/size ] && read s <$FD/size
    [ "${s:-0}" -gt 512 ] && dd if=$FD/raw of=$PDISK bs=4096 seek=1 conv=notrunc 2>/dev/null || s=0
    rmmod qemu_fw_cfg 2>/dev/null
  fi
  if [ "${s:-0}" -gt 512 ] && [ "$(dd if=$PDISK bs=4096 skip=1 count=1 2>/dev/null | head -c 6)" = 070701 ]; then
    printf 'NBPL1 %d\n' "$s" | dd of=$PDISK conv=notrunc 2>/dev/null; ev cdisk "\"ok\":1,\"n\":$s"; return 0
  fi
  return 1
}
if [ "$LV" = 0 ]; then
  dd if=/dev/zero of=$PDISK bs=1048576 seek=1024 count=0 2>/dev/null
  mkfifo /tmp/l1in
  PDD="-drive file=$PDISK,if=none,id=pl,format=raw,readonly=on -device virtio-blk-pci,drive=pl"
  if fwcopy; then PWAIT=; else PWAIT=1; insmod /lib/nb/$(uname -r)/evdev.ko 2>/dev/null; insmod /lib/nb/$(uname -r)/gpio_keys.ko 2>/dev/null; fi
  # the snapshot moment, once L1 waits too: L0 writes "panicked" to the pvpanic device, and the host
  # emulator (-action panic=pause) stops right after that instruction -- a point of the boot's own
  # execution, not a moment of the host's: two snapshots of the same stack are the same (deterministic
  # timing). The host then saves the stack; a restored run goes on from the next instruction.
  snappoint() {
    [ -n "$SNAP" ] && return; SNAP=1
    for d in /sys/bus/pci/devices/*; do
      [ "$(cat $d/vendor)" = 0x1b36 ] && [ "$(cat $d/device)" = 0x0011 ] || continue
      echo 1 >$d/enable 2>/dev/null; read a _ <$d/resource; devmem "$a" 8 1
    done
  }
  getpayload() {
    [ -n "$PWAIT" ] || return 0
    EVD=; for e in /sys/class/input/event*; do grep -q gpio "$e/device/name" 2>/dev/null && EVD=/dev/input/${e##*/}; done
    ev pwait
    if [ -n "$EVD" ]; then dd if=$EVD of=/dev/null bs=24 count=1 2>/dev/null; fi
    fwcopy || ev cdisk "\"ok\":0"
    # L1 waits on its console (its VMM's stdin) for this word
    echo go >/tmp/l1in
  }
else
  insmod /lib/nb/$(uname -r)/virtio_blk.ko 2>/dev/null
  n=0; while ! [ -b /dev/vda ] && [ $n -lt 100 ]; do usleep 50000; n=$((n + 1)); done
  if [ -b /dev/vda ]; then
    hdr() { blockdev --flushbufs /dev/vda 2>/dev/null || echo 1 >/proc/sys/vm/drop_caches; set -- $(head -c 32 /dev/vda | tr -cd 'A-Z0-9 \n' | head -n 1); [ "$1" = NBPL1 ] && [ "${2:-0}" -gt 0 ] && PN=$2; }
    # a warm stack's L1 waits on its console for L0's "go"
    PN=; if ! hdr; then stty -echo 2>/dev/null; ev pwait; while :; do w=; read -r w || sleep 1; [ "$w" = go ] && hdr && break; done; fi
    set -- x "$PN"
    ev cdisk "\"ok\":1,\"n\":$2"
    PD=/b && mkdir -p $PD && (cd $PD && dd if=/dev/vda bs=4096 skip=1 count=$((($2 + 4095) / 4096)) 2>/dev/null | cpio -i -d 2>/dev/null) && ev cunpack "\"n\":$(ls $PD | wc -l)"
  else
    ev cdisk "\"ok\":0"
  fi
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
      -display none -monitor none -net none -serial stdio -kernel /next/Image -initrd /next/l1.cpio $PDD \
      -pidfile /tmp/l1.pid -name l1,debug-threads=on \
      -append "console=ttyAMA0 $BK $L1NZ nb_lv=1" <>/tmp/l1in 2>&1
    echo "@{\"e\":\"vmexit\",\"rc\":$?}" ) | while IFS= read -r l; do echo "1|$l"; case $l in '@{"e":"pwait"'*) [ -n "$PWAIT" ] && snappoint ;; esac; done &
  # (the relay is a read loop, not sed: busybox sed reads one line ahead, so L1's last line waited
  # for the next -- measured: L1's "pwait" held back until L1 wrote again, 12 s or for good)
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
  getpayload
  wait $LP
  kill $SMP 2>/dev/null
  ev done
  poweroff -f
fi

# L1: run the payload's launcher with its words and the guests' images in /next; the launcher is the
# one the bundle carries (docs/bundles.md). It reports L1's full cpu feature list, not a difference
# to L0's: its log must stand alone as a launcher results directory (the host computes the difference)
if [ -z "$PD" ]; then ev payload "\"ok\":0"; poweroff -f; fi
NB_IMG=/next sh $PD/launch.sh $PD
poweroff -f
