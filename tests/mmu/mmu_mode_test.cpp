// MMU mode selection (mmu/mmu.cpp): only direct is implemented; the others are refused clearly.
#include <doctest/doctest.h>
#include <stdexcept>
#include "mmu/mmu.h"

using namespace vmlab::mmu;

TEST_CASE("mmu mode names parse and only direct is supported") {
  CHECK(parse_mmu_mode("direct") == MmuMode::Direct);
  CHECK(parse_mmu_mode("shadow") == MmuMode::Shadow);
  CHECK(parse_mmu_mode("nested") == MmuMode::Nested);
  CHECK(parse_mmu_mode("ept") == std::nullopt);
  CHECK(std::string(mmu_mode_name(MmuMode::Nested)) == "nested");
  CHECK(mmu_mode_supported(MmuMode::Direct));
  CHECK_FALSE(mmu_mode_supported(MmuMode::Shadow));
  Mmu mmu;
  CHECK_THROWS_AS(mmu.set_mode(MmuMode::Shadow), std::invalid_argument);
  CHECK(mmu.mode() == MmuMode::Direct);
  mmu.set_mode(MmuMode::Direct);
}
