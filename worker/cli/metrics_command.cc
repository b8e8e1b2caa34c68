// `camoe metrics`: retrieval metrics of a similarity matrix given as CSV, plain
// and DSL-re-ranked side by side, optionally QB-Norm with a bank CSV
// (docs/metrics.md).
#include <optional>
#include <string>

#include "absl/strings/str_format.h"
#include "worker/cli/commands.h"
#include "worker/eval/retrieval_eval.h"
#include "worker/eval/similarity_csv.h"

namespace camoe::cli {
namespace {

struct MetricsFlags {
  std::string sim;                 // texts x videos CSV
  int64_t captions_per_video = 1;  // text i belongs to video i / K
  std::string bank_sim;            // training captions x test videos CSV
  double temperature = 1.0;        // DSL temperature
  double qb_beta = 20;             // QB-Norm inverse temperature
  int64_t qb_k = 1;                // QB-Norm activation top-k
  int64_t block_size = 4096;       // tile side
  int64_t threads = 1;             // threads per tile
  std::string ties = "strict";     // "strict": 1 + strictly higher; "against": ties count against
};

}  // namespace

int Metrics(const Args& args, std::ostream& out, std::ostream& err) {
  MetricsFlags f;
  FlagSet flags("metrics --sim=FILE.csv [flags]",
                "Text-to-video and video-to-text R@1/5/10, median and mean rank of a similarity "
                "matrix (one CSV row per text, one column per video; lines starting with '#' "
                "are skipped), with DSL re-ranking next to the plain numbers. A rank is 1 + the "
                "number of competitors scoring strictly higher (--ties=against counts ties "
                "against the query). JSON on stdout.");
  flags.AddString("sim", &f.sim, "similarity CSV: one row per query text, one column per video");
  flags.AddInt("captions_per_video", &f.captions_per_video,
               "K consecutive texts per video: text i belongs to video i / K");
  flags.AddString("bank_sim", &f.bank_sim,
                  "QB-Norm query bank CSV: one row per training caption, one column per test "
                  "video; adds t2v_qbnorm");
  flags.AddDouble("temperature", &f.temperature, "DSL softmax temperature (1 at inference)");
  flags.AddDouble("qb_beta", &f.qb_beta, "QB-Norm inverse temperature beta");
  flags.AddInt("qb_k", &f.qb_k, "QB-Norm: top-k that decides the activation set");
  flags.AddInt("block_size", &f.block_size, "rows and columns per similarity tile");
  flags.AddInt("threads", &f.threads, "threads sharing each tile");
  flags.AddString("ties", &f.ties,
                  "'strict' (1 + strictly higher scores) or 'against' (a tie ranks ahead)");
  std::vector<std::string> positional;
  if (int code = ParseFlags(flags, "metrics", args, &positional, out, err); code >= 0) {
    return code;
  }
  auto usage = [&](const std::string& message) {
    err << "camoe metrics: " << message << "\n";
    return kExitUsage;
  };
  if (!positional.empty()) return usage("unexpected argument '" + positional[0] + "'");
  if (f.sim.empty()) return usage("--sim=FILE.csv is required (see camoe metrics --help)");
  if (f.ties != "strict" && f.ties != "against") {
    return usage("--ties=" + f.ties + ": use 'strict' or 'against'");
  }
  if (f.captions_per_video < 1) {
    return usage(absl::StrFormat("--captions_per_video=%d: use 1 or more", f.captions_per_video));
  }
  if (!(f.temperature > 0) || !(f.qb_beta > 0) || f.qb_k < 1 || f.block_size < 1 || f.threads < 1 ||
      f.threads > 256) {
    return usage(
        "--temperature and --qb_beta must be positive; --qb_k, --block_size and "
        "--threads in [1, 256]");
  }

  absl::StatusOr<DenseSimilarity> sim = ReadSimilarityCsv(f.sim);
  if (!sim.ok()) return Fail(err, "metrics", sim.status());
  const int64_t videos = sim->cols(), k = f.captions_per_video;
  if (sim->rows() != k * videos) {
    return Fail(err, "metrics",
                absl::InvalidArgumentError(absl::StrFormat(
                    "%s has %d text rows and %d video columns, but --captions_per_video=%d "
                    "needs %d x %d = %d rows (text i belongs to video i / %d); check the file "
                    "or the flag",
                    f.sim, sim->rows(), videos, k, k, videos, k * videos, k)));
  }
  std::optional<DenseSimilarity> bank;
  if (!f.bank_sim.empty()) {
    absl::StatusOr<DenseSimilarity> read = ReadSimilarityCsv(f.bank_sim);
    if (!read.ok()) return Fail(err, "metrics", read.status());
    if (read->cols() != videos) {
      return Fail(err, "metrics",
                  absl::InvalidArgumentError(absl::StrFormat(
                      "%s has %d columns but %s has %d videos; the bank needs one column per "
                      "test video, in the same order",
                      f.bank_sim, read->cols(), f.sim, videos)));
    }
    bank = std::move(*read);
  }

  EvalOptions options;
  options.block_rows = options.block_cols = f.block_size;
  options.dsl = true;
  options.dsl_temperature = f.temperature;
  options.threads = static_cast<int>(f.threads);
  options.ties_count_against = f.ties == "against";
  options.qb_norm.beta = f.qb_beta;
  options.qb_norm.k = f.qb_k;
  absl::StatusOr<RetrievalReport> report =
      EvaluateRetrieval(*sim, ConsecutiveCaptions(videos, k), options, bank ? &*bank : nullptr);
  if (!report.ok()) return Fail(err, "metrics", report.status());
  out << RetrievalReportJson(*report) << "\n";
  return kExitOk;
}

}  // namespace camoe::cli
