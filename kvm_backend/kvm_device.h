// KvmDevice: one vCPU of a KVM virtual machine (KvmVm, kvm_vm.h): its file descriptor, its
// kvm_run page and thin ioctl wrappers; the VM-wide calls (memory slots, dirty log, CPUID) go
// to the VM it belongs to. No policy here: the core (kvm_core.h) decides what to run and how to
// handle exits.
//
//   auto d = KvmDevice::open("/dev/kvm");       // a new VM with vCPU 0; throws KvmUnavailable
//   auto d1 = KvmDevice::create(d->vm_ptr(), 1); // vCPU 1 of the same VM (-smp)
//   d->set_memory_slot(0, 0, ram_bytes, host, false);
//   d->vcpu_ioctl(KVM_RUN, nullptr, "KVM_RUN");
//   kvm_run& r = d->run_page();
#pragma once
#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <string>

#include "kvm_backend/kvm_abi.h"
#include "kvm_backend/kvm_state.h"
#include "kvm_backend/kvm_vm.h"

namespace vmlab::kvm_backend {

class KvmDevice {
 public:
  // Opens `path` (normally /dev/kvm) as KvmVm::open does, and creates vCPU 0 of the new VM.
  static std::unique_ptr<KvmDevice> open(const std::string& path, bool kernel_irqchip = false);
  // KVM_CREATE_VCPU with `id` (the APIC ID) on `vm`, and maps its kvm_run page.
  static std::unique_ptr<KvmDevice> create(std::shared_ptr<KvmVm> vm, unsigned id);
  ~KvmDevice();
  KvmDevice(const KvmDevice&) = delete;
  KvmDevice& operator=(const KvmDevice&) = delete;

  const KvmCaps& caps() const { return vm_->caps(); }
  KvmVm& vm() { return *vm_; }
  const std::shared_ptr<KvmVm>& vm_ptr() const { return vm_; }
  unsigned id() const { return id_; }
  kvm_run& run_page() { return *run_; }
  size_t run_size() const { return run_size_; }

  // The VM's calls (KvmVm), for callers that hold a vCPU.
  std::string set_memory_slot(uint32_t slot, uint64_t gpa, uint64_t size, void* host, bool readonly,
                              bool log_dirty = false) {
    return vm_->set_memory_slot(slot, gpa, size, host, readonly, log_dirty);
  }
  std::string get_dirty_log(uint32_t slot, uint64_t* bitmap) { return vm_->get_dirty_log(slot, bitmap); }
  bool supported_cpuid(CpuidTable& out, std::string& error) { return vm_->supported_cpuid(out, error); }

  // ioctl on the vCPU fd; on failure returns "<what>: <strerror>", else "".
  std::string vcpu_ioctl(unsigned long request, void* arg, const char* what);
  int vcpu_fd() const { return vcpu_fd_; }

  // Register groups, for set_state (only what changed is written back).
  static constexpr unsigned kRegs = 1, kSregs = 2, kFpu = 4, kEvents = 8, kDebugRegs = 16,
                            kMsrs = 32, kAllGroups = 63;
  // KVM_RUN (returns its errno, 0 on success).
  int run();
  // With sync regs on, KVM copies regs, sregs and events into the kvm_run page at every exit
  // and takes them from there at the next entry, which saves three ioctls each way.
  void set_sync_regs(bool on);
  bool sync_regs() const { return sync_regs_; }

  // Every register group, MSRs included.
  std::string get_state(KvmVcpuState& k);
  std::string set_state(const KvmVcpuState& k, unsigned groups = kAllGroups);

 private:
  KvmDevice() = default;
  std::shared_ptr<KvmVm> vm_;
  unsigned id_ = 0;
  int vcpu_fd_ = -1;
  kvm_run* run_ = nullptr;
  size_t run_size_ = 0;
  bool sync_regs_ = false;
  bool synced_page_valid_ = false;  // the kvm_run copies hold the vCPU's current registers
};

}  // namespace vmlab::kvm_backend
