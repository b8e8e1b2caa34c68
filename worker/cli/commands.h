// Internal to worker/cli: the sub-commands and the helpers they share.
#ifndef CAMOE_WORKER_CLI_COMMANDS_H_
#define CAMOE_WORKER_CLI_COMMANDS_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/cli.h"
#include "worker/model/clip_encoder.h"
#include "worker/text/bpe_tokenizer.h"

namespace camoe::cli {

using Args = std::vector<std::string>;

int Tokenize(const Args& args, std::ostream& out, std::ostream& err);
int EncodeText(const Args& args, std::ostream& out, std::ostream& err);
int EncodeImage(const Args& args, std::ostream& out, std::ostream& err);
int InspectWeights(const Args& args, std::ostream& out, std::ostream& err);
int ConvertWeights(const Args& args, std::ostream& out, std::ostream& err);
int Demo(const Args& args, std::ostream& out, std::ostream& err);
int Train(const Args& args, std::ostream& out, std::ostream& err);
int Pos(const Args& args, std::ostream& out, std::ostream& err);
int Metrics(const Args& args, std::ostream& out, std::ostream& err);
int Frames(const Args& args, std::ostream& out, std::ostream& err);
int MakeSynthetic(const Args& args, std::ostream& out, std::ostream& err);
int CacheFrames(const Args& args, std::ostream& out, std::ostream& err);
int DatasetStats(const Args& args, std::ostream& out, std::ostream& err);

// Exit statuses.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Parses `args` into `flags`. Returns -1 to go on, or the exit status to return
// now (after printing --help or a usage error to the right stream).
int ParseFlags(FlagSet& flags, const std::string& command, const Args& args,
               std::vector<std::string>* positional, std::ostream& out, std::ostream& err);

// Prints "camoe <command>: <status message>" and returns kExitFailure.
int Fail(std::ostream& err, const std::string& command, const absl::Status& status);

// The BPE merges file scripts/fetch-assets.sh put into the build's asset folder.
std::string DefaultVocabPath();

// Loads the tokenizer from `path`, or from DefaultVocabPath() when empty; the
// error says how to get the file.
absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadTokenizer(const std::string& path);

// Flags of the commands that load CLIP weights.
struct ModelFlags {
  std::string weights;     // weights file (any supported format)
  int64_t threads = 0;     // libtorch intra-op threads; 0: all cores
  int64_t head_width = 64; // head size for inferring head counts from shapes
};
void AddModelFlags(FlagSet& flags, ModelFlags* model);

// Sets libtorch's threads and loads the weights.
absl::StatusOr<std::unique_ptr<ClipEncoder>> LoadModel(const ModelFlags& model);

}  // namespace camoe::cli

#endif  // CAMOE_WORKER_CLI_COMMANDS_H_
