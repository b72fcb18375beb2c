// The gdb stub on a Machine (see gdb_session.h).
#include "ui/gdb/gdb_session.h"

#include <fmt/format.h>
#include <stdexcept>

#include "machine/setup_error.h"

namespace vmlab::ui::gdb {

bool MachineGdbTarget::read_memory(unsigned c, uint32_t lin, uint8_t* out, size_t n) {
  cpu::Vcpu& v = m_.cpu(c);
  for (size_t i = 0; i < n; ++i) {
    const auto pa = v.mmu.probe(v, lin + uint32_t(i));
    if (!pa || !v.mem.read_phys(*pa, std::span<uint8_t>(out + i, 1))) return false;
  }
  return true;
}

bool MachineGdbTarget::write_memory(unsigned c, uint32_t lin, const uint8_t* in, size_t n) {
  cpu::Vcpu& v = m_.cpu(c);
  // Translate every byte first: a write that cannot be done whole is not done at all.
  std::vector<uint64_t> pas(n);
  for (size_t i = 0; i < n; ++i) {
    const auto pa = v.mmu.probe(v, lin + uint32_t(i));
    if (!pa || !v.mem.ram_ptr(*pa, 1)) return false;
    pas[i] = *pa;
  }
  // write_phys notes the write, so decoded blocks of a patched page are dropped.
  for (size_t i = 0; i < n; ++i) v.mem.write_phys(pas[i], std::span<const uint8_t>(in + i, 1));
  return true;
}

void MachineGdbTarget::hooks_changed(unsigned c) {
  // Watchpoints are checked in the memory slow path: no TLB while any exists.
  cpu::Vcpu& v = m_.cpu(c);
  v.tlb.enabled = m_.config().tlb && v.debug.watchpoints.empty();
  v.tlb.flush_all();
}

void MachineGdbTarget::interrupt() {
  // Called between run slices (the connection is polled there): the machine is not mid-slice,
  // so it can stop at once.
  m_.pause();
  if (stub_) stub_->report_stop(0, true);
}

GdbSession::GdbSession(machine::Machine& m, const std::string& spec) : target_(m) {
  // Breakpoints, steps and watchpoints are DebugHooks: the interpreter checks them itself, the
  // KVM core turns them into KVM_SET_GUEST_DEBUG (docs/kvm.md, "Guest debugging").
  if (spec.rfind("tcp:", 0) != 0)
    throw machine::SetupError(fmt::format("-gdb {}: use tcp::PORT (for example -gdb tcp::1234, or -s)", spec));
  try {
    std::string full = spec;
    if (full.find(",server") == std::string::npos) full += ",server";
    if (full.find("nowait") == std::string::npos && full.find("wait=") == std::string::npos) full += ",nowait";
    conn_ = devices::open_char_backend(full);
  } catch (const std::runtime_error& e) {
    throw machine::SetupError(fmt::format("-gdb {}: {}", spec, e.what()));
  }
  devices::CharBackend* conn = conn_.get();
  stub_ = std::make_unique<GdbStub>(target_, [conn](const std::string& bytes) {
    for (char c : bytes) conn->write(uint8_t(c));
    conn->flush();
  });
  target_.set_stub(stub_.get());
  GdbStub* stub = stub_.get();
  conn_->attach([stub](uint8_t b) { stub->feed(&b, 1); });
  m.attach_debugger(conn_.get(), [stub](unsigned cpu) { stub->report_stop(cpu, false); });
}

}  // namespace vmlab::ui::gdb
