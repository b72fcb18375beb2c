// Monitor: the `info` commands - registers, status, cpus, pic, mtree (the I/O and memory map),
// stats (the counters --stats prints).
#include <fmt/format.h>

#include "machine/register_dump.h"
#include "ui/monitor.h"

namespace vmlab::ui {

namespace {

std::string pic_line(const char* name, const devices::Pic8259::State& s) {
  return fmt::format("pic-{:<6} irr={:02x} imr={:02x} isr={:02x} vector base={:#04x} elcr={:02x}\n",
                     name, s.irr, s.imr, s.isr, s.vector_base, s.elcr);
}

std::string bus_map(machine::Bus& bus, unsigned digits) {
  std::string out;
  for (const auto& r : bus.regions())
    out += fmt::format("  {:0{}x}-{:0{}x} (prio 0, i/o): {}\n", r.base, digits,
                       r.base + r.size - 1, digits, r.name);
  return out;
}

}  // namespace

void Monitor::register_info_commands() {
  add_command({"info registers", "[-a]", "the CPU registers (-a: every CPU)",
               [this](const std::vector<std::string>& args, const std::string&) {
                 if (!args.empty() && args[0] == "-a") {
                   std::string out;
                   for (unsigned i = 0; i < machine_.cpu_count(); ++i)
                     out += fmt::format("CPU#{}\n{}", i, machine::format_registers(machine_.cpu(i).s));
                   return out;
                 }
                 if (!args.empty()) return fmt::format("info registers: unknown argument '{}' (only -a)\n", args[0]);
                 // The registers, then the instruction at CS:EIP as Capstone reads it (x/1i).
                 const cpu::CpuState& s = vcpu().s;
                 return machine::format_registers(s) +
                        execute(fmt::format("x/1i {:#x}", uint64_t(s.seg[cpu::CS].base) + s.eip));
               }});
  add_command({"info status", "", "whether the guest runs or is stopped",
               [this](const std::vector<std::string>&, const std::string&) {
                 return std::string(machine_.paused() ? "VM status: paused\n" : "VM status: running\n");
               }});
  add_command({"info cpus", "", "every CPU: EIP and whether it is halted",
               [this](const std::vector<std::string>&, const std::string&) {
                 std::string out;
                 for (unsigned i = 0; i < machine_.cpu_count(); ++i) {
                   const cpu::CpuState& s = machine_.cpu(i).s;
                   out += fmt::format("{} CPU #{}: CS:EIP={:04x}:{:08x} mode={}{}{}\n",
                                      i == cpu_ ? '*' : ' ', i, s.seg[cpu::CS].selector, s.eip,
                                      cpu::v86_mode(s) ? "v86" : cpu::protected_mode(s) ? "protected" : "real",
                                      cpu::paging_enabled(s) ? "+paging" : "",
                                      machine_.waiting_for_sipi(i) ? " (waiting for SIPI)"
                                      : s.events.halted          ? " (halted)" : "");
                 }
                 return out;
               }});
  add_command({"info pic", "", "the 8259A pair: request, mask and in-service registers",
               [this](const std::vector<std::string>&, const std::string&) {
                 devices::PicPair::State s = machine_.pic().save();
                 return pic_line("master", s.master) + pic_line("slave", s.slave);
               }});
  add_command({"info mtree", "", "the machine's map: RAM, I/O ports and MMIO regions",
               [this](const std::vector<std::string>&, const std::string&) {
                 std::string out = "address-space: memory\n";
                 out += fmt::format("  {:016x}-{:016x} (prio 0, ram): pc.ram\n", 0,
                                    machine_.memory().ram_size() - 1);
                 out += bus_map(machine_.mmio(), 16);
                 out += "address-space: I/O\n";
                 out += bus_map(machine_.io(), 4);
                 return out;
               }});
  add_command({"info stats", "[prefix]", "the counters (as --stats), optionally only those starting with prefix",
               [this](const std::vector<std::string>& args, const std::string&) {
                 std::string out;
                 for (const machine::StatValue& v : machine_.stats().snapshot()) {
                   if (!args.empty() && v.name.rfind(args[0], 0) != 0) continue;
                   out += v.is_real ? fmt::format("{:<44} {:>16.3f}\n", v.name, v.real)
                                    : fmt::format("{:<44} {:>16}\n", v.name, v.count);
                 }
                 if (out.empty()) out = fmt::format("no counter starts with '{}'\n", args[0]);
                 return out;
               }});
}

}  // namespace vmlab::ui
