// KvmDevice: opening /dev/kvm, capability checks, the VM and vCPU file descriptors.
#include "kvm_backend/kvm_device.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace vmlab::kvm_backend {

namespace {

std::string errno_text(const char* what) { return fmt::format("{}: {}", what, std::strerror(errno)); }

// Capabilities the core cannot work without, with what each is for.
struct RequiredCap {
  int cap;
  const char* name;
  const char* why;
};
constexpr RequiredCap kRequired[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY", "guest RAM shared with the devices"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID", "the CPUID model (KVM_SET_CPUID2)"},
    {KVM_CAP_VCPU_EVENTS, "KVM_CAP_VCPU_EVENTS", "interrupt shadow and NMI state"},
    {KVM_CAP_DEBUGREGS, "KVM_CAP_DEBUGREGS", "debug registers in the CPU state"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT", "time slices and stop requests"},
};

}  // namespace

std::unique_ptr<KvmDevice> KvmDevice::open(const std::string& path) {
  std::unique_ptr<KvmDevice> d(new KvmDevice());
  d->kvm_fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (d->kvm_fd_ < 0) {
    const int err = errno;
    if (err == ENOENT) throw KvmUnavailable(fmt::format("{} does not exist", path));
    if (err == EACCES || err == EPERM)
      throw KvmUnavailable(fmt::format("no permission to open {}; add yourself to its group", path));
    throw KvmUnavailable(fmt::format("cannot open {}: {}", path, std::strerror(err)));
  }
  const int api = ioctl(d->kvm_fd_, KVM_GET_API_VERSION, 0);
  if (api < 0)
    throw KvmUnavailable(fmt::format("{} is not a KVM device: {}", path, std::strerror(errno)));
  if (api != KVM_API_VERSION)
    throw KvmUnavailable(fmt::format("{} speaks KVM API version {}, vmlab needs {}", path, api,
                                     KVM_API_VERSION));
  auto has = [&](int cap) { return ioctl(d->kvm_fd_, KVM_CHECK_EXTENSION, cap); };
  for (const RequiredCap& c : kRequired)
    if (has(c.cap) <= 0)
      throw KvmUnavailable(fmt::format("the host KVM lacks {} (needed for {})", c.name, c.why));
  d->caps_.readonly_mem = has(KVM_CAP_READONLY_MEM) > 0;
  d->caps_.set_tss_addr = has(KVM_CAP_SET_TSS_ADDR) > 0;
  d->caps_.internal_error_data = has(KVM_CAP_INTERNAL_ERROR_DATA) > 0;
  d->caps_.immediate_exit = true;
  constexpr int kSyncAll = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | KVM_SYNC_X86_EVENTS;
  d->caps_.sync_regs = (has(KVM_CAP_SYNC_REGS) & kSyncAll) == kSyncAll;
  d->caps_.max_memslots = has(KVM_CAP_NR_MEMSLOTS);

  d->vm_fd_ = ioctl(d->kvm_fd_, KVM_CREATE_VM, 0);
  if (d->vm_fd_ < 0) throw KvmUnavailable(errno_text("KVM_CREATE_VM failed"));
  // VMX needs three pages for real-mode emulation below 4 GiB; QEMU puts them at 0xFFFBD000,
  // just below a 256 KiB BIOS, where vmlab has nothing either.
  if (d->caps_.set_tss_addr && ioctl(d->vm_fd_, KVM_SET_TSS_ADDR, 0xFFFBD000ul) < 0)
    throw KvmUnavailable(errno_text("KVM_SET_TSS_ADDR failed"));
  d->vcpu_fd_ = ioctl(d->vm_fd_, KVM_CREATE_VCPU, 0);
  if (d->vcpu_fd_ < 0) throw KvmUnavailable(errno_text("KVM_CREATE_VCPU failed"));
  const int run_size = ioctl(d->kvm_fd_, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size < int(sizeof(kvm_run))) throw KvmUnavailable(errno_text("KVM_GET_VCPU_MMAP_SIZE failed"));
  void* p = mmap(nullptr, size_t(run_size), PROT_READ | PROT_WRITE, MAP_SHARED, d->vcpu_fd_, 0);
  if (p == MAP_FAILED) throw KvmUnavailable(errno_text("mapping the kvm_run page failed"));
  d->run_ = static_cast<kvm_run*>(p);
  d->run_size_ = size_t(run_size);
  return d;
}

KvmDevice::~KvmDevice() {
  if (run_) munmap(run_, run_size_);
  for (int fd : {vcpu_fd_, vm_fd_, kvm_fd_})
    if (fd >= 0) close(fd);
}

std::string KvmDevice::set_memory_slot(uint32_t slot, uint64_t gpa, uint64_t size, void* host,
                                       bool readonly, bool log_dirty) {
  kvm_userspace_memory_region r{};
  r.slot = slot;
  r.flags = (readonly ? KVM_MEM_READONLY : 0) | (log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0);
  r.guest_phys_addr = gpa;
  r.memory_size = size;
  r.userspace_addr = reinterpret_cast<uint64_t>(host);
  if (ioctl(vm_fd_, KVM_SET_USER_MEMORY_REGION, &r) < 0)
    return fmt::format("KVM_SET_USER_MEMORY_REGION slot {} at {:#x} (+{:#x}): {}", slot, gpa, size,
                       std::strerror(errno));
  return "";
}

std::string KvmDevice::get_dirty_log(uint32_t slot, uint64_t* bitmap) {
  kvm_dirty_log d{};
  d.slot = slot;
  d.dirty_bitmap = bitmap;
  if (ioctl(vm_fd_, KVM_GET_DIRTY_LOG, &d) < 0) return errno_text("KVM_GET_DIRTY_LOG");
  return "";
}

bool KvmDevice::supported_cpuid(CpuidTable& out, std::string& error) {
  out.nent = kMaxCpuidEntries;
  if (ioctl(kvm_fd_, kKvmGetSupportedCpuid, &out) < 0) {
    error = errno_text("KVM_GET_SUPPORTED_CPUID");
    return false;
  }
  return true;
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
  sync_regs_ = on && caps_.sync_regs;
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
