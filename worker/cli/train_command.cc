// camoe train: runs a training job from a JobSpec, on this process or as the
// ranks of an MPI launch (or as threads in this process, for debugging).
#include <unistd.h>

#include <iostream>
#include <thread>

#include "absl/strings/str_format.h"
#include "common/config.h"
#include "worker/cli/commands.h"
#include "worker/dist/mpi_communicator.h"
#include "worker/dist/thread_communicator.h"
#include "worker/train/rank_setup.h"
#include "worker/train/trainer.h"

namespace camoe::cli {
namespace {

struct TrainFlags {
  std::string config;
  std::string backend = "auto";  // auto | threads | mpi
  int64_t world_size = 0;        // overrides distributed.world_size when > 0
  int64_t max_steps = -1;        // overrides schedule.max_steps when >= 0
  std::string checkpoint_dir;    // overrides checkpoint.dir when set
  bool progress = isatty(STDERR_FILENO) != 0;
};

// Runs one rank over `bootstrap` (MPI or threads); on CUDA the collectives run
// over an NCCL communicator whose id `bootstrap` distributes.
absl::Status RunRank(const JobSpec& spec, Communicator* bootstrap, bool progress,
                     std::ostream& err) {
  const int device = LocalCudaDevice(bootstrap->rank());
  auto rank_comm = MakeRankCommunicator(spec, bootstrap, device);
  if (!rank_comm.ok()) return rank_comm.status();
  Communicator* comm = rank_comm->comm;
  TrainerOptions options;
  options.cuda_device = device;
  options.log = &err;
  options.progress_bar = progress && comm->IsChief();
  options.default_vocab_path = DefaultVocabPath();
  auto trainer = Trainer::Create(spec, comm, options);
  if (!trainer.ok()) return trainer.status();
  auto summary = (*trainer)->Run();
  return summary.status();
}

}  // namespace

int Train(const Args& args, std::ostream& out, std::ostream& err) {
  TrainFlags f;
  FlagSet flags("train --config=JOB.pbtxt [flags]",
                "Trains CAMoE as the JobSpec says and evaluates it (plain and DSL recall per\n"
                "stream, gate weights). Multi-process: mpirun -np N camoe train --backend=mpi\n"
                "with distributed.world_size N. --backend=threads runs the ranks as threads in\n"
                "this process. Checkpoints go to checkpoint.dir; a rerun resumes from the\n"
                "newest verified one.");
  flags.AddString("config", &f.config, "JobSpec in protobuf text format");
  flags.AddString("backend", &f.backend, "auto (MPI when launched by mpirun), threads or mpi");
  flags.AddInt("world_size", &f.world_size, "override distributed.world_size");
  flags.AddInt("max_steps", &f.max_steps, "override schedule.max_steps");
  flags.AddString("checkpoint_dir", &f.checkpoint_dir, "override checkpoint.dir");
  flags.AddBool("progress", &f.progress, "redraw one progress line (default on a terminal)");
  std::vector<std::string> rest;
  if (int rc = ParseFlags(flags, "train", args, &rest, out, err); rc >= 0) return rc;
  if (f.config.empty() || !rest.empty()) {
    err << "camoe train: --config=JOB.pbtxt is required (see --help)\n";
    return kExitUsage;
  }
  if (f.backend != "auto" && f.backend != "threads" && f.backend != "mpi") {
    err << "camoe train: --backend=" << f.backend << ": use auto, threads or mpi\n";
    return kExitUsage;
  }
  auto spec = LoadJobSpec(f.config);
  if (!spec.ok()) return Fail(err, "train", spec.status());
  if (f.world_size > 0) spec->mutable_distributed()->set_world_size(static_cast<int32_t>(f.world_size));
  if (f.max_steps >= 0) spec->mutable_schedule()->set_max_steps(f.max_steps);
  if (!f.checkpoint_dir.empty()) spec->mutable_checkpoint()->set_dir(f.checkpoint_dir);
  const int world = spec->distributed().world_size();
  CommunicatorOptions comm_options;
  comm_options.timeout = absl::Seconds(spec->distributed().collective_timeout_seconds());

  const bool launched_by_mpi = getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
  const bool mpi = f.backend == "mpi" || (f.backend == "auto" && launched_by_mpi);
  if (mpi) {
    auto comm = MpiCommunicator::World(comm_options);
    if (!comm.ok()) return Fail(err, "train", comm.status());
    absl::Status status = RunRank(*spec, comm->get(), f.progress, err);
    comm->reset();
    FinalizeMpi();
    return status.ok() ? kExitOk : Fail(err, "train", status);
  }
  // Ranks as threads (world size 1 is the common case: one rank, no network).
  ThreadWorld threads(world);
  std::vector<std::unique_ptr<Communicator>> comms;
  for (int r = 0; r < world; ++r) comms.push_back(threads.Connect(r, comm_options));
  std::vector<absl::Status> results(world);
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.emplace_back([&, r] { results[r] = RunRank(*spec, comms[r].get(), f.progress, err); });
  }
  for (auto& t : ranks) t.join();
  for (int r = 0; r < world; ++r) {
    if (!results[r].ok()) {
      return Fail(err, "train", absl::Status(results[r].code(),
                                             absl::StrFormat("rank %d: %s", r, results[r].message())));
    }
  }
  return kExitOk;
}

}  // namespace camoe::cli
