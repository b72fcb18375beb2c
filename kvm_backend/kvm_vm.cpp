// KvmVm: opening /dev/kvm, capability checks, the VM file descriptor and its VM-wide ioctls.
#include "kvm_backend/kvm_vm.h"

#include "kvm_backend/kvm_irq_routing.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
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

std::shared_ptr<KvmVm> KvmVm::open(const std::string& path, bool kernel_irqchip) {
  std::shared_ptr<KvmVm> d(new KvmVm());
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
  // KVM_CAP_MAX_VCPUS may be absent on old hosts; KVM_CAP_NR_VCPUS is the recommended count.
  d->caps_.max_vcpus = has(KVM_CAP_MAX_VCPUS);
  if (d->caps_.max_vcpus <= 0) d->caps_.max_vcpus = has(KVM_CAP_NR_VCPUS);
  if (d->caps_.max_vcpus <= 0) d->caps_.max_vcpus = 4;  // the documented minimum
  d->caps_.irqchip = has(KVM_CAP_IRQCHIP) > 0;
  if (kernel_irqchip && !d->caps_.irqchip)
    throw KvmIrqchipUnavailable("the host KVM lacks KVM_CAP_IRQCHIP (the in-kernel 8259/IOAPIC/local APIC)");

  d->vm_fd_ = ioctl(d->kvm_fd_, KVM_CREATE_VM, 0);
  if (d->vm_fd_ < 0) throw KvmUnavailable(errno_text("KVM_CREATE_VM failed"));
  // VMX needs three pages for real-mode emulation below 4 GiB; QEMU puts them at 0xFFFBD000,
  // just below a 256 KiB BIOS, where vmlab has nothing either.
  if (d->caps_.set_tss_addr && ioctl(d->vm_fd_, KVM_SET_TSS_ADDR, 0xFFFBD000ul) < 0)
    throw KvmUnavailable(errno_text("KVM_SET_TSS_ADDR failed"));
  if (kernel_irqchip) {
    // Before any vCPU exists: a vCPU gets an in-kernel local APIC only if the irqchip is there.
    if (ioctl(d->vm_fd_, KVM_CREATE_IRQCHIP, 0) < 0)
      throw KvmIrqchipUnavailable(errno_text("KVM_CREATE_IRQCHIP failed"));
    IrqRoutingTable routes = pc_irq_routing();
    if (ioctl(d->vm_fd_, kKvmSetGsiRouting, &routes) < 0)
      throw KvmIrqchipUnavailable(errno_text("KVM_SET_GSI_ROUTING failed"));
    for (uint32_t chip = 0; chip < 3; ++chip) {
      d->initial_chips_[chip].chip_id = chip;
      if (ioctl(d->vm_fd_, KVM_GET_IRQCHIP, &d->initial_chips_[chip]) < 0)
        throw KvmIrqchipUnavailable(errno_text("KVM_GET_IRQCHIP failed"));
    }
    d->kernel_irqchip_ = true;
  }
  d->run_size_ = ioctl(d->kvm_fd_, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (d->run_size_ < int(sizeof(kvm_run))) throw KvmUnavailable(errno_text("KVM_GET_VCPU_MMAP_SIZE failed"));
  return d;
}

KvmVm::~KvmVm() {
  for (int fd : {vm_fd_, kvm_fd_})
    if (fd >= 0) close(fd);
}

std::string KvmVm::set_memory_slot(uint32_t slot, uint64_t gpa, uint64_t size, void* host,
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

std::string KvmVm::get_dirty_log(uint32_t slot, uint64_t* bitmap) {
  kvm_dirty_log d{};
  d.slot = slot;
  d.dirty_bitmap = bitmap;
  if (ioctl(vm_fd_, KVM_GET_DIRTY_LOG, &d) < 0) return errno_text("KVM_GET_DIRTY_LOG");
  return "";
}

std::string KvmVm::set_irq_line(unsigned irq, bool level) {
  kvm_irq_level l{};
  l.irq = irq;
  l.level = level ? 1 : 0;
  if (ioctl(vm_fd_, KVM_IRQ_LINE, &l) < 0) return errno_text("KVM_IRQ_LINE");
  return "";
}

std::string KvmVm::reset_irqchip() {
  if (!kernel_irqchip_) return "";
  for (kvm_irqchip& chip : initial_chips_) {
    kvm_irqchip c = chip;  // KVM_SET_IRQCHIP does not write, but takes a non-const pointer
    if (ioctl(vm_fd_, KVM_SET_IRQCHIP, &c) < 0) return errno_text("KVM_SET_IRQCHIP");
  }
  return "";
}

bool KvmVm::supported_cpuid(CpuidTable& out, std::string& error) {
  out.nent = kMaxCpuidEntries;
  if (ioctl(kvm_fd_, kKvmGetSupportedCpuid, &out) < 0) {
    error = errno_text("KVM_GET_SUPPORTED_CPUID");
    return false;
  }
  return true;
}

}  // namespace vmlab::kvm_backend
