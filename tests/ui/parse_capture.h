// Runs the command-line parser with its help/error output captured in memory, for the command
// line tests (command_line_test.cpp, qemu_spellings_test.cpp, ...).
//
//   Parsed p = parse_captured({"-m", "0"});   // p.r.status == 2, p.err says why
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ui/command_line.h"

namespace vmlab::ui::test {

struct Parsed {
  ParseResult r;
  std::string out, err;
};

inline Parsed parse_captured(std::vector<const char*> args) {
  args.insert(args.begin(), "vmlab");
  char *obuf = nullptr, *ebuf = nullptr;
  size_t olen = 0, elen = 0;
  std::FILE* o = open_memstream(&obuf, &olen);
  std::FILE* e = open_memstream(&ebuf, &elen);
  Parsed p{parse_command_line(int(args.size()), args.data(), o, e), "", ""};
  std::fclose(o);
  std::fclose(e);
  p.out.assign(obuf, olen);
  p.err.assign(ebuf, elen);
  std::free(obuf);
  std::free(ebuf);
  return p;
}

}  // namespace vmlab::ui::test
