// Monitor: line editing, command dispatch, help and run control (see monitor.h).
#include "ui/monitor.h"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

#include "cpu/flags.h"
#include "ui/monitor_backend.h"

namespace vmlab::ui {

namespace {

std::vector<std::string> split_words(const std::string& s) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Register names an expression may use as $name.
std::optional<uint64_t> register_value(const cpu::CpuState& s, const std::string& name) {
  static const char* gpr[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
  for (unsigned i = 0; i < 8; ++i)
    if (name == gpr[i]) return s.gpr[i];
  if (name == "eip" || name == "pc") return s.eip;
  if (name == "eflags") return cpu::read_eflags(s);
  if (name == "cr0") return s.cr0;
  if (name == "cr2") return s.cr2;
  if (name == "cr3") return s.cr3;
  if (name == "cr4") return s.cr4;
  static const char* seg[cpu::kNumSegRegs] = {"es", "cs", "ss", "ds", "fs", "gs"};
  for (unsigned i = 0; i < cpu::kNumSegRegs; ++i)
    if (name == seg[i]) return s.seg[i].selector;
  return std::nullopt;
}

}  // namespace

Monitor::Monitor(machine::Machine& m) : machine_(m) {
  register_builtin_commands();
  register_memory_commands();
  register_info_commands();
  register_paging_commands();
  register_device_commands();
  add_backend_command(*this, m);  // monitor_backend.cpp
}

Monitor::Monitor(machine::Machine& m, devices::CharBackend& line, bool greet_now) : Monitor(m) {
  line_ = &line;
  line.attach([this](uint8_t b) { receive(b); }, {}, [this](devices::CharEvent e) {
    if (e == devices::CharEvent::Opened) greet();
  });
  if (greet_now) greet();
}

void Monitor::print(const std::string& s) {
  if (!line_) return;
  line_->write_text(s);
  line_->flush();
}

void Monitor::greet() {
  buffer_.clear();
  print(fmt::format("vmlab monitor - type 'help' for more information\n{}", kPrompt));
}

void Monitor::add_command(Command c) {
  auto it = std::find_if(commands_.begin(), commands_.end(),
                         [&](const Command& x) { return x.name == c.name; });
  if (it != commands_.end()) *it = std::move(c);  // a later registration replaces
  else commands_.push_back(std::move(c));
}

const Monitor::Command* Monitor::find(const std::string& name) const {
  for (const Command& c : commands_)
    if (c.name == name || (!c.alias.empty() && c.alias == name)) return &c;
  return nullptr;
}

std::string Monitor::help(const std::string& topic) const {
  std::string out;
  for (const Command& c : commands_) {
    if (!topic.empty() && c.name != topic && c.alias != topic &&
        c.name.rfind(topic + " ", 0) != 0)
      continue;
    std::string names = c.alias.empty() ? c.name : fmt::format("{}|{}", c.name, c.alias);
    std::string usage = c.params.empty() ? names : fmt::format("{} {}", names, c.params);
    out += fmt::format("{:<28} -- {}\n", usage, c.help);
  }
  if (out.empty()) out = fmt::format("no command '{}' (type 'help' for the list)\n", topic);
  return out;
}

std::string Monitor::execute(const std::string& line) {
  std::vector<std::string> words = split_words(line);
  if (words.empty()) return "";
  std::string name = words[0];
  size_t consumed = 1;
  // x/4xw: the format is glued to the command name.
  std::string glued;
  if (size_t slash = name.find('/'); slash != std::string::npos) {
    glued = name.substr(slash);
    name = name.substr(0, slash);
  }
  if (name == "info" && words.size() >= 2) {
    name = "info " + words[1];
    consumed = 2;
  }
  const Command* c = find(name);
  if (!c) {
    if (name == "info")
      return "info needs a subcommand:\n" + help("info");
    if (name.rfind("info ", 0) == 0)
      return fmt::format("unknown info subcommand '{}' (type 'info' for the list)\n", name.substr(5));
    return fmt::format("unknown command: '{}' (type 'help' for the list)\n", name);
  }
  std::vector<std::string> args;
  if (!glued.empty()) args.push_back(glued);
  args.insert(args.end(), words.begin() + long(consumed), words.end());
  // The raw text after the command words (for commands that take free text).
  std::string rest;
  {
    size_t pos = 0;
    for (size_t i = 0; i < consumed; ++i) {
      pos = line.find(words[i].substr(0, words[i].find('/')), pos);
      pos += words[i].size();
    }
    if (pos < line.size()) rest = line.substr(pos);
  }
  try {
    return c->run(args, rest);
  } catch (const std::exception& e) {
    // A command's own failure must never take the machine down.
    return fmt::format("{}: {}\n", c->name, e.what());
  }
}

void Monitor::receive(uint8_t b) {
  // Arrow keys arrive as ESC [ A..D: up/down walk the history, the rest is ignored.
  if (escape_state_ == 1) {
    escape_state_ = (b == '[' || b == 'O') ? 2 : 0;
    return;
  }
  if (escape_state_ == 2) {
    if (b >= 0x40 && b <= 0x7E) {
      escape_state_ = 0;
      if ((b == 'A' || b == 'B') && !history_.empty()) {
        if (b == 'A' && history_pos_ > 0) --history_pos_;
        if (b == 'B' && history_pos_ < history_.size()) ++history_pos_;
        buffer_ = history_pos_ < history_.size() ? history_[history_pos_] : "";
        print(fmt::format("\r\x1b[K{}{}", kPrompt, buffer_));
      }
    }
    return;
  }
  if (b == '\n' && after_cr_) {
    after_cr_ = false;
    return;
  }
  after_cr_ = b == '\r';
  switch (b) {
    case '\r':
    case '\n': {
      print("\n");
      std::string line = buffer_;
      buffer_.clear();
      if (!split_words(line).empty() && (history_.empty() || history_.back() != line))
        history_.push_back(line);
      if (history_.size() > 100) history_.erase(history_.begin());
      history_pos_ = history_.size();
      print(execute(line));
      print(kPrompt);
      return;
    }
    case 0x7F:
    case 0x08:  // backspace
      if (!buffer_.empty()) {
        buffer_.pop_back();
        print("\b \b");
      }
      return;
    case 0x15:  // Ctrl-U: kill the line
    case 0x03:  // Ctrl-C (with signal=off): abandon the line
      buffer_.clear();
      print(fmt::format("\r\x1b[K{}", kPrompt));
      return;
    case 0x1B:
      escape_state_ = 1;
      return;
    default:
      if (b >= 0x20 && b < 0x7F && buffer_.size() < kMaxLine) {
        buffer_ += char(b);
        print(std::string(1, char(b)));
      }
      return;  // other control bytes and non-ASCII are ignored
  }
}

std::optional<uint64_t> Monitor::eval(const std::string& expr, std::string& error) const {
  // term (('+'|'-') term)*, term = number | $register
  std::string e;
  for (char c : expr)
    if (!std::isspace(static_cast<unsigned char>(c))) e += c;
  if (e.empty()) {
    error = "missing address";
    return std::nullopt;
  }
  uint64_t total = 0;
  size_t i = 0;
  bool negative = false;
  if (e[0] == '-' || e[0] == '+') {
    negative = e[0] == '-';
    ++i;
  }
  for (;;) {
    size_t start = i;
    while (i < e.size() && e[i] != '+' && e[i] != '-') ++i;
    std::string term = e.substr(start, i - start);
    uint64_t v = 0;
    if (term.empty()) {
      error = fmt::format("'{}': missing a number", expr);
      return std::nullopt;
    }
    if (term[0] == '$') {
      auto r = register_value(vcpu().s, lower(term.substr(1)));
      if (!r) {
        error = fmt::format("unknown register '{}'", term);
        return std::nullopt;
      }
      v = *r;
    } else {
      int base = 10;
      std::string digits = term;
      if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits = digits.substr(2);
      }
      if (digits.empty() || digits.size() > 20) {
        error = fmt::format("'{}' is not a number", term);
        return std::nullopt;
      }
      for (char c : digits) {
        int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                : std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(c) - 'a' + 10
                                                                : 99;
        if (d >= base) {
          error = fmt::format("'{}' is not a number (hex needs 0x)", term);
          return std::nullopt;
        }
        if (v > (UINT64_MAX - uint64_t(d)) / uint64_t(base)) {
          error = fmt::format("'{}' is too large", term);
          return std::nullopt;
        }
        v = v * uint64_t(base) + uint64_t(d);
      }
    }
    total = negative ? total - v : total + v;  // unsigned: wraps as the address arithmetic does
    if (i >= e.size()) return total;
    negative = e[i] == '-';
    ++i;
  }
}

void Monitor::register_builtin_commands() {
  add_command({"help", "[command]", "list the commands, or show one", [this](const auto& args, const auto&) {
                 return help(args.empty() ? "" : args[0]);
               }, "?"});
  add_command({"stop", "", "pause the guest (the monitor keeps running)", [this](const auto&, const auto&) {
                 machine_.pause();
                 return std::string();
               }});
  add_command({"cont", "", "resume the guest after stop", [this](const auto&, const auto&) {
                 machine_.resume();
                 return std::string();
               }, "c"});
  add_command({"system_reset", "", "reset the machine (as the reset button)", [this](const auto&, const auto&) {
                 machine_.request_reset();
                 return std::string();
               }});
  add_command({"quit", "", "quit vmlab (status 0)", [this](const auto&, const auto&) {
                 machine_.request_exit(machine::kExitOk);
                 return std::string();
               }, "q"});
  add_command({"cpu", "index", "select the CPU that info registers and x look at", [this](const auto& args, const auto&) {
                 std::string err;
                 if (args.size() != 1) return std::string("usage: cpu index\n");
                 auto v = eval(args[0], err);
                 if (!v) return err + "\n";
                 if (*v >= machine_.cpu_count())
                   return fmt::format("no CPU {} (this machine has {})\n", *v, machine_.cpu_count());
                 cpu_ = unsigned(*v);
                 return std::string();
               }});
  add_command({"system_powerdown", "", "press the ACPI power button (the guest shuts down if it listens)",
               [this](const auto&, const auto&) {
                 machine_.press_power_button();
                 return std::string();
               }});
  add_command({"step", "[N]", "stop the guest if it runs, then execute N instructions (default 1)",
               [this](const std::vector<std::string>& args, const std::string&) {
                 uint64_t n = 1;
                 if (!args.empty()) {
                   std::string err;
                   auto v = eval(args[0], err);
                   if (!v) return fmt::format("step: {}\n", err);
                   if (*v == 0 || *v > 1'000'000) return std::string("step: N must be 1 to 1000000\n");
                   n = *v;
                 }
                 const unsigned which = cpu_ < machine_.cpu_count() ? cpu_ : 0;
                 if (machine_.waiting_for_sipi(which))
                   return fmt::format("step: CPU {} waits for a STARTUP IPI and cannot run\n", which);
                 machine_.pause();
                 const char keep_format = last_format_;
                 const unsigned keep_size = last_size_;
                 cpu::Exit e = machine_.step_cpu(which, n);
                 std::string out;
                 if (e.reason == cpu::ExitReason::Halted && e.executed == 0)
                   out = "the CPU is halted (HLT): 'cont' lets an interrupt wake it\n";
                 else if (e.reason == cpu::ExitReason::Shutdown)
                   out = "triple fault (shutdown): 'cont' resets the machine\n";
                 else if (e.reason == cpu::ExitReason::InternalError)
                   out = fmt::format("the core stopped: {}\n", e.message);
                 const cpu::CpuState& s = vcpu().s;
                 out += fmt::format("executed {} instruction{}; next:\n", e.executed, e.executed == 1 ? "" : "s");
                 out += memory_dump(false, "/1i", fmt::format("{:#x}", uint64_t(s.seg[cpu::CS].base + s.eip)));
                 last_format_ = keep_format;  // x's remembered format is the user's, not step's
                 last_size_ = keep_size;
                 return out;
               }});
}

}  // namespace vmlab::ui
