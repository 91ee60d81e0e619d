#include "runtime/worker_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace pixguard {
namespace {

TEST(WorkerPool, EveryWorkerRunsEachTaskOnceAndRunReturnsAfterAll) {
  for (const std::size_t workers : {1, 2, 3, 5}) {
    WorkerPool pool(workers);
    ASSERT_EQ(pool.size(), workers);
    std::vector<int> counts(workers, 0);  // each worker writes only its own slot
    std::vector<std::thread::id> ids(workers);
    for (int round = 0; round < 2000; ++round) {
      pool.run([&](std::size_t w) {
        ++counts[w];
        ids[w] = std::this_thread::get_id();
      });
      // run() returned: every worker's write of this round is visible.
      for (std::size_t w = 0; w < workers; ++w) ASSERT_EQ(counts[w], round + 1) << "worker " << w;
    }
    EXPECT_EQ(ids[0], std::this_thread::get_id());  // worker 0 is the caller
    for (std::size_t w = 1; w < workers; ++w) EXPECT_NE(ids[w], ids[0]);
  }
}

TEST(WorkerPool, SleepingWorkersWakeForTheNextTask) {
  WorkerPool pool(3);
  std::atomic<int> total{0};
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // past the spin: the helpers sleep
    pool.run([&](std::size_t w) { total += static_cast<int>(w) + 1; });
    EXPECT_EQ(total.load(), (round + 1) * 6);
  }
}

}  // namespace
}  // namespace pixguard
