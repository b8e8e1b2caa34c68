// How a camoe-worker process finds its place in a pool launch, and how its
// gangs communicate. Under mpirun (or srun with PMIx) the launch is
// MPI_COMM_WORLD: rank 0 draws a random launch id and broadcasts it, so the
// coordinator can tell launches apart and only groups ranks of one launch. A
// process started alone is a launch of one.
#ifndef CAMOE_WORKER_AGENT_LAUNCH_H_
#define CAMOE_WORKER_AGENT_LAUNCH_H_

#include "absl/status/statusor.h"
#include "worker/agent/agent.h"

namespace camoe::agent {

// True when an MPI launcher started this process.
bool LaunchedByMpi();

// This process's LaunchInfo (host name, pid; `device` as given). Under MPI it
// initialises MPI and runs one broadcast over the launch.
absl::StatusOr<LaunchInfo> DiscoverLaunch(const std::string& device);

// Gangs of several ranks become MPI groups of the launch (MPI_Comm_create_group
// with the attempt's group tag); a gang of one needs no MPI.
GangFactory MpiGangFactory();

// A random id of 16 hex digits (from /dev/urandom).
std::string RandomLaunchId();

}  // namespace camoe::agent

#endif  // CAMOE_WORKER_AGENT_LAUNCH_H_
