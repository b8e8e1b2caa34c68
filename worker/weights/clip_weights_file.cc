#include "worker/weights/clip_weights_file.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "worker/weights/torch_archive.h"
#include "worker/weights/zip_archive.h"

namespace camoe {
namespace {

bool IsLegacyTorchPickle(std::string_view data) {
  // torch.save's pre-1.6 format: a raw pickle starting with PROTO 2 and a LONG1 magic number.
  return data.size() >= 3 && static_cast<unsigned char>(data[0]) == 0x80 &&
         static_cast<unsigned char>(data[1]) == 0x02 && static_cast<unsigned char>(data[2]) == 0x8a;
}

}  // namespace

const char* WeightsFormatName(WeightsFormat format) {
  switch (format) {
    case WeightsFormat::kTorchScript: return "torchscript";
    case WeightsFormat::kTorchSave: return "torch.save";
    case WeightsFormat::kCamoeTensorFile: return "camoe";
  }
  return "?";
}

absl::StatusOr<ClipWeights> ReadClipWeights(const std::string& path,
                                            const ClipWeightsOptions& options) {
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  std::string_view data = file->data();
  ClipWeights weights;
  if (LooksLikeTensorFile(data)) {
    CAMOE_ASSIGN_OR_RETURN(TensorFileContents contents, DecodeTensorFile(data, path));
    if (!contents.header.has_model() || !contents.header.model().has_clip()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": camoe tensor file without a CLIP architecture in its header"));
    }
    weights.format = WeightsFormat::kCamoeTensorFile;
    weights.config = contents.header.model().clip();
    CAMOE_RETURN_IF_ERROR(Annotate(ValidateClipConfig(weights.config), path));
    weights.tensors = std::move(contents.tensors);
  } else if (ZipArchive::LooksLikeZip(data)) {
    CAMOE_ASSIGN_OR_RETURN(TorchArchive archive, ReadTorchArchive(data, path));
    weights.format = archive.kind == TorchArchive::Kind::kTorchScript ? WeightsFormat::kTorchScript
                                                                      : WeightsFormat::kTorchSave;
    auto canonical = CanonicalizeClipWeights(std::move(archive.tensors));
    if (!canonical.ok()) return Annotate(canonical.status(), path);
    weights.layout = canonical->layout;
    weights.dropped = std::move(canonical->dropped);
    weights.ignored = std::move(canonical->ignored);
    weights.stripped_prefix = canonical->stripped_prefix;
    weights.tensors = std::move(canonical->tensors);
    auto config = InferClipConfig(weights.tensors, options.head_width);
    if (!config.ok()) return Annotate(config.status(), path);
    weights.config = *config;
    CAMOE_RETURN_IF_ERROR(Annotate(ValidateClipConfig(weights.config, "inferred clip"), path));
  } else if (IsLegacyTorchPickle(data)) {
    return absl::UnimplementedError(absl::StrCat(
        path, ": legacy (pre-1.6, non-zip) torch.save format; re-save it with a current PyTorch: "
              "torch.save(torch.load(f), out)"));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": not a weights file: neither a zip archive (torch.save / TorchScript) nor a "
              "camoe tensor file", data.empty() ? " (the file is empty)" : ""));
  }
  CAMOE_RETURN_IF_ERROR(CheckClipShapes(weights.tensors, weights.config, path));
  std::set<std::string> dtypes;
  for (const NamedBuffer& t : weights.tensors) {
    if (t.dtype != DTYPE_FLOAT32 && t.dtype != DTYPE_FLOAT16 && t.dtype != DTYPE_BFLOAT16 &&
        t.dtype != DTYPE_FLOAT64) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": key '", t.name, "' has dtype ",
                                                     DtypeName(t.dtype),
                                                     "; CLIP parameters are floating point"));
    }
    dtypes.insert(DtypeName(t.dtype));
  }
  weights.dtypes.assign(dtypes.begin(), dtypes.end());
  weights.parameter_count = ClipParameterCount(weights.config);
  return weights;
}

absl::Status WriteClipWeights(const std::string& path, const std::vector<NamedBuffer>& tensors,
                              const ClipConfig& config) {
  CAMOE_RETURN_IF_ERROR(CheckClipShapes(tensors, config, path));
  TensorFileHeader header;
  *header.mutable_model()->mutable_clip() = config;
  (*header.mutable_metadata())["content"] = "clip";
  return WriteTensorFile(path, tensors, header);
}

}  // namespace camoe
