// Crash-safe checkpoints of a training run: model parameters, AdamW state and
// the TrainerState, in one camoe tensor file per checkpoint (CRC per tensor,
// written to a temporary and renamed). After a write the file is read back and
// verified before LATEST points at it, so a kill at any moment leaves the newest
// verified checkpoint usable; a full disk is a reported failure, never a
// truncated file. Older checkpoints beyond `keep` are deleted.
//
// Layout of dir: ckpt-<step, 12 digits>.camoe files and MANIFEST (a
// CheckpointManifest in text format: every published checkpoint, oldest first,
// with its size and whole-file CRC-32). A checkpoint holds the model, the AdamW
// state, the TrainerState (step, epoch, position in the epoch = sampler
// position, schedule length, seed), libtorch's CPU RNG state and the JobSpec.
// Not thread-safe; only the chief rank writes.
#ifndef CAMOE_WORKER_TRAIN_CHECKPOINT_H_
#define CAMOE_WORKER_TRAIN_CHECKPOINT_H_

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "camoe/train.pb.h"
#include "common/tensor_file.h"
#include "worker/train/optim.h"

namespace camoe {

struct LoadedCheckpoint {
  std::string path;
  TrainerState state;
  TensorFileContents contents;
};

class CheckpointManager {
 public:
  CheckpointManager(std::string dir, int keep);

  // Writes, verifies and publishes the checkpoint of `state.step()`.
  absl::Status Save(const TrainerState& state, const std::vector<NamedParameter>& params,
                    const torch::optim::AdamW& optimizer, const JobSpec& spec);

  // The newest checkpoint that verifies: the manifest's newest, or if that one
  // is missing or damaged, the newest older file that passes every check (the
  // damaged one is named in the log). NotFound when the folder has none.
  absl::StatusOr<LoadedCheckpoint> LoadNewestVerified() const;

  // Copies parameters and optimizer state into the model and optimizer.
  // Strict: every parameter present with its shape, errors name the key.
  static absl::Status Restore(const LoadedCheckpoint& checkpoint,
                              const std::vector<NamedParameter>& params,
                              torch::optim::AdamW& optimizer, TrainerState* state);

  // Every ckpt-*.camoe in the folder, oldest first.
  std::vector<std::string> List() const;
  // The MANIFEST (empty when absent or unreadable).
  CheckpointManifest ReadManifest() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int keep_;
};

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_CHECKPOINT_H_
