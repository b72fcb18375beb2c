// Booting through firmware: the BIOS ROM image (vmlab's own, firmware/bios/, or -bios FILE),
// mapped where a PC has it, plus the configuration the BIOS reads through fw_cfg and the MP/ACPI
// tables it leaves for the operating system.
//
//   std::vector<uint8_t> rom = read_bios_image(cfg.bios.empty() ? builtin_bios_path() : cfg.bios);
//   setup_bios_boot(machine, rom);    // once, before the first reset()
//   machine.reset();                  // the CPU starts at F000:FFF0 in the ROM
//
// The ROM is mapped twice, read-only (writes are ignored): the whole image ending at 4 GiB
// (0xFFFFFFF0 is the reset vector) and its last 128 KiB (64 KiB for vmlab's own) ending at
// 1 MiB, where real-mode code reaches it.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "machine/guest_memory.h"

namespace vmlab::machine { class Machine; }

namespace vmlab::firmware {

// Throws machine::SetupError when the file is missing or not 64, 128 or 256 KiB.
std::vector<uint8_t> read_bios_image(const std::string& path);

// vmlab's own bios.bin: next to the executable (firmware/bios/bios.bin in the build tree, or
// ../share/vmlab/bios.bin), else the build-time path. Throws SetupError when none exists.
std::string builtin_bios_path();

void map_bios_rom(machine::GuestMemory& mem, std::span<const uint8_t> image);

// Maps the ROM, publishes the fw_cfg items (the E820 map as etc/e820, boot device 0x000D, CPU
// count) and installs the boot step (the MP and ACPI tables, rewritten on every reset, then
// `more`, e.g. the direct Linux boot's loading).
void setup_bios_boot(machine::Machine& m, const std::vector<uint8_t>& image,
                     std::function<void(machine::Machine&)> more = {});

// -kernel with a Linux bzImage: setup_bios_boot plus the kernel, initrd and command line in RAM
// and "etc/vmlab/linux-boot" for the BIOS (linux_loader.h).
void setup_linux_boot(machine::Machine& m, const std::vector<uint8_t>& bios_image,
                      const std::vector<uint8_t>& kernel, std::vector<uint8_t> initrd,
                      const std::string& cmdline);

}  // namespace vmlab::firmware
