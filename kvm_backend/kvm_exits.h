// The data-moving KVM exits: port I/O and MMIO, carried out on the machine's own buses. They
// take the kvm_run page as plain memory, so tests drive them with fabricated exits (no
// /dev/kvm needed).
//
//   if (run.exit_reason == KVM_EXIT_IO) err = handle_io_exit(run, run_size, vcpu, counters);
#pragma once
#include <linux/kvm.h>

#include <cstddef>
#include <string>

#include "cpu/vcpu.h"
#include "kvm_backend/kvm_counters.h"

namespace vmlab::kvm_backend {

// KVM_EXIT_IO: `count` accesses of `size` bytes to one port (count > 1 for INS/OUTS with REP),
// data in the kvm_run page at data_offset. Returns "" or why the exit is malformed.
std::string handle_io_exit(kvm_run& run, size_t run_size, cpu::Vcpu& v, KvmCounters& c);

// KVM_EXIT_MMIO: an access of 1-8 bytes with no memory slot behind it. Partial ROM pages answer
// from GuestMemory's ROM bytes (writes to them are dropped, as ROM does); everything else goes
// to the MmioBus, split into accesses of at most 4 bytes.
std::string handle_mmio_exit(kvm_run& run, cpu::Vcpu& v, KvmCounters& c);

}  // namespace vmlab::kvm_backend
