#include "worker/train/checkpoint.h"

#include <glog/logging.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/text_proto.h"
#include "worker/model/tensor_convert.h"

namespace camoe {
namespace {

namespace fs = std::filesystem;

constexpr char kLatest[] = "LATEST";

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
  TensorFileHeader header;
  *header.mutable_model() = spec.model();
  (*header.mutable_metadata())["content"] = "training checkpoint";
  (*header.mutable_metadata())["trainer_state"] = ToTextProto(state);
  (*header.mutable_metadata())["job_spec"] = ToTextProto(spec);
  const std::string name = FileName(state.step());
  const std::string path = dir_ + "/" + name;
  CAMOE_RETURN_IF_ERROR(Annotate(WriteTensorFile(path, tensors, header), "writing checkpoint"));
  // Verify what reached the disk before anyone relies on it.
  auto verified = ReadTensorFile(path);
  if (!verified.ok()) {
    return Annotate(verified.status(), "checkpoint failed verification after writing");
  }
  CAMOE_RETURN_IF_ERROR(Annotate(WriteFileAtomically(dir_ + "/" + kLatest, name + "\n"),
                                 "publishing checkpoint"));
  std::vector<std::string> all = List();
  for (size_t i = 0; i + keep_ < all.size(); ++i) {
    fs::remove(dir_ + "/" + all[i], ec);
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedCheckpoint> CheckpointManager::LoadNewestVerified() const {
  std::vector<std::string> candidates = List();
  std::reverse(candidates.begin(), candidates.end());
  // LATEST first: it names the last checkpoint that verified when written.
  auto latest = ReadFile(dir_ + "/" + kLatest);
  if (latest.ok()) {
    std::string name(absl::StripTrailingAsciiWhitespace(*latest));
    auto it = std::find(candidates.begin(), candidates.end(), name);
    if (it != candidates.end()) std::rotate(candidates.begin(), it, it + 1);
  }
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
  *state = checkpoint.state;
  return absl::OkStatus();
}

}  // namespace camoe
