// Memory the stack needs besides the guests' own RAM, used by the static resource rules (NB3001,
// NB3002). Engineering figures from the prototype measurements (spec/emulation.md): an L2 VMM (QEMU
// with KVM, no TCG) in L1 keeps its binary, libraries and device state resident; L1 itself holds
// its kernel, the initramfs with the VMM and the guest images; L0 holds the same one level up plus
// L1's VMM. `nestbed run` reports the measured figures next to these.

/** Per L2 guest: its VMM's own overhead in L1 (RSS beyond guest RAM), MiB. */
export const VMM_OVERHEAD_MIB = 64;
/** L1 kernel, initramfs (VMM + guest images) and page cache, MiB. */
export const HYPERVISOR_BASE_MIB = 384;
/** L0 kernel, initramfs and L1's VMM overhead, MiB. */
export const L0_BASE_MIB = 512;
