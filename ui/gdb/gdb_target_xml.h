// The i386 target description the gdb stub serves (gdb_target_xml.cpp).
#pragma once

namespace vmlab::ui::gdb {
extern const char* const kTargetXml;
}  // namespace vmlab::ui::gdb
