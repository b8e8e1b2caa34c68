// camoe tokenize, camoe encode-text.
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "worker/cli/commands.h"

namespace camoe::cli {

int Tokenize(const Args& args, std::ostream& out, std::ostream& err) {
  struct {
    std::string vocab;
    int64_t max_words = 77;
    bool pad = false;
    bool raw = false;
  } options;
  FlagSet flags("tokenize [--vocab=PATH] [--max_words=N] [--pad] [--raw] TEXT...",
                "Prints the CLIP BPE token ids of each TEXT on its own line, space-separated:\n"
                "SOT (49406), the text's ids cut to max_words - 2, EOT (49407).");
  flags.AddString("vocab", &options.vocab,
                  "bpe_simple_vocab_16e6.txt[.gz]; empty: the build's fetched asset");
  flags.AddInt("max_words", &options.max_words, "sequence length including SOT and EOT");
  flags.AddBool("pad", &options.pad, "pad each line with 0 to exactly max_words ids");
  flags.AddBool("raw", &options.raw, "print only the BPE ids: no SOT/EOT, no truncation");
  std::vector<std::string> texts;
  if (int rc = ParseFlags(flags, "tokenize", args, &texts, out, err); rc >= 0) return rc;
  if (texts.empty()) {
    err << "camoe tokenize: no TEXT given (see --help)\n";
    return kExitUsage;
  }
  if (options.max_words < 3 || options.max_words > 1 << 20) {
    err << "camoe tokenize: --max_words=" << options.max_words << " must be in [3, 1048576]\n";
    return kExitUsage;
  }
  auto tokenizer = LoadTokenizer(options.vocab);
  if (!tokenizer.ok()) return Fail(err, "tokenize", tokenizer.status());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto ids = options.raw ? (*tokenizer)->Encode(texts[i])
                           : (*tokenizer)->EncodeForModel(texts[i],
                                                          static_cast<int>(options.max_words),
                                                          options.pad);
    if (!ids.ok()) {
      return Fail(err, "tokenize", absl::Status(ids.status().code(),
                                                "text " + std::to_string(i + 1) + ": " +
                                                    std::string(ids.status().message())));
    }
    out << absl::StrJoin(*ids, " ") << "\n";
  }
  return kExitOk;
}

int EncodeText(const Args& args, std::ostream& out, std::ostream& err) {
  struct {
    ModelFlags model;
    std::string vocab;
    int64_t max_words = 0;
  } options;
  FlagSet flags("encode-text --weights=PATH [--vocab=PATH] TEXT...",
                "Prints each TEXT's projected CLIP text feature (not normalised) as one JSON\n"
                "array of floats per line, in the order given.");
  AddModelFlags(flags, &options.model);
  flags.AddString("vocab", &options.vocab,
                  "bpe_simple_vocab_16e6.txt[.gz]; empty: the build's fetched asset");
  flags.AddInt("max_words", &options.max_words,
                "tokens per text including SOT/EOT; 0: the model's context length");
  std::vector<std::string> texts;
  if (int rc = ParseFlags(flags, "encode-text", args, &texts, out, err); rc >= 0) return rc;
  if (options.model.weights.empty() || texts.empty()) {
    err << "camoe encode-text: --weights and at least one TEXT are required (see --help)\n";
    return kExitUsage;
  }
  auto tokenizer = LoadTokenizer(options.vocab);
  if (!tokenizer.ok()) return Fail(err, "encode-text", tokenizer.status());
  auto encoder = LoadModel(options.model);
  if (!encoder.ok()) return Fail(err, "encode-text", encoder.status());
  const int context = (*encoder)->config().text().context_length();
  const int max_words = options.max_words > 0
                            ? static_cast<int>(std::min<int64_t>(options.max_words, context))
                            : context;
  std::vector<std::vector<int32_t>> tokens;
  for (size_t i = 0; i < texts.size(); ++i) {
    auto ids = (*tokenizer)->EncodeForModel(texts[i], max_words, /*pad=*/false);
    if (!ids.ok()) {
      return Fail(err, "encode-text", absl::Status(ids.status().code(),
                                                   "text " + std::to_string(i + 1) + ": " +
                                                       std::string(ids.status().message())));
    }
    tokens.push_back(std::move(*ids));
  }
  auto features = (*encoder)->EncodeText(tokens);
  if (!features.ok()) return Fail(err, "encode-text", features.status());
  for (int64_t r = 0; r < features->rows; ++r) {
    out << JsonFloatArray(features->Row(r), features->cols) << "\n";
  }
  return kExitOk;
}

}  // namespace camoe::cli
