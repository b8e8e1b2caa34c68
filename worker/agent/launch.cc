#include "worker/agent/launch.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "absl/strings/str_format.h"
#include "worker/dist/mpi_communicator.h"
#include "worker/dist/thread_communicator.h"

namespace camoe::agent {

bool LaunchedByMpi() {
  return getenv("OMPI_COMM_WORLD_SIZE") != nullptr || getenv("PMIX_RANK") != nullptr ||
         getenv("PMI_RANK") != nullptr;
}

std::string RandomLaunchId() {
  uint64_t value = 0;
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(&value), sizeof(value))) {
    std::random_device device;
    value = (static_cast<uint64_t>(device()) << 32) ^ device() ^ static_cast<uint64_t>(getpid());
  }
  return absl::StrFormat("%016x", value);
}

absl::StatusOr<LaunchInfo> DiscoverLaunch(const std::string& device) {
  LaunchInfo info;
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) snprintf(host, sizeof(host), "unknown");
  info.host = host;
  info.pid = getpid();
  info.device = device;
  if (!LaunchedByMpi()) {
    info.launch_id = RandomLaunchId();
    return info;
  }
  auto world = MpiCommunicator::World({absl::Seconds(120)});
  if (!world.ok()) return world.status();
  info.rank = (*world)->rank();
  info.size = (*world)->size();
  char id[17] = {0};
  if (info.rank == 0) {
    const std::string drawn = RandomLaunchId();
    std::copy(drawn.begin(), drawn.end(), id);
  }
  absl::Status status = (*world)->Broadcast(id, 16, 0, "launch id");
  if (!status.ok()) return status;
  info.launch_id = std::string(id, 16);
  return info;
}

GangFactory MpiGangFactory() {
  return [](const Assignment& a, const CommunicatorOptions& options)
             -> absl::StatusOr<std::unique_ptr<Communicator>> {
    if (a.gang_size() <= 1) return MakeSoloCommunicator(options);
    std::vector<int> ranks(a.gang().begin(), a.gang().end());
    auto group = MpiCommunicator::Group(ranks, a.group_tag(), options);
    if (!group.ok()) {
      return absl::Status(group.status().code(),
                          absl::StrFormat("joining the gang (launch ranks %d..%d, tag %d): %s",
                                          ranks.front(), ranks.back(), a.group_tag(),
                                          group.status().message()));
    }
    return std::unique_ptr<Communicator>(std::move(*group));
  };
}

}  // namespace camoe::agent
