// Which transport NCCL used, read from its INFO lines, and what the run then claims: the link
// class of the floors, the shared-GPU label of the one-GPU rehearsal, the socket-fallback warning.
#include <gtest/gtest.h>

#include <sstream>

#include "comm/nccl_transport.hpp"
#include "results/results.hpp"

namespace bb {
namespace {

std::map<std::string, int> parse(const std::string& text) {
  std::istringstream in(text);
  return parse_nccl_transports(in);
}

TEST(NcclTransport, ReadsEachConnectionLineByTransport) {
  const auto t = parse(
      "h0:101:120 [0] NCCL INFO Bootstrap: Using lo:127.0.0.1<0>\n"
      "h0:101:120 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[0] [send] via NET/Socket/0\n"
      "h0:101:120 [0] NCCL INFO Channel 01/0 : 1[0] -> 0[0] [receive] via NET/Socket/0\n"
      "h0:101:120 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/CUMEM/read\n"
      "h0:101:120 [0] NCCL INFO Channel 01/0 : 0[0] -> 1[1] via P2P/IPC\n"
      "h0:101:120 [0] NCCL INFO Channel 02/0 : 0[0] -> 1[1] via P2P/direct pointer/read\n"
      "h0:101:120 [0] NCCL INFO Channel 00 : 0[0] -> 1[1] via SHM/direct/direct\n"
      "h0:101:120 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] [send] via NET/IB/0/GDRDMA\n"
      "h0:101:120 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] [send] via NET/AWS Libfabric/0\n"
      "an unrelated line that says via NET/Socket/0 but is not NCCL's\n");
  EXPECT_EQ(t.at("NET/Socket"), 2);
  EXPECT_EQ(t.at("P2P/CUMEM"), 1);
  EXPECT_EQ(t.at("P2P/IPC"), 1);
  EXPECT_EQ(t.at("P2P/direct"), 1);
  EXPECT_EQ(t.at("SHM"), 1);
  EXPECT_EQ(t.at("NET/IB"), 1);
  EXPECT_EQ(t.at("NET/other"), 1);
  EXPECT_EQ(t.size(), 7u);
}

TEST(NcclTransport, LinkClasses) {
  EXPECT_EQ(link_class_of("P2P/CUMEM"), "nvlink");
  EXPECT_EQ(link_class_of("SHM"), "shm");
  EXPECT_EQ(link_class_of("NET/Socket"), "socket");
  EXPECT_EQ(link_class_of("NET/IB"), "ib");
  EXPECT_EQ(link_class_of("NET/other"), "net");
}

std::vector<RankPlace> places(std::vector<std::pair<std::string, std::string>> host_bus) {
  std::vector<RankPlace> out;
  for (size_t i = 0; i < host_bus.size(); ++i)
    out.push_back({int(i), int(i), host_bus[i].first, 0, host_bus[i].second});
  return out;
}

TEST(NcclTransport, SharedGpuIsOneHostAndOneBusId) {
  EXPECT_TRUE(ranks_share_a_gpu(places({{"a", "0000:06:00.0"}, {"a", "0000:06:00.0"}})));
  // Two nodes whose GPUs happen to sit at the same bus id share nothing.
  EXPECT_FALSE(ranks_share_a_gpu(places({{"a", "0000:06:00.0"}, {"b", "0000:06:00.0"}})));
  EXPECT_FALSE(ranks_share_a_gpu(places({{"a", "0000:06:00.0"}, {"a", "0000:07:00.0"}})));
  EXPECT_FALSE(ranks_share_a_gpu(places({{"a", ""}, {"a", ""}})));  // host backend: no GPU
}

TEST(NcclTransport, FloorsUseTheFastestLinkAndWarnOnSocketsBetweenGpusOfOneHost) {
  const auto two_gpus = places({{"a", "0000:06:00.0"}, {"a", "0000:07:00.0"}});
  TransportVerdict v = judge_transports({"NET/Socket"}, two_gpus);
  EXPECT_EQ(v.link_class, "socket");
  ASSERT_EQ(v.warnings.size(), 1u);
  EXPECT_NE(v.warnings[0].find("NET/Socket"), std::string::npos);
  // The rehearsal (one GPU shared) is sockets by design: no warning.
  EXPECT_TRUE(judge_transports({"NET/Socket"}, places({{"a", "x"}, {"a", "x"}})).warnings.empty());
  // Multi-node: NVLink inside a node, IB across; a floor from the fastest stays a lower bound.
  v = judge_transports({"NET/IB", "P2P/CUMEM"}, places({{"a", "x"}, {"a", "y"}, {"b", "x"}, {"b", "y"}}));
  EXPECT_EQ(v.link_class, "nvlink");
  EXPECT_EQ(v.transports, (std::vector<std::string>{"P2P/CUMEM", "NET/IB"}));
  EXPECT_TRUE(v.warnings.empty());
}

TEST(NcclTransport, NoLinkFloorMeansNoNumber) {
  Floors f;
  f.copy_GBps = 1000;
  Floor fl = phase_floor(f, true, int64_t(450) << 20);
  EXPECT_TRUE(fl.known);
  EXPECT_EQ(fl.basis, "nvlink");
  f.no_link_floor = "shared_gpu";
  fl = phase_floor(f, true, 1 << 20);
  EXPECT_FALSE(fl.known);
  EXPECT_EQ(fl.basis, "none: shared_gpu");
  EXPECT_TRUE(phase_floor(f, false, 1 << 20).known);  // a local copy keeps its memcpy floor
}

}  // namespace
}  // namespace bb
