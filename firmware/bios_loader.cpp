// Booting through firmware (see bios_loader.h).
#include "firmware/bios_loader.h"

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <iterator>
#include <memory>

#include "firmware/e820_map.h"
#include "firmware/linux_loader.h"
#include "firmware/platform_tables.h"
#include "firmware/seabios_items.h"
#include "machine/machine.h"
#include "machine/setup_error.h"

namespace vmlab::firmware {

namespace {
constexpr uint32_t kMaxLegacyRom = 128 * 1024;  // 0xE0000-0xFFFFF
}

std::vector<uint8_t> read_bios_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw machine::SetupError(fmt::format("cannot open BIOS image '{}'", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t n = bytes.size();
  if (n != 64 * 1024 && n != 128 * 1024 && n != 256 * 1024)
    throw machine::SetupError(fmt::format(
        "BIOS image '{}' is {} bytes; a PC BIOS image is 64, 128 or 256 KiB", path, n));
  return bytes;
}

std::string builtin_bios_path() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path() / "firmware" / "bios" / "bios.bin");
    candidates.push_back(exe.parent_path() / ".." / "share" / "vmlab" / "bios.bin");
  }
#ifdef VMLAB_BIOS_PATH
  candidates.push_back(VMLAB_BIOS_PATH);
#endif
  for (const fs::path& p : candidates)
    if (fs::exists(p, ec)) return p.string();
  throw machine::SetupError(fmt::format(
      "vmlab's BIOS (bios.bin) is not next to the executable ({}); build it with the project "
      "(it needs nasm), or pass -bios FILE or -kernel FILE",
      candidates.empty() ? std::string("?") : candidates.front().string()));
}

void map_bios_rom(machine::GuestMemory& mem, std::span<const uint8_t> image) {
  const uint32_t size = uint32_t(image.size());
  mem.add_rom(uint32_t((1ull << 32) - size), image, "bios");
  const uint32_t legacy = std::min(size, kMaxLegacyRom);
  mem.add_rom(0x100000 - legacy, image.subspan(size - legacy), "bios-legacy");
}

void setup_bios_boot(machine::Machine& m, const std::vector<uint8_t>& image,
                     std::function<void(machine::Machine&)> more) {
  PlatformInfo info = platform_info(m, uint32_t(image.size()));
  if (info.ram_bytes < 2 * 1024 * 1024)
    throw machine::SetupError("booting through the BIOS needs at least 2 MiB of RAM (-m 2M)");
  map_bios_rom(m.memory(), image);
  std::vector<E820Entry> map = build_e820(info);
  devices::FwCfg& fw = m.fw_cfg();
  fw.add_file(kFwCfgE820File, e820_fw_cfg_file(map));
  publish_seabios_items(fw, m.config().bios);  // for -bios with SeaBIOS: COM1 console, VGA BIOS
  fw.set_u16(kFwCfgBootDevice, uint16_t(m.config().boot_device));
  fw.set_u16(devices::FwCfg::kNbCpus, uint16_t(info.cpus));
  fw.set_u16(devices::FwCfg::kMaxCpus, uint16_t(info.cpus));
  // The CPU's RESET state already points at the ROM's reset vector; what is left for the boot
  // step is the RAM the BIOS expects the host to have filled.
  m.set_boot([info, more = std::move(more)](machine::Machine& mm) {
    write_platform_tables(mm.memory(), info);
    if (more) more(mm);
  });
}

void setup_linux_boot(machine::Machine& m, const std::vector<uint8_t>& bios_image,
                      const std::vector<uint8_t>& kernel, std::vector<uint8_t> initrd,
                      const std::string& cmdline) {
  PlatformInfo info = platform_info(m, uint32_t(bios_image.size()));
  auto plan = std::make_shared<LinuxBootPlan>(plan_linux_boot(kernel, std::move(initrd), cmdline, info));
  m.fw_cfg().add_file(kLinuxBootFile, plan->fw_cfg_file());
  setup_bios_boot(m, bios_image, [plan](machine::Machine& mm) { write_linux_boot(mm.memory(), *plan); });
}

}  // namespace vmlab::firmware
