// Gang placement: which free worker ranks a job of W ranks runs on. A gang
// never spans launches (an MPI sub-communicator needs one MPI_COMM_WORLD) and
// is packed onto as few hosts as possible, which keeps its collectives on the
// fastest links. Pure functions; thread-safe.
#ifndef CAMOE_COORDINATOR_CORE_PLACEMENT_H_
#define CAMOE_COORDINATOR_CORE_PLACEMENT_H_

#include <optional>
#include <string>
#include <vector>

namespace camoe::coordinator {

struct FreeRank {
  std::string launch_id;
  int launch_rank = 0;
  std::string host;
  std::string worker_id;
};

// `size` ranks of one launch, hosts with the most free ranks first, lowest
// ranks first within a host; returned sorted by launch rank (gang rank 0 is
// the lowest). nullopt when no launch has `size` free ranks.
std::optional<std::vector<FreeRank>> PlaceGang(const std::vector<FreeRank>& free, int size);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_CORE_PLACEMENT_H_
