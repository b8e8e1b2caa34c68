#include "coordinator/core/placement.h"

#include <algorithm>
#include <map>

namespace camoe::coordinator {

std::optional<std::vector<FreeRank>> PlaceGang(const std::vector<FreeRank>& free, int size) {
  if (size < 1) return std::nullopt;
  // launch -> host -> ranks
  std::map<std::string, std::map<std::string, std::vector<FreeRank>>> by_launch;
  for (const FreeRank& r : free) by_launch[r.launch_id][r.host].push_back(r);
  std::optional<std::vector<FreeRank>> best;
  int best_hosts = 0;
  for (auto& [launch, hosts] : by_launch) {
    std::vector<std::vector<FreeRank>*> order;
    size_t total = 0;
    for (auto& [host, ranks] : hosts) {
      std::sort(ranks.begin(), ranks.end(),
                [](const FreeRank& a, const FreeRank& b) { return a.launch_rank < b.launch_rank; });
      order.push_back(&ranks);
      total += ranks.size();
    }
    if (total < static_cast<size_t>(size)) continue;
    // Fullest hosts first (ties: the host holding the lowest rank).
    std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
      if (a->size() != b->size()) return a->size() > b->size();
      return a->front().launch_rank < b->front().launch_rank;
    });
    std::vector<FreeRank> gang;
    int hosts_used = 0;
    for (const auto* ranks : order) {
      if (static_cast<int>(gang.size()) == size) break;
      ++hosts_used;
      for (const FreeRank& r : *ranks) {
        if (static_cast<int>(gang.size()) == size) break;
        gang.push_back(r);
      }
    }
    // Prefer the launch that needs the fewest hosts.
    if (!best || hosts_used < best_hosts) {
      std::sort(gang.begin(), gang.end(),
                [](const FreeRank& a, const FreeRank& b) { return a.launch_rank < b.launch_rank; });
      best = std::move(gang);
      best_hosts = hosts_used;
    }
  }
  return best;
}

}  // namespace camoe::coordinator
