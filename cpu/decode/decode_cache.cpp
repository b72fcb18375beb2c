// DecodeCache bookkeeping; see decode_cache.h.
#include "cpu/decode/decode_cache.h"

namespace vmlab::cpu {

Block* DecodeCache::insert(std::unique_ptr<Block> b) {
  // A guest can make a block start at every byte of every page: bound the host memory spent.
  if (blocks_.size() >= kMaxBlocks) flush();
  const uint64_t key = b->key;
  Block* raw = b.get();
  auto it = blocks_.find(key);
  if (it != blocks_.end()) {
    retire(std::move(it->second));
    it->second = std::move(b);
  } else {
    blocks_.emplace(key, std::move(b));
    by_page_[(key >> 1) >> 12].push_back(key);
  }
  front_[front_index(key)] = raw;
  return raw;
}

void DecodeCache::retire(std::unique_ptr<Block> b) {
  Block*& slot = front_[front_index(b->key)];
  if (slot == b.get()) slot = nullptr;
  graveyard_.push_back(std::move(b));
  ++generation_;
}

unsigned DecodeCache::invalidate_page(uint64_t page) {
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return 0;
  unsigned n = 0;
  for (uint64_t key : it->second) {
    auto b = blocks_.find(key);
    if (b == blocks_.end()) continue;
    retire(std::move(b->second));
    blocks_.erase(b);
    ++n;
  }
  by_page_.erase(it);
  return n;
}

void DecodeCache::flush() {
  for (auto& [key, b] : blocks_) retire(std::move(b));
  blocks_.clear();
  by_page_.clear();
  front_.fill(nullptr);
  ++generation_;
}

}  // namespace vmlab::cpu
