// fw_cfg items for SeaBIOS (see seabios_items.h).
#include "firmware/seabios_items.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace vmlab::firmware {

namespace {

// An option ROM image: 512-byte blocks starting with 55 AA, at most the 128 KiB below the BIOS.
bool read_option_rom(const std::filesystem::path& p, std::vector<uint8_t>& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 512 || bytes.size() > 0x20000 || bytes[0] != 0x55 || bytes[1] != 0xAA) return false;
  out = std::move(bytes);
  return true;
}

}  // namespace

std::string publish_seabios_items(devices::FwCfg& fw, const std::string& bios_path) {
  // SeaBIOS reads small files as little-endian integers (romfile_loadint).
  fw.add_file(kSerconPortFile, std::vector<uint8_t>{uint8_t(kSerconPort), uint8_t(kSerconPort >> 8)});
  if (bios_path.empty()) return "";
  namespace fs = std::filesystem;
  for (const fs::path& dir : {fs::path(bios_path).parent_path(), fs::path(kSeabiosDir)}) {
    std::vector<uint8_t> rom;
    const fs::path p = dir / kVgaRomName;
    if (read_option_rom(p, rom)) {
      fw.add_file(kVgaRomFile, std::move(rom));
      return p.string();
    }
  }
  return "";
}

}  // namespace vmlab::firmware
