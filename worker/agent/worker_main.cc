#include "worker/agent/worker_main.h"

#include <glog/logging.h>

#include <iostream>

#include "absl/strings/str_format.h"
#include "common/cli.h"
#include "common/signals.h"
#include "worker/agent/agent.h"
#include "worker/agent/launch.h"
#include "worker/dist/mpi_communicator.h"

namespace camoe::agent {

int WorkerMain(const std::vector<std::string>& args) {
  std::string coordinator = "127.0.0.1:50051";
  std::string vocab = std::string(CAMOE_DEFAULT_ASSET_DIR) + "/bpe_simple_vocab_16e6.txt.gz";
  std::string log_dir;
  std::string device = "cpu";
  double rpc_timeout_s = 10;
  FlagSet flags("[flags]",
                "A worker pool rank: registers with the coordinator, heart-beats, and trains\n"
                "the jobs it is assigned, reporting metrics and events. Start a pool with\n"
                "  mpirun -np N camoe-worker --coordinator=HOST:PORT\n"
                "(one process per GPU, or per CPU rank). SIGINT, SIGTERM or SIGUSR1 stops a\n"
                "running job after a checkpoint and leaves; drain a pool with\n"
                "kill -USR1 <mpirun pid> (mpirun forwards it; SIGTERM to mpirun kills ranks).");
  flags.AddString("coordinator", &coordinator, "the coordinator's gRPC address HOST:PORT");
  flags.AddString("vocab", &vocab, "BPE merges for jobs whose tokenizer.vocab_path is empty");
  flags.AddString("log_dir", &log_dir,
                  "write each job's training log to DIR/<job>.log (on the gang's chief)");
  flags.AddString("device", &device, "what this rank trains on, as shown to the coordinator");
  flags.AddDouble("rpc_timeout", &rpc_timeout_s, "seconds before a coordinator call times out");
  std::vector<std::string> rest;
  absl::Status parsed = flags.Parse(args, &rest);
  if (flags.help_requested()) {
    std::cout << flags.Help("camoe-worker");
    return 0;
  }
  if (!parsed.ok() || !rest.empty()) {
    std::cerr << "camoe-worker: "
              << (parsed.ok() ? "unexpected argument '" + rest[0] + "'" : std::string(parsed.message()))
              << "\n";
    return 2;
  }
  ShutdownSignals signals;
  auto launch = DiscoverLaunch(device);
  if (!launch.ok()) {
    std::cerr << "camoe-worker: " << launch.status().message() << "\n";
    return 1;
  }
  AgentOptions options;
  options.client.address = coordinator;
  options.client.rpc_timeout = absl::Seconds(rpc_timeout_s);
  options.vocab_path = vocab;
  options.log_dir = log_dir;
  int status_code = 0;
  {
    WorkerAgent agent(options, *launch, MpiGangFactory());
    signals.Watch([&agent](int signal) {
      LOG(INFO) << "signal " << signal << ": shutting down (a running job stops after a checkpoint)";
      agent.Shutdown();
    });
    LOG(INFO) << absl::StrFormat("camoe-worker %s: launch %s rank %d of %d on %s, coordinator %s",
                                 agent.worker_id(), launch->launch_id, launch->rank, launch->size,
                                 launch->host, coordinator);
    absl::Status status = agent.Run();
    if (!status.ok()) {
      std::cerr << "camoe-worker: " << status.message() << "\n";
      status_code = 1;
    }
  }
  if (LaunchedByMpi()) FinalizeMpi();
  LOG(INFO) << "camoe-worker stopped";
  return status_code;
}

}  // namespace camoe::agent
