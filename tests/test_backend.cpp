// The backend traits: every backend the launcher knows has a row, and the rows agree with what
// each backend is (the rooms outside harness/comm ask these, never the names).
#include <gtest/gtest.h>

#include "comm/backend.hpp"
#include "core/error.hpp"

TEST(BackendTraits, EveryBackendHasItsRow) {
  const auto& host = bb::backend_traits("host");
  EXPECT_FALSE(host.gpu);
  EXPECT_TRUE(host.shares_memory);
  EXPECT_FALSE(host.captures_graphs);
  const auto& emu = bb::backend_traits("emulate");
  EXPECT_TRUE(emu.gpu && emu.shares_memory && emu.emulated);
  EXPECT_FALSE(emu.over_links || emu.one_gpu_per_rank);
  const auto& nccl = bb::backend_traits("nccl");
  EXPECT_TRUE(nccl.gpu && nccl.over_links && nccl.captures_graphs && nccl.one_gpu_per_rank);
  EXPECT_FALSE(nccl.shares_memory || nccl.emulated);
  EXPECT_EQ(bb::backends().size(), 3u);
}

TEST(BackendTraits, UnknownNameIsABadFlagNamingTheChoices) {
  try {
    bb::backend_traits("warp");
    ADD_FAILURE() << "an unknown backend was accepted";
  } catch (const bb::Error& e) {
    EXPECT_EQ(e.rule(), "bad_flag");
    EXPECT_NE(std::string(e.what()).find("host, emulate, nccl"), std::string::npos) << e.what();
  }
}
