// The disk options of the command line, in QEMU's spellings:
//
//   -hda F  -hdb F  -hdc F  -hdd F       raw disk image at IDE index 0-3
//   -cdrom F                             ISO image on the CD-ROM at index 2 (secondary master)
//   -drive file=F,index=N,media=disk|cdrom,format=raw[,if=ide][,readonly=on][,snapshot=on]
//   -snapshot                            every drive writes to a temporary overlay
//
// Anything else (another format, interface or key) is an error that names it.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "machine/machine_config.h"

namespace vmlab::ui {

// One -drive value. `index` stays as given (UINT_MAX when absent: the next free one is used).
// Throws std::invalid_argument with the message to show.
machine::DriveConfig parse_drive(const std::string& text, bool* has_index);

// All drive options in command-line order -> the machine's drive list (indexes assigned,
// duplicates rejected). `kind` is "hda".."hdd", "cdrom" or "drive"; throws std::invalid_argument.
struct DriveOption { std::string kind, value; };
std::vector<machine::DriveConfig> collect_drives(const std::vector<DriveOption>& opts, bool snapshot);

}  // namespace vmlab::ui
