// Direct Linux boot (-kernel bzImage -initrd FILE -append TEXT), done by vmlab and the BIOS
// together, as QEMU does with its linuxboot option ROM: at every reset the host puts the kernel's
// real-mode setup code at 0x10000, the protected-mode part at 1 MiB, the command line at 0x20000
// and the initrd as high as the kernel allows below the firmware tables, and fills in the
// loader fields of the setup header (Documentation/arch/x86/boot.rst, protocol 2.02+). The BIOS
// finishes POST as usual and, instead of loading an MBR, its INT 19h finds the fw_cfg file
// "etc/vmlab/linux-boot" and enters the setup code at 1020:0000 with DS = ES = SS = 0x1000 —
// so the kernel's own setup code asks the BIOS for the E820 map, the video mode and the rest.
//
//   if (is_linux_bzimage(kernel)) {
//     LinuxBootPlan plan = plan_linux_boot(kernel, initrd, cmdline, info);  // checks, once
//     fw_cfg.add_file(kLinuxBootFile, plan.fw_cfg_file());
//     ... boot step: write_linux_boot(mem, plan);
//   }
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "firmware/platform_layout.h"
#include "machine/guest_memory.h"

namespace vmlab::firmware {

inline constexpr const char* kLinuxBootFile = "etc/vmlab/linux-boot";
inline constexpr uint32_t kLinuxSetupAddress = 0x10000;
inline constexpr uint32_t kLinuxCmdlineAddress = 0x20000;
inline constexpr uint32_t kLinuxKernelAddress = 0x100000;

// True when the image carries the "HdrS" setup header of the Linux x86 boot protocol.
bool is_linux_bzimage(const std::vector<uint8_t>& image);

struct LinuxBootPlan {
  std::vector<uint8_t> setup;      // real-mode part, header already patched
  std::vector<uint8_t> kernel;     // protected-mode part
  std::vector<uint8_t> cmdline;    // NUL-terminated
  std::vector<uint8_t> initrd;
  uint32_t initrd_address = 0;
  uint16_t protocol = 0;
  // What the BIOS reads from kLinuxBootFile: u16 setup segment, u16 stack pointer.
  std::vector<uint8_t> fw_cfg_file() const;
};

// Checks the image and lays everything out; throws machine::SetupError with the reason (not a
// bzImage, protocol older than 2.02, a zImage that must load low, the command line too long,
// the kernel or initrd not fitting in RAM).
LinuxBootPlan plan_linux_boot(const std::vector<uint8_t>& image, std::vector<uint8_t> initrd,
                              const std::string& cmdline, const PlatformInfo& info);

// Writes the plan into guest RAM (the boot step, on every reset).
void write_linux_boot(machine::GuestMemory& mem, const LinuxBootPlan& plan);

}  // namespace vmlab::firmware
