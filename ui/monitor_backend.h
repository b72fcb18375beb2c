// The monitor's `backend [interp|bt|kvm]`: shows or switches the running machine's execution
// technique (Machine::switch_backend). Registered by Monitor's constructor.
#pragma once
#include "machine/machine.h"

namespace vmlab::ui {

class Monitor;
void add_backend_command(Monitor& mon, machine::Machine& m);

}  // namespace vmlab::ui
