#include "comm/rendezvous.hpp"

#include <algorithm>
#include <sstream>
#include <thread>

namespace bb {

std::string ranks_str(const std::vector<int>& r) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < r.size(); ++i) o << (i ? "," : "") << r[i];
  o << "]";
  return o.str();
}

Rendezvous::Rendezvous(std::vector<int> world_ranks, std::shared_ptr<AbortState> abort,
                       double timeout_s)
    : in(world_ranks.size()),
      out(world_ranks.size()),
      value(world_ranks.size()),
      world_ranks_(std::move(world_ranks)),
      abort_(std::move(abort)),
      timeout_s_(timeout_s) {
  here_.assign(world_ranks_.size(), 0);
}

void Rendezvous::arrive_and_wait(int rank, const std::string& phase, double spin_us, Clock::time_point started) {
  std::unique_lock<std::mutex> lk(mu_);
  const uint64_t gen = generation_.load();
  here_[size_t(rank)] = 1;
  if (++arrived_ == size()) {
    arrived_ = 0;
    std::fill(here_.begin(), here_.end(), 0);
    generation_.store(gen + 1);
    cv_.notify_all();
    return;
  }
  // Yield-spin first: a thread woken from a condition variable starts 50-100 us after the last
  // arrival, and that wake-up lag would land in whatever the group does next (the timing
  // loop's alignment relies on every member leaving together). Long waits fall back to the cv.
  lk.unlock();
  const auto spin_until = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double, std::micro>(spin_us));
  while (generation_.load() == gen && std::chrono::steady_clock::now() < spin_until && !abort_->aborted.load())
    std::this_thread::yield();
  lk.lock();
  const bool whole = started != Clock::time_point{};
  const auto deadline = (whole ? started : Clock::now()) +
                        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s_));
  while (generation_.load() == gen) {
    if (abort_->aborted.load()) {
      throw CommError("aborted", "phase '" + phase + "', group " + ranks_str(world_ranks_) +
                                     ": aborted because " + abort_->why());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::ostringstream msg;
      std::vector<int> missing;
      for (size_t k = 0; k < here_.size(); ++k)
        if (!here_[k]) missing.push_back(world_ranks_[k]);
      msg << "phase '" << phase << "', group " << ranks_str(world_ranks_) << ": world rank "
          << world_ranks_[rank] << (whole ? " saw the collective run past its " : " waited ") << timeout_s_
          << " s (--timeout) and only " << arrived_ << " of " << size() << " ranks arrived; world rank(s) "
          << ranks_str(missing) << (whole ? " had not finished it" : " never arrived");
      abort_->abort(msg.str());
      throw CommError("collective_timeout", msg.str());
    }
    cv_.wait_for(lk, std::chrono::milliseconds(20));
  }
}

std::vector<std::shared_ptr<Rendezvous>>& Rendezvous::split_result(
    uint64_t k, const std::vector<std::vector<int>>& groups) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = splits_.find(k);
  if (it == splits_.end()) {
    std::vector<std::shared_ptr<Rendezvous>> made;
    for (const auto& g : groups) {
      std::vector<int> wr;
      for (int r : g) wr.push_back(world_ranks_[r]);
      made.push_back(std::make_shared<Rendezvous>(wr, abort_, timeout_s_));
    }
    it = splits_.emplace(k, std::move(made)).first;
  }
  return it->second;
}

std::string Progress::behind(const std::string& comm, const std::vector<int>& members, int me) {
  std::lock_guard<std::mutex> lk(mu);
  const auto& c = count[comm];
  const int64_t mine = c.count(me) ? c.at(me) : 0;
  if (c.size() <= 1) return "";
  std::vector<int> late;
  for (int r : members)
    if ((c.count(r) ? c.at(r) : 0) < mine) late.push_back(r);
  if (late.empty()) return "";
  return "world rank(s) " + ranks_str(late) + " never arrived (fewer calls on this communicator than world rank " +
         std::to_string(me) + "'s " + std::to_string(mine) + ")";
}

int group_of(const std::vector<std::vector<int>>& groups, int rank, int* index_in_group) {
  for (size_t g = 0; g < groups.size(); ++g)
    for (size_t i = 0; i < groups[g].size(); ++i)
      if (groups[g][i] == rank) {
        if (index_in_group) *index_in_group = int(i);
        return int(g);
      }
  return -1;
}

void validate_groups(const std::vector<std::vector<int>>& groups, int size) {
  std::vector<int> seen(size_t(size), 0);
  for (const auto& g : groups) {
    if (g.empty()) throw Error("bad_groups", "split: empty group");
    for (int r : g) {
      if (r < 0 || r >= size)
        throw Error("bad_groups", "split: rank " + std::to_string(r) + " outside 0.." +
                                      std::to_string(size - 1));
      if (seen[size_t(r)]++)
        throw Error("bad_groups", "split: rank " + std::to_string(r) + " is in two groups");
    }
  }
}

}  // namespace bb
