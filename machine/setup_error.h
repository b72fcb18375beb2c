// SetupError: a host or setup failure (missing file, bad option value, a kernel that does not
// fit) found while building the machine. The command line reports the message and exits with
// status 2; the message says what is wrong and what to do.
//
//   throw SetupError(fmt::format("cannot open kernel '{}': {}", path, strerror(errno)));
#pragma once
#include <stdexcept>
#include <string>

namespace vmlab::machine {

class SetupError : public std::runtime_error {
 public:
  explicit SetupError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace vmlab::machine
