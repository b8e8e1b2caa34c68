#include "worker/train/checkpoint.h"

#include <glog/logging.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/bytes.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/text_proto.h"
#include "worker/model/tensor_convert.h"

namespace camoe {
namespace {

namespace fs = std::filesystem;

constexpr char kManifest[] = "MANIFEST";

// libtorch keys optimizer state by the parameter's TensorImpl address.
std::string StateKey(const torch::Tensor& p) {
  std::ostringstream key;
  key << p.unsafeGetTensorImpl();
  return key.str();
}

std::string FileName(int64_t step) { return absl::StrFormat("ckpt-%012d.camoe", step); }

absl::StatusOr<TrainerState> ParseState(const TensorFileContents& contents,
                                        const std::string& path) {
  auto it = contents.header.metadata().find("trainer_state");
  if (it == contents.header.metadata().end()) {
    return absl::DataLossError(path + ": not a training checkpoint (no trainer_state)");
  }
  TrainerState state;
  CAMOE_RETURN_IF_ERROR(ParseTextProto(it->second, path + "[trainer_state]", &state));
  return state;
}

}  // namespace

CheckpointManifest CheckpointManager::ReadManifest() const {
  CheckpointManifest manifest;
  auto text = ReadFile(dir_ + "/" + kManifest);
  if (text.ok() && !ParseTextProto(*text, dir_ + "/" + kManifest, &manifest).ok()) {
    LOG(WARNING) << dir_ << "/" << kManifest << " does not parse; relying on file names";
    manifest.Clear();
  }
  return manifest;
}

CheckpointManager::CheckpointManager(std::string dir, int keep)
    : dir_(std::move(dir)), keep_(std::max(1, keep)) {}

std::vector<std::string> CheckpointManager::List() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, "ckpt-") && absl::EndsWith(name, ".camoe")) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status CheckpointManager::Save(const TrainerState& state,
                                     const std::vector<NamedParameter>& params,
                                     const torch::optim::AdamW& optimizer, const JobSpec& spec) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrFormat("cannot create checkpoint folder '%s': %s", dir_, ec.message()));
  }
  std::vector<NamedBuffer> tensors;
  for (const NamedParameter& p : params) {
    CAMOE_ASSIGN_OR_RETURN(NamedBuffer value, ToNamedBuffer("model/" + p.name, p.tensor));
    tensors.push_back(std::move(value));
    auto it = optimizer.state().find(StateKey(p.tensor));
    if (it == optimizer.state().end()) continue;  // no step taken for it yet
    const auto& adam = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    CAMOE_ASSIGN_OR_RETURN(NamedBuffer m, ToNamedBuffer("adam/" + p.name + "/exp_avg", adam.exp_avg()));
    CAMOE_ASSIGN_OR_RETURN(NamedBuffer v,
                           ToNamedBuffer("adam/" + p.name + "/exp_avg_sq", adam.exp_avg_sq()));
    CAMOE_ASSIGN_OR_RETURN(NamedBuffer s, ToNamedBuffer("adam/" + p.name + "/step",
                                                        torch::tensor(adam.step(), torch::kInt64)));
    tensors.push_back(std::move(m));
    tensors.push_back(std::move(v));
    tensors.push_back(std::move(s));
  }
  {
    // libtorch's default CPU generator (nothing in the step draws from it
    // today; saved so that anything that does resumes exactly).
    torch::Tensor rng = at::detail::getDefaultCPUGenerator().get_state();
    CAMOE_ASSIGN_OR_RETURN(NamedBuffer state_buffer, ToNamedBuffer("rng/torch_cpu", rng));
    tensors.push_back(std::move(state_buffer));
  }
  TensorFileHeader header;
  *header.mutable_model() = spec.model();
  (*header.mutable_metadata())["content"] = "training checkpoint";
  (*header.mutable_metadata())["trainer_state"] = ToTextProto(state);
  (*header.mutable_metadata())["job_spec"] = ToTextProto(spec);
  const std::string name = FileName(state.step());
  const std::string path = dir_ + "/" + name;
  CAMOE_ASSIGN_OR_RETURN(std::string bytes, EncodeTensorFile(tensors, header));
  CAMOE_RETURN_IF_ERROR(Annotate(WriteFileAtomically(path, bytes), "writing checkpoint"));
  // Verify what reached the disk before anyone relies on it.
  auto verified = ReadTensorFile(path);
  if (!verified.ok()) {
    return Annotate(verified.status(), "checkpoint failed verification after writing");
  }
  // Publish: the manifest lists the kept checkpoints, newest last.
  CheckpointManifest manifest = ReadManifest();
  CheckpointManifest updated;
  for (const auto& entry : manifest.checkpoints()) {
    if (entry.file() != name && FileExists(dir_ + "/" + entry.file())) *updated.add_checkpoints() = entry;
  }
  auto* entry = updated.add_checkpoints();
  entry->set_file(name);
  entry->set_step(state.step());
  entry->set_bytes(bytes.size());
  entry->set_crc32(Crc32(bytes));
  while (updated.checkpoints_size() > keep_) {
    fs::remove(dir_ + "/" + updated.checkpoints(0).file(), ec);
    updated.mutable_checkpoints()->DeleteSubrange(0, 1);
  }
  CAMOE_RETURN_IF_ERROR(Annotate(
      WriteFileAtomically(dir_ + "/" + kManifest, ToTextProto(updated)), "publishing checkpoint"));
  // Files the manifest no longer lists (older runs, a crash before publishing).
  for (const std::string& file : List()) {
    bool listed = false;
    for (const auto& e : updated.checkpoints()) listed |= e.file() == file;
    if (!listed && file < name) fs::remove(dir_ + "/" + file, ec);
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedCheckpoint> CheckpointManager::LoadNewestVerified() const {
  // Newest first; the step is in the name, so files the manifest missed (a
  // crash between the rename and the manifest update) are found too.
  std::vector<std::string> candidates = List();
  const CheckpointManifest manifest = ReadManifest();
  for (const auto& entry : manifest.checkpoints()) {
    if (std::find(candidates.begin(), candidates.end(), entry.file()) == candidates.end() &&
        FileExists(dir_ + "/" + entry.file())) {
      candidates.push_back(entry.file());
    }
  }
  std::sort(candidates.begin(), candidates.end());
  std::reverse(candidates.begin(), candidates.end());
  for (const std::string& name : candidates) {
    const std::string path = dir_ + "/" + name;
    auto contents = ReadTensorFile(path);
    if (!contents.ok()) {
      LOG(WARNING) << "skipping damaged checkpoint " << path << ": " << contents.status();
      continue;
    }
    auto state = ParseState(*contents, path);
    if (!state.ok()) {
      LOG(WARNING) << "skipping checkpoint " << path << ": " << state.status();
      continue;
    }
    return LoadedCheckpoint{path, *state, std::move(*contents)};
  }
  return absl::NotFoundError(absl::StrFormat("no verified checkpoint in '%s'", dir_));
}

absl::Status CheckpointManager::Restore(const LoadedCheckpoint& checkpoint,
                                        const std::vector<NamedParameter>& params,
                                        torch::optim::AdamW& optimizer, TrainerState* state) {
  std::map<std::string, const NamedBuffer*> by_name;
  for (const NamedBuffer& t : checkpoint.contents.tensors) by_name[t.name] = &t;
  auto tensor = [&](const std::string& name) -> absl::StatusOr<torch::Tensor> {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: missing key '%s'", checkpoint.path, name));
    }
    return ToTensor(*it->second);
  };
  torch::NoGradGuard no_grad;
  for (const NamedParameter& p : params) {
    CAMOE_ASSIGN_OR_RETURN(torch::Tensor value, tensor("model/" + p.name));
    if (value.sizes() != p.tensor.sizes()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: key 'model/%s' has shape [%s] but the model needs [%s]", checkpoint.path, p.name,
          absl::StrJoin(value.sizes().vec(), ", "), absl::StrJoin(p.tensor.sizes().vec(), ", ")));
    }
    p.tensor.copy_(value);
    if (!by_name.count("adam/" + p.name + "/exp_avg")) continue;
    auto adam = std::make_unique<torch::optim::AdamWParamState>();
    CAMOE_ASSIGN_OR_RETURN(torch::Tensor m, tensor("adam/" + p.name + "/exp_avg"));
    CAMOE_ASSIGN_OR_RETURN(torch::Tensor v, tensor("adam/" + p.name + "/exp_avg_sq"));
    CAMOE_ASSIGN_OR_RETURN(torch::Tensor s, tensor("adam/" + p.name + "/step"));
    adam->exp_avg(m.to(p.tensor.device()));
    adam->exp_avg_sq(v.to(p.tensor.device()));
    adam->step(s.item<int64_t>());
    optimizer.state()[StateKey(p.tensor)] = std::move(adam);
  }
  if (auto it = by_name.find("rng/torch_cpu"); it != by_name.end()) {
    CAMOE_ASSIGN_OR_RETURN(torch::Tensor rng, ToTensor(*it->second));
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  }
  *state = checkpoint.state;
  return absl::OkStatus();
}

}  // namespace camoe
