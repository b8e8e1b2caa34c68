#include "worker/cli/cli.h"

#include <functional>

#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "common/strings.h"
#include "worker/cli/commands.h"

#ifndef CAMOE_DEFAULT_ASSET_DIR
#define CAMOE_DEFAULT_ASSET_DIR "build/assets"
#endif

namespace camoe {
namespace cli {

int ParseFlags(FlagSet& flags, const std::string& command, const Args& args,
               std::vector<std::string>* positional, std::ostream& out, std::ostream& err) {
  absl::Status status = flags.Parse(args, positional);
  if (flags.help_requested()) {
    out << flags.Help("camoe");
    return kExitOk;
  }
  if (!status.ok()) {
    err << "camoe " << command << ": " << status.message() << "\n";
    return kExitUsage;
  }
  return -1;
}

int Fail(std::ostream& err, const std::string& command, const absl::Status& status) {
  err << "camoe " << command << ": " << status.message() << "\n";
  return kExitFailure;
}

std::string DefaultVocabPath() {
  return std::string(CAMOE_DEFAULT_ASSET_DIR) + "/bpe_simple_vocab_16e6.txt.gz";
}

absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadTokenizer(const std::string& path) {
  const std::string chosen = path.empty() ? DefaultVocabPath() : path;
  auto tokenizer = BpeTokenizer::Load(chosen);
  if (!tokenizer.ok() && tokenizer.status().code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(absl::StrFormat(
        "%s\nThe BPE merges file is fetched by scripts/fetch-assets.sh (into build/assets); or "
        "pass --vocab=PATH to bpe_simple_vocab_16e6.txt[.gz]",
        tokenizer.status().message()));
  }
  return tokenizer;
}

void AddModelFlags(FlagSet& flags, ModelFlags* model) {
  flags.AddString("weights", &model->weights,
                  "CLIP weights: OpenAI .pt, torch.save state dict, or camoe file");
  flags.AddInt("threads", &model->threads, "libtorch intra-op threads; 0: all cores");
  flags.AddInt("head_width", &model->head_width,
               "attention head size used to infer head counts from weight shapes");
}

absl::StatusOr<std::unique_ptr<ClipEncoder>> LoadModel(const ModelFlags& model) {
  RuntimeConfig runtime;
  runtime.set_intra_op_threads(static_cast<int32_t>(model.threads));
  if (auto threads = ConfigureTorchThreads(runtime); !threads.ok()) return threads.status();
  ClipWeightsOptions options;
  options.head_width = static_cast<int>(model.head_width);
  return ClipEncoder::Load(model.weights, options);
}

namespace {

struct Command {
  const char* name;
  const char* summary;
  std::function<int(const Args&, std::ostream&, std::ostream&)> run;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"tokenize", "CLIP BPE token ids of each text, one line each", Tokenize},
      {"encode-text", "projected CLIP text features, one JSON array per text", EncodeText},
      {"encode-image", "projected CLIP image features, one JSON array per image", EncodeImage},
      {"inspect-weights", "the architecture and parameter count of a weights file",
       InspectWeights},
      {"convert-weights", "rewrite any supported weights file as a camoe tensor file",
       ConvertWeights},
      {"demo", "random tiny CLIP: encode captions and generated images, print similarities",
       Demo},
      {"train", "train and evaluate CAMoE from a JobSpec (one process, threads or MPI ranks)",
       Train},
      {"pos", "part-of-speech tags (NOUN/VERB/OTHER) of each text's words, one line each", Pos},
      {"metrics", "retrieval metrics (plain, DSL, QB-Norm) of a similarity CSV, as JSON", Metrics},
      {"frames", "sample a video's frames as training does; write a contact sheet", Frames},
      {"make-synthetic", "render the synthetic shapes-and-actions dataset (MSR-VTT layout)",
       MakeSynthetic},
      {"cache-frames", "decode a dataset's videos once into the frame cache (resumable)",
       CacheFrames},
      {"dataset-stats", "videos, captions, caption lengths, missing and unreadable videos",
       DatasetStats},
  };
  return commands;
}

void PrintUsage(std::ostream& out) {
  out << "usage: camoe <command> [flags] [args]\n\ncommands:\n";
  for (const Command& c : Commands()) out << absl::StrFormat("  %-16s %s\n", c.name, c.summary);
  out << "\n`camoe <command> --help` describes each command's flags.\n";
}

}  // namespace
}  // namespace cli

int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    cli::PrintUsage(err);
    return cli::kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    cli::PrintUsage(out);
    return cli::kExitOk;
  }
  std::vector<std::string> names;
  for (const auto& command : cli::Commands()) {
    if (name == command.name) {
      return command.run(std::vector<std::string>(args.begin() + 1, args.end()), out, err);
    }
    names.push_back(command.name);
  }
  std::string hint = ClosestMatch(name, names);
  err << "camoe: unknown command '" << name << "'"
      << (hint.empty() ? "" : " (did you mean '" + hint + "'?)") << "\n";
  cli::PrintUsage(err);
  return cli::kExitUsage;
}

}  // namespace camoe
