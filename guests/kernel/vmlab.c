/* vmlab.c: what the host tells the guest (docs/guest_interface.md).
 *
 * CPUID leaf 0x40000000 returns the signature "vmlabvmlab  " in EBX, ECX, EDX when we run on
 * vmlab; leaf 0x40000001 EAX is the execution technique. Three read-only MSRs give benchmark
 * clocks that the guest's own (virtual) time cannot distort:
 *   0x40000020  host monotonic nanoseconds
 *   0x40000021  guest instructions retired by this vCPU
 *   0x40000022  exits to the VMM taken by this vCPU (0 on the interpreter: it has none)
 * Elsewhere (QEMU, real hardware) the MSRs #GP; rdmsr_safe notices, and we count TSC ticks. */
#include "kernel.h"
#include "x86.h"

#define MSR_HOST_NS 0x40000020
#define MSR_INSNS   0x40000021
#define MSR_EXITS   0x40000022

static int technique = -1;
static int have_ns, have_insns, have_exits;

void vmlab_detect(void) {
    uint32_t r[4];
    cpuid(0x40000000, r);
    char sig[13];
    memcpy(sig, &r[1], 4); memcpy(sig + 4, &r[2], 4); memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    if (strcmp(sig, "vmlabvmlab  ") != 0) return;
    if (r[0] >= 0x40000001) {
        cpuid(0x40000001, r);
        technique = (int)(r[0] & 0xFF);
    }
    uint64_t v;
    have_ns = rdmsr_safe(MSR_HOST_NS, &v) == 0;
    have_insns = rdmsr_safe(MSR_INSNS, &v) == 0;
    have_exits = rdmsr_safe(MSR_EXITS, &v) == 0;
}

int vmlab_technique_id(void) { return technique; }

const char *vmlab_technique(void) {
    static const char *const names[] = { "interp", "bt", "trap", "kvm" };
    if (technique < 0) return 0;
    return technique < 4 ? names[technique] : "unknown";
}

int clock_is_host_ns(void) { return have_ns; }

void clock_sample(uint64_t out[3]) {
    out[0] = have_ns ? 0 : rdtsc();
    out[1] = out[2] = ~0ull;
    if (have_ns) rdmsr_safe(MSR_HOST_NS, &out[0]);
    if (have_insns) rdmsr_safe(MSR_INSNS, &out[1]);
    if (have_exits) rdmsr_safe(MSR_EXITS, &out[2]);
}
