// Monitor: a QEMU-HMP-like command interpreter on a character line (-monitor stdio, -monitor
// tcp::PORT,server,nowait, or the monitor half of -serial mon:stdio, reached with Ctrl-A c).
// Commands are listed in docs/monitor.md and by `help`. It runs inside the machine's run loop
// (input is polled between slices), so every command sees the machine between instructions.
//
//   Monitor mon(machine, *machine.monitor_backend(), /*greet=*/true);   // attaches to the line
//   std::string out = mon.execute("x/4xw 0x1000");                       // tests call this
//   mon.add_command({"screendump", "FILE", "save the screen as PNG", handler});  // extensions
//
// Nothing typed at it may crash vmlab: every argument is checked and a bad one is a message.
// Layout: monitor.cpp (line editing, dispatch, run control), monitor_memory.cpp (x, xp),
// monitor_info.cpp (info ...), monitor_paging.cpp (info mem, info tlb), monitor_devices.cpp
// (sendkey, screendump).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "devices/char_backend.h"
#include "machine/machine.h"

namespace vmlab::ui {

class Monitor {
 public:
  // Handler: the words after the command name, the raw rest of the line; returns the output.
  using Handler = std::function<std::string(const std::vector<std::string>& args,
                                            const std::string& rest)>;
  struct Command {
    std::string name;     // "x", "info registers" (an info subcommand has the "info " prefix)
    std::string params;   // "/fmt addr"
    std::string help;     // one line
    Handler run;
    std::string alias;    // "c" for cont, "q" for quit
    Command(std::string n, std::string p, std::string h, Handler r, std::string a = "")
        : name(std::move(n)), params(std::move(p)), help(std::move(h)), run(std::move(r)),
          alias(std::move(a)) {}
  };

  static constexpr const char* kPrompt = "(vmlab) ";
  static constexpr size_t kMaxLine = 1024;

  // Attaches to `line` (input) and writes to it. `greet`: print the banner and prompt now;
  // otherwise they come when the line reports CharEvent::Opened (Ctrl-A c, a TCP client).
  Monitor(machine::Machine& m, devices::CharBackend& line, bool greet);
  // Without a line: for tests that only call execute().
  explicit Monitor(machine::Machine& m);
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Runs one command line and returns what it printed.
  std::string execute(const std::string& line);
  // A byte typed at the monitor: line editing with echo, Enter runs the line.
  void receive(uint8_t b);
  void add_command(Command c);
  unsigned current_cpu() const { return cpu_; }

  // Helpers shared by the command files (public for the tests).
  // A number or an expression: 0x1f, 123, $eip, $esp+8, 0x1000-4*2 is not supported (only
  // + and - between terms). nullopt + `error` on anything else.
  std::optional<uint64_t> eval(const std::string& expr, std::string& error) const;

 private:
  void register_builtin_commands();
  void register_memory_commands();  // monitor_memory.cpp
  void register_info_commands();    // monitor_info.cpp
  void register_paging_commands();  // monitor_paging.cpp (info mem, info tlb)
  void register_device_commands();  // monitor_devices.cpp (sendkey, screendump)
  const Command* find(const std::string& name) const;
  std::string help(const std::string& topic) const;
  void print(const std::string& s);
  void greet();
  cpu::Vcpu& vcpu() { return machine_.cpu(cpu_ < machine_.cpu_count() ? cpu_ : 0); }
  const cpu::Vcpu& vcpu() const {
    return const_cast<machine::Machine&>(machine_).cpu(cpu_ < machine_.cpu_count() ? cpu_ : 0);
  }
  std::string memory_dump(bool physical, const std::string& fmt_word, const std::string& addr);

  machine::Machine& machine_;
  devices::CharBackend* line_ = nullptr;
  std::vector<Command> commands_;
  unsigned cpu_ = 0;  // the CPU `info registers`, `x` and `x/i` look at (`cpu N`)
  // Line editing.
  std::string buffer_;
  bool after_cr_ = false;   // swallow the LF of a CR LF pair
  int escape_state_ = 0;    // inside an ANSI escape sequence (arrow keys): 1 after ESC, 2 after [
  std::vector<std::string> history_;
  size_t history_pos_ = 0;
  // x / xp remember the last format, as QEMU does.
  char last_format_ = 'x';
  unsigned last_size_ = 4;
};

}  // namespace vmlab::ui
