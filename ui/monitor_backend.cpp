// The monitor's `backend` command (see monitor_backend.h, docs/monitor.md).
#include "ui/monitor_backend.h"

#include <fmt/format.h>

#include "machine/core_factory.h"
#include "ui/monitor.h"

namespace vmlab::ui {

namespace {
std::string technique_list() {
  std::string names;
  for (const std::string& n : machine::implemented_backends()) names += (names.empty() ? "" : "|") + n;
  return names;
}
}  // namespace

void add_backend_command(Monitor& mon, machine::Machine& m) {
  mon.add_command({"backend", "[" + technique_list() + "]",
                   "show the execution technique, or switch the running machine to another one",
                   [&m](const std::vector<std::string>& args, const std::string&) {
                     if (args.empty())
                       return fmt::format("backend: {} (switch with: backend {})\n", m.core().name(),
                                          technique_list());
                     if (args.size() != 1) return fmt::format("usage: backend [{}]\n", technique_list());
                     const std::string from = m.core().name();
                     if (args[0] == from) return fmt::format("backend: already running on {}\n", from);
                     // The switch happens here, between slices: the next slice runs on the new core.
                     if (std::string err = m.switch_backend(args[0]); !err.empty())
                       return fmt::format("backend {}: {}; still running on {}\n", args[0], err, from);
                     return fmt::format("backend: switched from {} to {}\n", from, m.core().name());
                   }});
}

}  // namespace vmlab::ui
