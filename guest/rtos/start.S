/* nestbed rtos: entry, exception vectors and the interrupt frame.
 *
 * Booted like a Linux arm64 "Image" (Documentation/arch/arm64/booting.rst): QEMU -kernel reads the
 * 64-byte header below, loads the image at a 2 MiB-aligned RAM address (0x40200000 on virt) and
 * enters at the first instruction in EL1 (or EL2 with virtualization=on), MMU off, x0 = the
 * physical address of the DTB. The image is linked at 0x40200000 and checks that it runs there. */

#define STACK_SIZE 0x10000
#define FRAME 192 /* x0-x18, x29, x30, ELR_EL1, SPSR_EL1, pad: 16-byte aligned */

    .section .text.head, "ax"
    .globl _start
_start:
    b       primary_entry            /* code0 */
    .long   0                        /* code1 */
    .quad   0                        /* text_offset: QEMU then loads at RAM base + 2 MiB */
    .quad   __image_size             /* effective image size, bss and stacks included */
    .quad   0x2                      /* flags: little-endian, 4 KiB pages, base near DRAM start */
    .quad   0, 0, 0                  /* res2..res4 */
    .ascii  "ARM\x64"                /* magic */
    .long   0                        /* res5 (no PE/COFF header) */

primary_entry:
    mov     x19, x0                  /* DTB */
    mrs     x20, cntvct_el0          /* counter at the first instruction (ready "u0") */
    adr     x1, _start
    ldr     x2, =_start
    cmp     x1, x2
    b.ne    .Lwrong_address
    ldr     x1, =__stack_top         /* vCPU 0 stack: the top slot */
    mov     sp, x1
    bl      drop_to_el1
    /* zero .bss (the stacks are not in .bss) */
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    stp     xzr, xzr, [x1], #16
    b       1b
2:  adr     x1, vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    mov     x1, x20
    bl      primary_main             /* never returns */
    b       .Lhang

.Lwrong_address:
    /* Loaded somewhere else than linked: say so on the virt PL011 and stop. */
    adr     x1, .Lwrong_msg
    mov     x2, #0x09000000
3:  ldrb    w3, [x1], #1
    cbz     w3, .Lhang
    str     w3, [x2]
    b       3b
.Lhang:
    msr     daifset, #0xf
    wfi
    b       .Lhang
.Lwrong_msg:
    .asciz  "@{\"e\":\"err\",\"m\":\"image not loaded at its link address 0x40200000\"}\n"
    .balign 4

/* PSCI CPU_ON entry for vCPU n (x0 = context id = n): stack slot n below the top. */
    .globl  secondary_entry
secondary_entry:
    mov     x19, x0
    ldr     x1, =__stack_top
    mov     x2, #STACK_SIZE
    msub    x1, x19, x2, x1
    mov     sp, x1
    bl      drop_to_el1
    adr     x1, vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    bl      secondary_main
    b       .Lhang

/* If entered at EL2 (QEMU virtualization=on), configure EL2 minimally and continue at EL1h with
 * the same stack pointer. At EL1 this is a no-op. Clobbers x0-x2. */
drop_to_el1:
    mrs     x0, CurrentEL
    lsr     x0, x0, #2
    cmp     x0, #2
    b.ne    1f
    mov     x0, #(1 << 31)           /* HCR_EL2.RW: EL1 is AArch64; E2H/TGE clear, no traps */
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2
    orr     x0, x0, #3               /* EL1PCTEN | EL1PCEN */
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mrs     x0, S3_4_C12_C9_5        /* ICC_SRE_EL2 */
    orr     x0, x0, #0xf             /* SRE | DFB | DIB | Enable (EL1 may use ICC_SRE_EL1) */
    msr     S3_4_C12_C9_5, x0
    isb
    msr     cptr_el2, xzr            /* no FP/SIMD traps (unused, but harmless) */
    ldr     x0, =0x30d00800          /* SCTLR_EL1: RES1 bits, MMU and caches off */
    msr     sctlr_el1, x0
    mov     x0, #0x3c5               /* SPSR: EL1h, D A I F masked */
    msr     spsr_el2, x0
    adr     x0, 1f
    msr     elr_el2, x0
    mov     x0, sp
    msr     sp_el1, x0
    eret
1:  ldr     x0, =0x30d00800
    msr     sctlr_el1, x0
    isb
    ret

/* ── exception vectors ─────────────────────────────────────────────────────────────────────────── */
.macro ventry label, kind
    .balign 0x80
    sub     sp, sp, #FRAME
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       \label
.endm

    .section .text.vectors, "ax"
    .balign 2048
vectors:
    ventry  exc_other, 0             /* current EL, SP0: sync */
    ventry  exc_other, 1             /*   irq */
    ventry  exc_other, 2             /*   fiq */
    ventry  exc_other, 3             /*   serror */
    ventry  exc_other, 4             /* current EL, SPx: sync */
    ventry  irq_entry, 5             /*   irq: the scheduler */
    ventry  exc_other, 6             /*   fiq */
    ventry  exc_other, 7             /*   serror */
    ventry  exc_other, 8             /* lower EL, AArch64 */
    ventry  exc_other, 9
    ventry  exc_other, 10
    ventry  exc_other, 11
    ventry  exc_other, 12            /* lower EL, AArch32 */
    ventry  exc_other, 13
    ventry  exc_other, 14
    ventry  exc_other, 15

/* Save the caller-saved state (x0/x1 already at [sp]); callee-saved x19-x28 are preserved by C. */
.macro save_rest
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x30, x2, [sp, #160]
    str     x3, [sp, #176]
.endm

/* The IRQ handler may re-enable interrupts to run a higher-priority job (single-stack preemption:
 * ELR/SPSR are in this frame first, so nesting is safe). */
irq_entry:
    save_rest
    bl      irq_handler
    ldp     x30, x2, [sp, #160]
    ldr     x3, [sp, #176]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    add     sp, sp, #FRAME
    eret

exc_other:
    save_rest
    mov     x0, sp
    bl      sync_handler             /* reports and halts; never returns */
    b       .Lhang
