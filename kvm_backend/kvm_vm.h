// KvmVm: one KVM virtual machine - the /dev/kvm and VM file descriptors, the capabilities, the
// memory slots and their dirty log - shared by the vCPUs of one machine (-smp N: one VM, N vCPUs,
// as QEMU and kvmtool build it). Each vCPU is a KvmDevice (kvm_device.h) made by create_vcpu().
//
//   std::shared_ptr<KvmVm> vm = KvmVm::open("/dev/kvm");   // throws KvmUnavailable
//   auto cpu0 = KvmDevice::create(vm, 0);                   // KVM_CREATE_VCPU, id = APIC ID
//   auto cpu1 = KvmDevice::create(vm, 1);
//   vm->memory().apply(*cpu0, guest_memory);                // slots are the VM's, not a vCPU's
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "kvm_backend/kvm_abi.h"
#include "kvm_backend/kvm_memory.h"

namespace vmlab::kvm_backend {

// /dev/kvm is missing, not permitted, too old, or lacks a capability vmlab needs.
class KvmUnavailable : public std::runtime_error {
 public:
  explicit KvmUnavailable(const std::string& why) : std::runtime_error(why) {}
};
// --kvm-irqchip kernel on a host KVM without KVM_CAP_IRQCHIP (or whose KVM_CREATE_IRQCHIP fails).
class KvmIrqchipUnavailable : public KvmUnavailable {
 public:
  using KvmUnavailable::KvmUnavailable;
};

// Optional capabilities, found at open().
struct KvmCaps {
  bool readonly_mem = false;      // KVM_CAP_READONLY_MEM: ROM as read-only slots
  bool set_tss_addr = false;      // KVM_CAP_SET_TSS_ADDR (VMX real mode needs it)
  bool internal_error_data = false;
  bool immediate_exit = false;
  bool sync_regs = false;         // KVM_CAP_SYNC_REGS with regs, sregs and events
  int max_memslots = 0;
  int max_vcpus = 0;              // KVM_CAP_MAX_VCPUS (KVM_CAP_NR_VCPUS when absent)
  bool irqchip = false;           // KVM_CAP_IRQCHIP: --kvm-irqchip kernel is possible
};

class KvmVm {
 public:
  // Opens `path` (normally /dev/kvm), checks the API version and the capabilities vmlab needs,
  // and creates the VM (no vCPU yet). With `kernel_irqchip` the VM gets KVM's 8259 pair and
  // IOAPIC (KVM_CREATE_IRQCHIP; each vCPU created afterwards has an in-kernel local APIC) and
  // the PC's GSI routing (kvm_irq_routing.h); KvmIrqchipUnavailable if the host cannot.
  static std::shared_ptr<KvmVm> open(const std::string& path, bool kernel_irqchip = false);
  ~KvmVm();
  KvmVm(const KvmVm&) = delete;
  KvmVm& operator=(const KvmVm&) = delete;

  const KvmCaps& caps() const { return caps_; }
  int kvm_fd() const { return kvm_fd_; }
  int vm_fd() const { return vm_fd_; }
  int run_size() const { return run_size_; }  // KVM_GET_VCPU_MMAP_SIZE
  bool kernel_irqchip() const { return kernel_irqchip_; }

  // In-kernel irqchip only: ISA IRQ line `irq` (= GSI) to `level` (KVM_IRQ_LINE; an edge is a
  // raise then a lower). Thread-safe (a VM ioctl). Returns "" or the error.
  std::string set_irq_line(unsigned irq, bool level);
  // In-kernel irqchip only: the 8259 pair and IOAPIC back to their state at creation (a machine
  // reset; each vCPU's local APIC is reset by its core). Returns "" or the error.
  std::string reset_irqchip();

  // KVM_SET_USER_MEMORY_REGION; size 0 deletes the slot. Returns "" or the error.
  std::string set_memory_slot(uint32_t slot, uint64_t gpa, uint64_t size, void* host, bool readonly,
                              bool log_dirty = false);
  // KVM_GET_DIRTY_LOG for `slot` into `bitmap` (one bit per page). Returns "" or the error.
  std::string get_dirty_log(uint32_t slot, uint64_t* bitmap);
  // KVM_GET_SUPPORTED_CPUID (system ioctl).
  bool supported_cpuid(CpuidTable& out, std::string& error);

  // The VM's memory slots: every vCPU's core applies the same plan here (the first one maps it,
  // the others find it unchanged) and folds the one dirty log into GuestMemory. Callers
  // serialize (the machine lock with vCPU threads, one thread otherwise).
  KvmMemory& memory() { return memory_; }

 private:
  KvmVm() = default;
  int kvm_fd_ = -1, vm_fd_ = -1;
  int run_size_ = 0;
  KvmCaps caps_;
  bool kernel_irqchip_ = false;
  kvm_irqchip initial_chips_[3]{};  // PIC master, PIC slave, IOAPIC right after KVM_CREATE_IRQCHIP
  KvmMemory memory_;  // its ROM copies are unmapped after the VM is closed
};

}  // namespace vmlab::kvm_backend
