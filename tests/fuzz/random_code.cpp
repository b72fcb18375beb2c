// The campaign loop, outcome counting and the report.
#include "tests/fuzz/random_code.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "cpu/cpu_state.h"
#include "cpu/flags.h"

namespace vmlab::fuzz {
namespace {

char g_context[160] = "not running";

void set_context(uint64_t seed, FuzzMode mode, uint32_t page) {
  std::snprintf(g_context, sizeof g_context, "seed=%llu mode=%s page=%u (reproduce: vmlab_fuzz "
                "--seed %llu --mode %s --page %u)", static_cast<unsigned long long>(seed),
                mode_name(mode), page, static_cast<unsigned long long>(seed), mode_name(mode),
                page);
}

// Names the CPU state fields that differ between two runs of the same page.
std::string state_diff(const cpu::CpuState& a, const cpu::CpuState& b) {
  std::string d;
  auto cmp = [&](const char* name, uint64_t x, uint64_t y) {
    if (x != y) d += fmt::format(" {} {:#x}/{:#x}", name, x, y);
  };
  static constexpr const char* kGpr[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  static constexpr const char* kSeg[] = {"es", "cs", "ss", "ds", "fs", "gs"};
  for (int i = 0; i < 8; ++i) cmp(kGpr[i], a.gpr[i], b.gpr[i]);
  cmp("eip", a.eip, b.eip);
  cmp("eflags", cpu::read_eflags(a), cpu::read_eflags(b));
  for (int i = 0; i < 6; ++i) {
    cmp(kSeg[i], a.seg[i].selector, b.seg[i].selector);
    cmp((std::string(kSeg[i]) + ".base").c_str(), a.seg[i].base, b.seg[i].base);
    cmp((std::string(kSeg[i]) + ".attr").c_str(), a.seg[i].attr, b.seg[i].attr);
  }
  cmp("cr0", a.cr0, b.cr0); cmp("cr2", a.cr2, b.cr2); cmp("cr3", a.cr3, b.cr3);
  cmp("cr4", a.cr4, b.cr4); cmp("cpl", a.cpl, b.cpl); cmp("tr", a.tr.selector, b.tr.selector);
  cmp("ldtr", a.ldtr.selector, b.ldtr.selector);
  return d;
}

std::string describe(const FuzzMachine& m, FuzzMode mode, const RunResult& r) {
  const cpu::CpuState& s = m.state();
  uint32_t lin = s.seg[cpu::CS].base + s.eip;
  std::string d = fmt::format("exit={} executed={} cs={:04x} eip={:08x} cr0={:08x}",
                              static_cast<int>(r.reason), r.executed, s.seg[cpu::CS].selector,
                              s.eip, s.cr0);
  if (!r.message.empty()) d += " message=\"" + r.message + "\"";
  uint64_t base = m.code_base(mode);
  const std::vector<uint8_t>& code = m.last_code();
  if (lin >= base && lin < base + code.size()) {
    d += fmt::format(" code[{:#x}..]:", lin - base);
    for (uint64_t i = lin - base; i < std::min<uint64_t>(code.size(), lin - base + 16); ++i)
      d += fmt::format(" {:02x}", code[i]);
  }
  return d;
}

}  // namespace

const char* current_run_context() { return g_context; }

FuzzReport run_fuzz(const FuzzConfig& c) {
  FuzzReport rep;
  rep.seed = c.seed;
  auto start = std::chrono::steady_clock::now();
  FuzzMachine m;
  uint32_t per_mode = std::max<uint32_t>(1, c.pages / kNumFuzzModes);
  for (unsigned mi = 0; mi < kNumFuzzModes; ++mi) {
    FuzzMode mode = FuzzMode(mi);
    if (c.only_mode && *c.only_mode != mode) continue;
    ModeStats& st = rep.modes[mi];
    for (uint32_t page = 0; page < per_mode; ++page) {
      if (c.only_page && *c.only_page != page) continue;
      set_context(c.seed, mode, page);
      bool repeat = c.repeat_every && (page % c.repeat_every == 0 || c.only_page);
      RunResult r = m.run_page(c.seed, mode, page, c.budget, repeat);
      ++st.runs;
      st.instructions += r.executed;
      st.exceptions_delivered += r.exceptions_delivered;
      switch (r.reason) {
        case cpu::ExitReason::Halted:
          if (r.handler_vector >= 32) ++st.interrupt_halt;
          else if (r.handler_vector >= 0) { ++st.exception_halt; ++st.by_vector[size_t(r.handler_vector)]; }
          else ++st.halted;
          break;
        case cpu::ExitReason::Shutdown: ++st.triple_fault; break;
        case cpu::ExitReason::BudgetSpent: ++st.budget; break;
        case cpu::ExitReason::InternalError:
          ++st.internal_error;
          rep.problems.push_back({mode, page, "internal error", describe(m, mode, r)});
          break;
        default: ++st.other_exit; break;
      }
      if (r.hung)
        rep.problems.push_back({mode, page, fmt::format("HANG: run() did not return within the "
                                "watchdog time ({} instructions retired, {} exceptions delivered)",
                                r.executed, r.exceptions_delivered), describe(m, mode, r)});
      else if (!r.invariant_error.empty())
        rep.problems.push_back({mode, page, r.invariant_error, describe(m, mode, r)});
      if (c.verbose)
        std::printf("%s page %u: exit %d, %llu insns, vector %d\n", mode_name(mode), page,
                    static_cast<int>(r.reason), static_cast<unsigned long long>(r.executed),
                    r.handler_vector);
      if (!r.hung && repeat) {
        RunResult again = m.run_page(c.seed, mode, page, c.budget, true);
        if (again.digest != r.digest || again.mem_digest != r.mem_digest ||
            again.reason != r.reason || again.executed != r.executed) {
          std::string what = again.digest != r.digest ? "CPU state" : "";
          if (again.mem_digest != r.mem_digest)
            what += std::string(what.empty() ? "" : " and ") +
                    (again.dirty_pages != r.dirty_pages ? "the set of written pages"
                                                        : "memory contents");
          std::string pages;
          for (size_t k = 0; k < again.dirty_pages.size() && k < 12; ++k)
            pages += fmt::format(" {:#x}", again.dirty_pages[k] << 12);
          if (again.digest != r.digest)
            pages += "; CPU (first/second):" + state_diff(r.final_state, again.final_state);
          if (again.mem_digest != r.mem_digest && again.dirty_pages == r.dirty_pages &&
              again.page_bytes.size() == r.page_bytes.size()) {
            pages += "; differing bytes (addr: first/second):";
            int shown = 0;
            for (size_t k = 0; k < r.page_bytes.size() && shown < 8; ++k)
              if (r.page_bytes[k] != again.page_bytes[k]) {
                uint64_t addr = (r.dirty_pages[k / 4096] << 12) + k % 4096;
                pages += fmt::format(" {:#x}: {:02x}/{:02x}", addr, r.page_bytes[k],
                                     again.page_bytes[k]);
                ++shown;
              }
          }
          rep.problems.push_back({mode, page, "not deterministic: a second run of the same page "
                                  "ended with different " + (what.empty() ? "exit" : what),
                                  fmt::format("first: exit {} after {} insns, {} pages written; "
                                  "second: exit {} after {}, {} pages:{}", static_cast<int>(r.reason),
                                  r.executed, r.dirty_pages.size(), static_cast<int>(again.reason),
                                  again.executed, again.dirty_pages.size(), pages)});
        }
      }
    }
  }
  std::snprintf(g_context, sizeof g_context, "finished");
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return rep;
}

std::string format_report(const FuzzReport& r) {
  std::string out = fmt::format("random-code fuzz, seed {} ({:.1f} s)\n", r.seed, r.seconds);
  out += fmt::format("{:<10} {:>6} {:>9} {:>8} {:>7} {:>7} {:>7} {:>6} {:>9} {:>11}\n", "mode",
                     "runs", "exc-halt", "int-halt", "hlt", "triple", "budget", "ierr",
                     "delivered", "insns");
  for (unsigned i = 0; i < kNumFuzzModes; ++i) {
    const ModeStats& s = r.modes[i];
    if (!s.runs) continue;
    out += fmt::format("{:<10} {:>6} {:>9} {:>8} {:>7} {:>7} {:>7} {:>6} {:>9} {:>11}\n",
                       mode_name(FuzzMode(i)), s.runs, s.exception_halt, s.interrupt_halt,
                       s.halted, s.triple_fault, s.budget, s.internal_error,
                       s.exceptions_delivered, s.instructions);
    std::string vec;
    for (unsigned v = 0; v < 32; ++v)
      if (s.by_vector[v]) vec += fmt::format(" #{}:{}", v, s.by_vector[v]);
    if (!vec.empty()) out += "           runs ending in exception stubs:" + vec + "\n";
  }
  out += "(exc-halt: ended in an exception handler's HLT; int-halt: in an INT n handler's HLT;\n"
         " hlt: a HLT in the random code; delivered: exceptions delivered during the runs)\n";
  for (size_t i = 0; i < r.problems.size() && i < 20; ++i) {
    const FuzzProblem& p = r.problems[i];
    out += fmt::format("PROBLEM seed={} mode={} page={}: {}\n    {}\n", r.seed, mode_name(p.mode),
                       p.page, p.what, p.detail);
  }
  if (r.problems.size() > 20) out += fmt::format("... {} problems in all\n", r.problems.size());
  return out;
}

}  // namespace vmlab::fuzz
