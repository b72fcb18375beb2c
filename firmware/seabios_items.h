// fw_cfg items that only SeaBIOS (`-bios /usr/share/seabios/bios.bin`) reads; vmlab's own BIOS
// ignores them. What SeaBIOS needs beyond them it already finds in what vmlab publishes for
// every BIOS: the fw_cfg signature, the CPU count (key 0x0005, 0x000F), the E820 map as
// "etc/e820" (bios_loader.cpp), and the i440FX PAM registers for its shadow copy (devices/pci/pam.h).
//
//   publish_seabios_items(machine.fw_cfg(), cfg.bios);   // once, with the other BIOS items
#pragma once
#include <cstdint>
#include <string>

#include "devices/fw_cfg.h"

namespace vmlab::firmware {

// SeaBIOS's serial console ("sercon"): with no VGA option ROM it becomes the primary display,
// so the banner, the boot messages and the guest's INT 10h text go to COM1, as vmlab's own BIOS
// mirrors its screen there.
inline constexpr const char* kSerconPortFile = "etc/sercon-port";
inline constexpr uint16_t kSerconPort = 0x3F8;

// The VGA BIOS for vmlab's VGA (PCI 1234:1111, QEMU's "stdvga"), as the option ROM file SeaBIOS
// looks for by vendor and device ("pci1234,1111.rom", as on coreboot's CBFS) since vmlab's VGA
// has no expansion ROM BAR. SeaBIOS then sets up text mode and VBE through it.
inline constexpr const char* kVgaRomFile = "pci1234,1111.rom";
inline constexpr const char* kVgaRomName = "vgabios-stdvga.bin";
inline constexpr const char* kSeabiosDir = "/usr/share/seabios";

// Publishes the serial console port and, when `bios_path` names a BIOS image (not vmlab's own,
// empty) and vgabios-stdvga.bin is next to it or in /usr/share/seabios, the VGA BIOS. Returns
// the VGA BIOS's path, or "" when none was found (SeaBIOS then has no VGA BIOS: no VBE, and the
// screen stays blank; the serial console still works).
std::string publish_seabios_items(devices::FwCfg& fw, const std::string& bios_path);

}  // namespace vmlab::firmware
