// KvmDevice: one KVM virtual machine with one vCPU, opened from /dev/kvm: the file descriptors,
// the shared kvm_run page, capability checks and thin ioctl wrappers. No policy here: the
// core (kvm_core.h) decides what to run and how to handle exits.
//
//   auto d = KvmDevice::open("/dev/kvm");       // throws KvmUnavailable with the reason
//   d->set_memory_slot(0, 0, ram_bytes, host, false);
//   d->vcpu_ioctl(KVM_RUN, nullptr, "KVM_RUN");
//   kvm_run& r = d->run_page();
#pragma once
#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "kvm_backend/kvm_abi.h"
#include "kvm_backend/kvm_state.h"

namespace vmlab::kvm_backend {

// /dev/kvm is missing, not permitted, too old, or lacks a capability vmlab needs.
class KvmUnavailable : public std::runtime_error {
 public:
  explicit KvmUnavailable(const std::string& why) : std::runtime_error(why) {}
};

// Optional capabilities, found at open().
struct KvmCaps {
  bool readonly_mem = false;      // KVM_CAP_READONLY_MEM: ROM as read-only slots
  bool set_tss_addr = false;      // KVM_CAP_SET_TSS_ADDR (VMX real mode needs it)
  bool internal_error_data = false;
  bool immediate_exit = false;
  bool sync_regs = false;         // KVM_CAP_SYNC_REGS with regs, sregs and events
  int max_memslots = 0;
};

class KvmDevice {
 public:
  // Opens `path` (normally /dev/kvm), checks the API version and the capabilities vmlab needs,
  // creates the VM and vCPU 0 and maps its kvm_run page.
  static std::unique_ptr<KvmDevice> open(const std::string& path);
  ~KvmDevice();
  KvmDevice(const KvmDevice&) = delete;
  KvmDevice& operator=(const KvmDevice&) = delete;

  const KvmCaps& caps() const { return caps_; }
  kvm_run& run_page() { return *run_; }
  size_t run_size() const { return run_size_; }

  // KVM_SET_USER_MEMORY_REGION; size 0 deletes the slot. Returns "" or the error.
  std::string set_memory_slot(uint32_t slot, uint64_t gpa, uint64_t size, void* host, bool readonly,
                              bool log_dirty = false);
  // KVM_GET_DIRTY_LOG for `slot` into `bitmap` (one bit per page). Returns "" or the error.
  std::string get_dirty_log(uint32_t slot, uint64_t* bitmap);
  // KVM_GET_SUPPORTED_CPUID (system ioctl).
  bool supported_cpuid(CpuidTable& out, std::string& error);

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
  int kvm_fd_ = -1, vm_fd_ = -1, vcpu_fd_ = -1;
  kvm_run* run_ = nullptr;
  size_t run_size_ = 0;
  KvmCaps caps_;
  bool sync_regs_ = false;
  bool synced_page_valid_ = false;  // the kvm_run copies hold the vCPU's current registers
};

}  // namespace vmlab::kvm_backend
