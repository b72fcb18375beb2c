// KvmDevice: one vCPU of a KvmVm - its file descriptor, kvm_run page and register ioctls.
#include "kvm_backend/kvm_device.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace vmlab::kvm_backend {

namespace {
std::string errno_text(const char* what) { return fmt::format("{}: {}", what, std::strerror(errno)); }
}  // namespace

std::unique_ptr<KvmDevice> KvmDevice::open(const std::string& path, bool kernel_irqchip) {
  return create(KvmVm::open(path, kernel_irqchip), 0);
}

std::unique_ptr<KvmDevice> KvmDevice::create(std::shared_ptr<KvmVm> vm, unsigned id) {
  std::unique_ptr<KvmDevice> d(new KvmDevice());
  d->vm_ = std::move(vm);
  d->id_ = id;
  d->vcpu_fd_ = ioctl(d->vm_->vm_fd(), KVM_CREATE_VCPU, static_cast<unsigned long>(id));
  if (d->vcpu_fd_ < 0) {
    const int err = errno;
    throw KvmUnavailable(fmt::format("KVM_CREATE_VCPU {} failed: {}", id, std::strerror(err)));
  }
  const int run_size = d->vm_->run_size();
  void* p = mmap(nullptr, size_t(run_size), PROT_READ | PROT_WRITE, MAP_SHARED, d->vcpu_fd_, 0);
  if (p == MAP_FAILED) throw KvmUnavailable(errno_text("mapping the kvm_run page failed"));
  d->run_ = static_cast<kvm_run*>(p);
  d->run_size_ = size_t(run_size);
  return d;
}

KvmDevice::~KvmDevice() {
  if (run_) munmap(run_, run_size_);
  if (vcpu_fd_ >= 0) close(vcpu_fd_);
}

std::string KvmDevice::vcpu_ioctl(unsigned long request, void* arg, const char* what) {
  if (ioctl(vcpu_fd_, request, arg) < 0) return errno_text(what);
  return "";
}

int KvmDevice::run() {
  const int rc = ioctl(vcpu_fd_, KVM_RUN, 0);
  const int err = rc < 0 ? errno : 0;
  // KVM stores the synced groups on every return from KVM_RUN, errors and EINTR included.
  if (sync_regs_) synced_page_valid_ = true;
  return err;
}

void KvmDevice::set_sync_regs(bool on) {
  sync_regs_ = on && caps().sync_regs;
  run_->kvm_valid_regs = sync_regs_ ? (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS) : 0;
  run_->kvm_dirty_regs = 0;
  synced_page_valid_ = false;
}

std::string KvmDevice::get_state(KvmVcpuState& k) {
  std::string e;
  if (sync_regs_ && synced_page_valid_) {
    const kvm_sync_regs& r = run_->s.regs;
    k.regs = r.regs;
    k.sregs = r.sregs;
    k.events = r.events;
  } else {
    if (!(e = vcpu_ioctl(KVM_GET_REGS, &k.regs, "KVM_GET_REGS")).empty()) return e;
    if (!(e = vcpu_ioctl(KVM_GET_SREGS, &k.sregs, "KVM_GET_SREGS")).empty()) return e;
    if (!(e = vcpu_ioctl(KVM_GET_VCPU_EVENTS, &k.events, "KVM_GET_VCPU_EVENTS")).empty()) return e;
  }
  if (!(e = vcpu_ioctl(KVM_GET_FPU, &k.fpu, "KVM_GET_FPU")).empty()) return e;
  if (!(e = vcpu_ioctl(KVM_GET_DEBUGREGS, &k.debugregs, "KVM_GET_DEBUGREGS")).empty()) return e;
  prepare_msr_table(k);
  const int n = ioctl(vcpu_fd_, kKvmGetMsrs, &k.msrs);
  if (n < 0) return errno_text("KVM_GET_MSRS");
  if (uint32_t(n) != k.msrs.nmsrs)
    return fmt::format("KVM_GET_MSRS: the host refused MSR {:#x}", k.msrs.entries[n].index);
  return "";
}

std::string KvmDevice::set_state(const KvmVcpuState& k, unsigned groups) {
  std::string e;
  auto set = [&](unsigned group, unsigned long req, const void* arg, const char* what) {
    if (e.empty() && (groups & group)) e = vcpu_ioctl(req, const_cast<void*>(arg), what);
  };
  if (sync_regs_ && synced_page_valid_) {
    // Into the kvm_run copies; KVM applies them (sregs first) at the next KVM_RUN. Until then
    // get_state() reads back these same copies.
    kvm_sync_regs& r = run_->s.regs;
    if (groups & kSregs) { r.sregs = k.sregs; run_->kvm_dirty_regs |= KVM_SYNC_X86_SREGS; }
    if (groups & kRegs) { r.regs = k.regs; run_->kvm_dirty_regs |= KVM_SYNC_X86_REGS; }
    if (groups & kEvents) { r.events = k.events; run_->kvm_dirty_regs |= KVM_SYNC_X86_EVENTS; }
    groups &= ~(kSregs | kRegs | kEvents);
  }
  // Special registers first: EFER and CR0/CR4 decide which general/MSR values are valid.
  set(kSregs, KVM_SET_SREGS, &k.sregs, "KVM_SET_SREGS");
  set(kRegs, KVM_SET_REGS, &k.regs, "KVM_SET_REGS");
  set(kFpu, KVM_SET_FPU, &k.fpu, "KVM_SET_FPU");
  set(kEvents, KVM_SET_VCPU_EVENTS, &k.events, "KVM_SET_VCPU_EVENTS");
  set(kDebugRegs, KVM_SET_DEBUGREGS, &k.debugregs, "KVM_SET_DEBUGREGS");
  if (!e.empty() || !(groups & kMsrs)) return e;
  const int n = ioctl(vcpu_fd_, kKvmSetMsrs, const_cast<MsrTable*>(&k.msrs));
  if (n < 0) return errno_text("KVM_SET_MSRS");
  if (uint32_t(n) != k.msrs.nmsrs)
    return fmt::format("KVM_SET_MSRS: the host refused MSR {:#x} = {:#x}", k.msrs.entries[n].index,
                       k.msrs.entries[n].data);
  return "";
}

}  // namespace vmlab::kvm_backend
