// camoe inspect-weights, camoe convert-weights.
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/config.h"
#include "common/json.h"
#include "common/text_proto.h"
#include "worker/cli/commands.h"
#include "worker/model/clip_encoder.h"
#include "worker/weights/clip_weights_file.h"

namespace camoe::cli {
namespace {

void PrintJson(const ClipWeights& w, const std::string& path, std::ostream& out) {
  const VisionConfig& v = w.config.vision();
  const TextConfig& t = w.config.text();
  out << "{\"path\": " << JsonString(path) << ", \"format\": " << JsonString(WeightsFormatName(w.format))
      << ", \"layout\": " << JsonString(ClipKeyLayoutName(w.layout))
      << ", \"dtypes\": [";
  for (size_t i = 0; i < w.dtypes.size(); ++i) out << (i ? ", " : "") << JsonString(w.dtypes[i]);
  out << "], \"parameters\": " << w.parameter_count << ", \"embed_dim\": " << w.config.embed_dim()
      << absl::StrFormat(
             ", \"vision\": {\"image_resolution\": %d, \"patch_size\": %d, \"width\": %d, "
             "\"layers\": %d, \"heads\": %d}",
             v.image_resolution(), v.patch_size(), v.width(), v.layers(), v.heads())
      << absl::StrFormat(
             ", \"text\": {\"context_length\": %d, \"vocab_size\": %d, \"width\": %d, "
             "\"layers\": %d, \"heads\": %d}}\n",
             t.context_length(), t.vocab_size(), t.width(), t.layers(), t.heads());
}

}  // namespace

int InspectWeights(const Args& args, std::ostream& out, std::ostream& err) {
  struct {
    std::string weights;
    int64_t head_width = 64;
    bool json = false;
  } options;
  FlagSet flags("inspect-weights --weights=PATH [--json]",
                "Reads a CLIP weights file without building the model and prints the format,\n"
                "the architecture inferred from tensor shapes (as a ClipConfig in text format,\n"
                "ready for a configs/ file) and the parameter count.");
  flags.AddString("weights", &options.weights,
                  "CLIP weights: OpenAI .pt, torch.save state dict, or camoe file");
  flags.AddInt("head_width", &options.head_width,
               "attention head size used to infer head counts from weight shapes");
  flags.AddBool("json", &options.json, "print one JSON object instead");
  std::vector<std::string> rest;
  if (int rc = ParseFlags(flags, "inspect-weights", args, &rest, out, err); rc >= 0) return rc;
  if (options.weights.empty() || !rest.empty()) {
    err << "camoe inspect-weights: exactly one --weights=PATH is required (see --help)\n";
    return kExitUsage;
  }
  ClipWeightsOptions weight_options;
  weight_options.head_width = static_cast<int>(options.head_width);
  auto weights = ReadClipWeights(options.weights, weight_options);
  if (!weights.ok()) return Fail(err, "inspect-weights", weights.status());
  if (options.json) {
    PrintJson(*weights, options.weights, out);
    return kExitOk;
  }
  out << "# " << options.weights << "\n"
      << "# format: " << WeightsFormatName(weights->format)
      << ", names: " << ClipKeyLayoutName(weights->layout)
      << ", stored dtypes: " << absl::StrJoin(weights->dtypes, ", ") << "\n";
  if (!weights->stripped_prefix.empty()) {
    out << "# stripped key prefix: " << weights->stripped_prefix << "\n";
  }
  if (!weights->dropped.empty()) {
    out << "# not parameters, dropped: " << absl::StrJoin(weights->dropped, ", ") << "\n";
  }
  if (!weights->ignored.empty()) {
    out << "# outside CLIP, ignored: " << weights->ignored.size() << " keys ("
        << weights->ignored.front() << (weights->ignored.size() > 1 ? ", ..." : "") << ")\n";
  }
  out << "# " << DescribeClipConfig(weights->config) << "\n"
      << "clip {\n";
  std::string text = ToTextProto(weights->config);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out << "  " << text.substr(start, end - start) << "\n";
    start = end + 1;
  }
  out << "}\nparameters: " << weights->parameter_count << "\n";
  return kExitOk;
}

int ConvertWeights(const Args& args, std::ostream& out, std::ostream& err) {
  struct {
    std::string weights;
    std::string out_path;
    int64_t head_width = 64;
  } options;
  FlagSet flags("convert-weights --weights=PATH --out=PATH",
                "Reads any supported CLIP weights file (fp16 becomes fp32) and writes it as a\n"
                "camoe tensor file: OpenAI names, the architecture in the header, a CRC-32 per\n"
                "tensor, written atomically.");
  flags.AddString("weights", &options.weights, "input weights file");
  flags.AddString("out", &options.out_path, "output camoe tensor file");
  flags.AddInt("head_width", &options.head_width,
               "attention head size used to infer head counts from weight shapes");
  std::vector<std::string> rest;
  if (int rc = ParseFlags(flags, "convert-weights", args, &rest, out, err); rc >= 0) return rc;
  if (options.weights.empty() || options.out_path.empty() || !rest.empty()) {
    err << "camoe convert-weights: --weights and --out are required (see --help)\n";
    return kExitUsage;
  }
  ClipWeightsOptions weight_options;
  weight_options.head_width = static_cast<int>(options.head_width);
  auto encoder = ClipEncoder::Load(options.weights, weight_options);
  if (!encoder.ok()) return Fail(err, "convert-weights", encoder.status());
  if (absl::Status s = (*encoder)->Save(options.out_path); !s.ok()) {
    return Fail(err, "convert-weights", s);
  }
  err << "wrote " << options.out_path << " (" << (*encoder)->parameter_count()
      << " parameters, fp32)\n";
  return kExitOk;
}

}  // namespace camoe::cli
