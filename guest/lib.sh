# nestbed agent library: the helpers every level's agent shares. Sourced by /init (guest/init.sh, at
# L0, L1 and in the L2 guests, as /nb-agent.sh) and by the launcher of a run's payload
# (guest/launch.sh, which ships a copy beside itself). Reads $CMD (the nb_* words arg() looks up) and
# $LV (this level: 0, 1, 2). Output protocol (src/core/node/run/demux.ts,
# src/core/common/model/agent-events.ts):
#   "@{json}"      one event; keys are short because every L2 console byte is an MMIO trap
#                  forwarded through two levels
#   anything else  console text (kernel messages, VMM errors)
arg() { v=; for w in $CMD; do case $w in "$1="*) v=${w#*=} ;; esac; done; echo "${v:-$2}"; }
up() { read a _ </proc/uptime; echo "$a"; }
ev() { echo "@{\"e\":\"$1\",\"u\":$(up)${2:+,$2}}"; }
BK="quiet loglevel=1 mitigations=off nokaslr audit=0 apparmor=0 init_on_alloc=0 cpuidle.off=1 rcupdate.rcu_expedited=1 initcall_blacklist=load_system_certificate_list cryptomgr.notests"
Q=${NB_QEMU:-/usr/bin/qemu-system-aarch64}
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
# KVM exit counters (debugfs; they count live VMs only) under short keys, read with builtins only:
# every fork costs milliseconds at L0 and much more at L1, where it competes with the guests.
KS="x:exits mu:mmio_exit_user mk:mmio_exit_kernel wi:wfi_exit_stat we:wfe_exit_stat hv:hvc_exit_stat sg:signal_exits hw:halt_wakeup"
kvmstat() { s=; for kf in $KS; do v=; read v </sys/kernel/debug/kvm/${kf#*:} 2>/dev/null && s="$s${s:+,}\"${kf%%:*}\":$v"; done; echo "$s"; }
rss() { r=0; [ -n "$1" ] && [ -r /proc/$1/status ] && while read k v _; do [ "$k" = VmRSS: ] && r=$v; done </proc/$1/status; echo $r; }
pidof_() { p=; [ -r ${T:-/tmp}/$1.pid ] && read p <${T:-/tmp}/$1.pid; echo "$p"; }
# "k:tid " for each vCPU thread ("CPU k/KVM") of VMM process $1; a thread's affinity mask (hex)
vcpus_of() { local t cm k; for t in /proc/$1/task/*; do cm=; read cm <$t/comm 2>/dev/null; case $cm in "CPU "*"/KVM") k=${cm#CPU }; printf '%s ' "${k%/KVM}:${t##*/}" ;; esac; done; }
affinity() { taskset -p "$1" 2>/dev/null | sed 's/.*: //'; }
# evidence: KVM init lines (NV2 at L0), /dev/kvm, cpu features, memory; emitted after the VMs below started
evidence() {
  dmesg | grep -E 'initialized successfully|IPA Size Limit|Nested Virtualization|started at EL' | sed 's/^\[[ 0-9.]*\] //; s/"//g; s/\\/\//g' | while IFS= read -r l; do ev kvm "\"m\":\"$l\""; done
  [ -e /dev/kvm ] && ev kvmdev "\"ok\":1" || ev kvmdev "\"ok\":0"
  cpuev
  ev ready "$(meminfo),\"n\":$(grep -c '^processor' /proc/cpuinfo)"
}
