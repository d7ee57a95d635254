#!/bin/sh
# nestbed: run a deployment bundle's guests on this arm64 Linux host with /dev/kvm (docs/bundles.md).
#   sudo sh payload/run-on-host.sh [RESULTS_DIR]       (from anywhere; default ./nestbed-results)
# It unpacks the bundle's guest-hypervisor userland (images/l1.cpio: busybox, the VMM with its
# libraries, the agent tools, the guests' kernels and initramfs in next/) into a work directory, runs
# payload/launch.sh exactly as the emulated guest hypervisor does, and writes a launcher results
# directory that `nestbed report RESULTS_DIR` judges like any run (time base: this host's clock):
#   launcher.json  console.log  topology.yaml  plan.json  manifest.json  [profile.json]
# Needs: root (KVM, cpuset partitions, SCHED_DEADLINE), /dev/kvm, cpio; vhost_vsock for channels.
# NB_QEMU=qemu-system-aarch64 uses this host's VMM instead of the bundle's. Paths without blanks.
set -eu
B=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-./nestbed-results}
[ "$(uname -m)" = aarch64 ] || { echo "run-on-host: this host is $(uname -m); the guests need an arm64 host" >&2; exit 2; }
[ -c /dev/kvm ] || { echo "run-on-host: no /dev/kvm on this host" >&2; exit 2; }
[ -f "$B/images/l1.cpio" ] || { echo "run-on-host: $B/images/l1.cpio is missing: export the bundle with its images" >&2; exit 2; }
[ -e "$OUT" ] && { echo "run-on-host: $OUT exists; give another results directory" >&2; exit 2; }
W=$(mktemp -d /tmp/nestbed-host.XXXXXX)
cleanup() {
  for f in "$W"/tmp/g*.pid; do [ -r "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
  for d in /sys/fs/cgroup/c[0-9]* /sys/fs/cgroup/g[0-9]*/v /sys/fs/cgroup/g[0-9]*; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT INT TERM
mkdir -p "$W/root" "$W/bin" "$W/tmp" "$OUT"
(cd "$W/root" && cpio -i -d --quiet <"$B/images/l1.cpio")
"$W/root/bin/busybox" --install -s "$W/bin"
for t in vsock-probe nb-sched; do [ -x "$W/root/usr/bin/$t" ] && ln -s "$W/root/usr/bin/$t" "$W/bin/$t"; done
LD=$(ls "$W"/root/lib/ld-linux-aarch64.so.* 2>/dev/null | head -n 1)
QEMU=${NB_QEMU:-$LD --library-path $W/root/lib $W/root/usr/bin/qemu-system-aarch64}
cp "$B/topology.yaml" "$OUT/topology.yaml"
cp "$B/launch/plan.json" "$OUT/plan.json"
cp "$B/manifest.json" "$OUT/manifest.json"
[ -f "$B/profile.json" ] && cp "$B/profile.json" "$OUT/profile.json"
printf '{"format":"nestbed-launcher-results","formatVersion":1,"timeBase":"hardware","startedAt":"%s","host":"%s","bundle":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(uname -a | tr -d '"\\')" "$(sha256sum "$B/manifest.json" | cut -d' ' -f1)" >"$OUT/launcher.json"
# the launcher's stdout, routed as the emulated L0 relays L1's ("1|"), to the terminal and console.log
NB_IMG="$W/root/next" NB_QEMU="$QEMU" NB_WORK="$W/tmp" PATH="$W/bin:$PATH" sh "$B/payload/launch.sh" "$B/payload" 2>&1 |
  awk '{ print "1|" $0; fflush() }' | tee "$OUT/console.log"
echo "run-on-host: results in $OUT; judge them with: nestbed report $OUT" >&2
