// QEMU fw_cfg, traditional I/O interface (see fw_cfg.h for what is modelled).
#include "devices/fw_cfg.h"

#include <stdexcept>

namespace vmlab::devices {

FwCfg::FwCfg(uint64_t ram_bytes, uint16_t cpus) {
  set_bytes(kSignature, {'Q', 'E', 'M', 'U'});
  set_u32(kId, kFeatureTraditional);  // no DMA interface
  set_u64(kRamSize, ram_bytes);
  set_u16(kNbCpus, cpus);
  set_u16(kMaxCpus, cpus);
  rebuild_file_dir();  // an empty directory still exists: count 0
}

const std::vector<uint8_t>* FwCfg::item(uint16_t selector) const {
  auto it = items_.find(key_of(selector));
  return it == items_.end() ? nullptr : &it->second;
}

uint8_t FwCfg::read_data() {
  const std::vector<uint8_t>* data = item(state_.selector);
  if (!data || state_.offset >= data->size()) return 0;  // no item / past the end: zeros
  return (*data)[state_.offset++];
}

uint32_t FwCfg::read(uint64_t, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i) v |= uint32_t(read_data()) << (8 * i);
  return v;
}

void FwCfg::write(uint64_t offset, unsigned width, uint32_t value) {
  if (offset == 0 && width >= 2) {
    state_.selector = uint16_t(value);
    state_.offset = 0;
    return;
  }
  ++ignored_writes_;  // data writes have been ignored since QEMU 2.4
}

void FwCfg::restore(const State& s) {
  state_ = s;
  // Validate: the offset never passes the selected item's end (a missing item has size 0).
  const std::vector<uint8_t>* data = item(state_.selector);
  uint32_t size = data ? uint32_t(data->size()) : 0;
  if (state_.offset > size) state_.offset = size;
}

void FwCfg::set_bytes(uint16_t key, std::vector<uint8_t> bytes) {
  uint16_t k = key_of(key);
  if (k == kFileDir || (k >= kFileFirst && k <= kFileLast))
    throw std::invalid_argument("fw_cfg: key is reserved for the file directory / files");
  if (bytes.size() > UINT32_MAX) throw std::invalid_argument("fw_cfg: item too large");
  items_[k] = std::move(bytes);
}

void FwCfg::set_u16(uint16_t key, uint16_t v) { set_bytes(key, {uint8_t(v), uint8_t(v >> 8)}); }

void FwCfg::set_u32(uint16_t key, uint32_t v) {
  std::vector<uint8_t> b(4);
  for (unsigned i = 0; i < 4; ++i) b[i] = uint8_t(v >> (8 * i));
  set_bytes(key, std::move(b));
}

void FwCfg::set_u64(uint16_t key, uint64_t v) {
  std::vector<uint8_t> b(8);
  for (unsigned i = 0; i < 8; ++i) b[i] = uint8_t(v >> (8 * i));
  set_bytes(key, std::move(b));
}

uint16_t FwCfg::add_file(const std::string& name, std::vector<uint8_t> bytes) {
  if (name.empty() || name.size() >= kFileNameSize || name.find('\0') != std::string::npos)
    throw std::invalid_argument("fw_cfg: file name must be 1-55 bytes: " + name);
  for (const auto& f : files_)
    if (f.first == name) throw std::invalid_argument("fw_cfg: duplicate file " + name);
  if (files_.size() > size_t(kFileLast - kFileFirst))
    throw std::invalid_argument("fw_cfg: too many files");
  if (bytes.size() > UINT32_MAX) throw std::invalid_argument("fw_cfg: file too large");
  uint16_t sel = uint16_t(kFileFirst + files_.size());
  items_[sel] = std::move(bytes);
  files_.emplace_back(name, sel);
  rebuild_file_dir();
  return sel;
}

void FwCfg::rebuild_file_dir() {
  // struct FWCfgFiles { be32 count; struct FWCfgFile { be32 size; be16 select; u16 reserved;
  // char name[56]; } f[]; } -- all big-endian, unlike the numeric items.
  std::vector<uint8_t> dir(4 + files_.size() * kFileDirEntrySize, 0);
  auto put_be = [&](size_t at, uint32_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i) dir[at + i] = uint8_t(v >> (8 * (bytes - 1 - i)));
  };
  put_be(0, uint32_t(files_.size()), 4);
  for (size_t i = 0; i < files_.size(); ++i) {
    size_t at = 4 + i * kFileDirEntrySize;
    put_be(at, uint32_t(items_[files_[i].second].size()), 4);
    put_be(at + 4, files_[i].second, 2);
    for (size_t c = 0; c < files_[i].first.size(); ++c) dir[at + 8 + c] = uint8_t(files_[i].first[c]);
  }
  items_[kFileDir] = std::move(dir);
}

}  // namespace vmlab::devices
