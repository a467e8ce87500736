// Launcher detection from the environment (issue 12): mpirun (Open MPI, PMI), srun with and
// without PMI/PMIx, torchrun; malformed values are bad_launch, never a wrapped rank.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "comm/launch.hpp"
#include "comm/launch_env.hpp"

namespace {

bb::LaunchEnv detect(const std::map<std::string, std::string>& vars) {
  return bb::detect_launch([&](const char* n) -> const char* {
    auto it = vars.find(n);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string rule(const std::map<std::string, std::string>& vars) {
  try {
    detect(vars);
  } catch (const bb::Error& e) {
    return e.rule();
  }
  return "";
}

TEST(LaunchEnv, AloneIsSingle) {
  auto e = detect({{"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "0"}});  // a batch script, not a step
  EXPECT_EQ(e.mode, "single");
  EXPECT_FALSE(e.multi_process());
}

TEST(LaunchEnv, OpenMpi) {
  auto e = detect({{"OMPI_COMM_WORLD_SIZE", "8"}, {"OMPI_COMM_WORLD_RANK", "5"}, {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}});
  EXPECT_EQ(e.mode, "mpi");
  EXPECT_EQ(e.size, 8);
  EXPECT_EQ(e.rank, 5);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_TRUE(e.mpi_runtime);
  EXPECT_EQ(e.source, "OMPI_COMM_WORLD_SIZE=8");
}

TEST(LaunchEnv, HydraPmi) {
  auto e = detect({{"PMI_SIZE", "4"}, {"PMI_RANK", "3"}, {"MPI_LOCALRANKID", "3"}});
  EXPECT_EQ(e.mode, "mpi");
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.local_rank, 3);
}

TEST(LaunchEnv, SrunWithPmix) {
  auto e = detect({{"SLURM_STEP_NUM_TASKS", "16"}, {"SLURM_PROCID", "9"}, {"SLURM_LOCALID", "1"}, {"PMIX_RANK", "9"}});
  EXPECT_EQ(e.mode, "slurm");
  EXPECT_EQ(e.size, 16);
  EXPECT_EQ(e.rank, 9);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_TRUE(e.mpi_runtime);
}

TEST(LaunchEnv, SrunWithoutPmiUsesNcclBootstrap) {
  auto e = detect({{"SLURM_STEP_NUM_TASKS", "2"}, {"SLURM_PROCID", "1"}, {"SLURM_LOCALID", "1"}});
  EXPECT_EQ(e.mode, "slurm");
  EXPECT_FALSE(e.mpi_runtime);
}

TEST(LaunchEnv, Torchrun) {
  auto e = detect({{"WORLD_SIZE", "8"}, {"RANK", "7"}, {"LOCAL_RANK", "3"}, {"MASTER_ADDR", "n0"}, {"MASTER_PORT", "29500"}});
  EXPECT_EQ(e.mode, "torchrun");
  EXPECT_EQ(e.size, 8);
  EXPECT_EQ(e.rank, 7);
  EXPECT_EQ(e.local_rank, 3);
  EXPECT_FALSE(e.mpi_runtime);
}

TEST(LaunchEnv, NoLocalRankMeansOneNode) {
  EXPECT_EQ(detect({{"WORLD_SIZE", "2"}, {"RANK", "1"}}).local_rank, 1);
}

TEST(LaunchEnv, MalformedValuesAreBadLaunch) {
  EXPECT_EQ(rule({{"OMPI_COMM_WORLD_SIZE", "eight"}}), "bad_launch");
  EXPECT_EQ(rule({{"OMPI_COMM_WORLD_SIZE", "4294967304"}}), "bad_launch");
  EXPECT_EQ(rule({{"WORLD_SIZE", "2"}, {"RANK", "2"}}), "bad_launch");
  EXPECT_EQ(rule({{"WORLD_SIZE", "2"}, {"RANK", "-1"}}), "bad_launch");
}

TEST(LaunchEnv, ThreadBackendsAreRefusedUnderALauncher) {
  auto e = detect({{"OMPI_COMM_WORLD_SIZE", "8"}, {"OMPI_COMM_WORLD_RANK", "0"}});
  for (const char* b : {"host", "emulate"}) {
    try {
      bb::check_backend_for_launch(b, e);
      ADD_FAILURE() << b << " accepted under mpirun";
    } catch (const bb::Error& err) {
      EXPECT_EQ(err.rule(), "bad_launch");
    }
  }
  EXPECT_NO_THROW(bb::check_backend_for_launch("nccl", e));
  EXPECT_NO_THROW(bb::check_backend_for_launch("host", detect({})));
  // mpirun -np 1 is one process, one world: nothing clashes (the GPU tests compare host and
  // NCCL results under it).
  EXPECT_NO_THROW(bb::check_backend_for_launch("host", detect({{"OMPI_COMM_WORLD_SIZE", "1"}, {"OMPI_COMM_WORLD_RANK", "0"}})));
}

}  // namespace
