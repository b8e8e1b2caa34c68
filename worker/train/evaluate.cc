#include "worker/train/evaluate.h"

#include <chrono>
#include <set>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "worker/camoe/precision.h"
#include "worker/dist/torch_dist.h"
#include "worker/eval/retrieval_eval.h"
#include "worker/eval/similarity_source.h"
#include "worker/loader/batch_loader.h"
#include "worker/train/batch_tensors.h"

namespace camoe {
namespace {

// [first, last) of `total` items for `rank` of `world`: contiguous shares.
std::pair<int64_t, int64_t> Share(int64_t total, int rank, int world) {
  const int64_t base = total / world, extra = total % world;
  const int64_t first = rank * base + std::min<int64_t>(rank, extra);
  return {first, first + base + (rank < extra ? 1 : 0)};
}

torch::Tensor Normalized(const torch::Tensor& x) {
  return torch::nn::functional::normalize(x.to(torch::kFloat32).cpu(),
                                          torch::nn::functional::NormalizeFuncOptions().dim(-1))
      .contiguous();
}

}  // namespace

absl::StatusOr<EvaluationResult> Evaluate(CamoeModel& model, const data::DatasetSplit& split,
                                          const std::vector<CaptionStreams>& streams,
                                          data::FrameSource& frames, const EvalConfig& config,
                                          const EvaluateOptions& options, Communicator& comm,
                                          const torch::Device& device) {
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  model->eval();
  EvaluationResult result;
  const data::EvalView view = data::MakeEvalView(split);
  const int world = comm.size(), rank = comm.rank();

  // Videos: this rank's share, loaded with the prefetching loader.
  const auto [v0, v1] = Share(static_cast<int64_t>(view.videos.size()), rank, world);
  std::vector<std::vector<data::TrainSample>> batches;
  for (int64_t i = v0; i < v1; i += options.batch_size) {
    std::vector<data::TrainSample> batch;
    for (int64_t j = i; j < std::min(v1, i + options.batch_size); ++j) {
      batch.push_back({view.videos[j], 0});
    }
    batches.push_back(std::move(batch));
  }
  data::BatchLoader loader(&frames, &split, std::move(batches),
                           {options.loader_threads, options.prefetch_batches});
  std::vector<torch::Tensor> video_parts[kNumStreams];
  std::vector<torch::Tensor> gate_parts;
  std::set<int32_t> loaded;  // split indices of this share's videos that loaded
  while (auto batch = loader.Next()) {
    for (const std::string& bad : batch->dropped) result.bad_videos.push_back(bad);
    for (const auto& s : batch->samples) loaded.insert(s.video);
    if (!batch->samples.empty()) {
      AutocastGuard autocast(options.precision, device);
      VideoOutput out = model->EncodeVideo(MakeVideoInput(*batch, device));
      for (int s = 0; s < kNumStreams; ++s) {
        if (out.embeddings.streams[s].defined()) {
          video_parts[s].push_back(Normalized(out.embeddings.streams[s]));
        }
      }
      if (out.gate_weights.defined()) gate_parts.push_back(out.gate_weights.to(torch::kFloat32).cpu());
    }
  }
  // Which videos of the whole view loaded: gather the per-video flags.
  torch::Tensor ok_local = torch::zeros({v1 - v0}, torch::kFloat32);
  for (int64_t i = v0; i < v1; ++i) {
    if (loaded.count(view.videos[i])) ok_local[i - v0] = 1.0f;
  }
  torch::Tensor ok_tensor = AllGatherRows(comm, ok_local.unsqueeze(1)).squeeze(1) > 0.5;
  std::vector<bool> ok(ok_tensor.size(0));
  for (int64_t v = 0; v < ok_tensor.size(0); ++v) ok[v] = ok_tensor[v].item<bool>();

  // Captions: this rank's share.
  const auto [c0, c1] = Share(static_cast<int64_t>(view.captions.size()), rank, world);
  std::vector<torch::Tensor> text_parts[kNumStreams];
  for (int64_t i = c0; i < c1; i += options.batch_size) {
    std::vector<int32_t> captions(view.captions.begin() + i,
                                  view.captions.begin() + std::min(c1, i + options.batch_size));
    AutocastGuard autocast(options.precision, device);
    StreamEmbeddings text = model->EncodeText(MakeTextInput(streams, captions, device));
    for (int s = 0; s < kNumStreams; ++s) {
      if (text.streams[s].defined()) text_parts[s].push_back(Normalized(text.streams[s]));
    }
  }
  const int64_t dim = model->clip->config().embed_dim();
  const float scale = model->LogitScale().item<float>();
  EvalOptions eval_options = EvalOptionsFromConfig(config);
  eval_options.dsl_temperature = 1.0;
  result.videos = ok_tensor.sum().item<int64_t>();
  result.captions = static_cast<int64_t>(view.captions.size());
  for (int s = 0; s < kNumStreams; ++s) {
    if (!model->HasStream(s)) continue;
    if (s != kFusion && !config.per_stream()) continue;
    auto gather = [&](std::vector<torch::Tensor>& parts) {
      torch::Tensor local = parts.empty() ? torch::zeros({0, dim}) : torch::cat(parts);
      return AllGatherRows(comm, local);
    };
    torch::Tensor videos = gather(video_parts[s]);  // rows: loaded videos in view order
    torch::Tensor texts = gather(text_parts[s]);    // rows: all captions in view order
    // Keep captions whose video loaded and that have keywords for the stream;
    // keep videos that still have a caption.
    std::vector<int64_t> video_row(view.videos.size(), -1);
    for (int64_t v = 0, row = 0; v < static_cast<int64_t>(view.videos.size()); ++v) {
      if (ok[v]) video_row[v] = row++;
    }
    std::vector<int64_t> keep_captions, owner;
    std::vector<int64_t> video_used(view.videos.size(), -1);
    std::vector<int64_t> keep_videos;
    StreamEvaluation eval;
    eval.stream = s;
    for (int64_t t = 0; t < static_cast<int64_t>(view.captions.size()); ++t) {
      const int64_t v = view.video_of_text[t];
      if (video_row[v] < 0) continue;
      const CaptionStreams& cs = streams[view.captions[t]];
      if ((s == kEntity && !cs.has_entity) || (s == kAction && !cs.has_action)) {
        if (model->config().variant() != MOE_MTAC) {
          ++eval.captions_without;
          continue;
        }
      }
      if (video_used[v] < 0) {
        video_used[v] = static_cast<int64_t>(keep_videos.size());
        keep_videos.push_back(video_row[v]);
      }
      keep_captions.push_back(t);
      owner.push_back(video_used[v]);
    }
    if (keep_captions.empty()) continue;
    torch::Tensor t = texts.index_select(0, torch::tensor(keep_captions)).contiguous();
    torch::Tensor v = videos.index_select(0, torch::tensor(keep_videos)).contiguous();
    CAMOE_ASSIGN_OR_RETURN(EmbeddingSimilarity sim,
                           EmbeddingSimilarity::Create(t.size(0), v.size(0), dim,
                                                       t.data_ptr<float>(), v.data_ptr<float>(),
                                                       scale));
    CAMOE_ASSIGN_OR_RETURN(eval.report, EvaluateRetrieval(sim, owner, eval_options));
    eval.captions = t.size(0);
    eval.videos = v.size(0);
    result.streams.push_back(std::move(eval));
  }
  if (!gate_parts.empty() || model->config().variant() != MOE_SINGLE_TASK) {
    torch::Tensor local = gate_parts.empty() ? torch::zeros({0, kNumStreams}) : torch::cat(gate_parts);
    torch::Tensor all = AllGatherRows(comm, local);
    if (all.size(0) > 0) {
      torch::Tensor mean = all.mean(0);
      for (int s = 0; s < kNumStreams; ++s) result.gate_mean[s] = mean[s].item<double>();
    }
  }
  // Every rank reports every bad video.
  model->train();
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

std::string FormatEvaluation(const EvaluationResult& r) {
  std::string out = absl::StrFormat(
      "%-8s %-9s %7s %7s %7s %6s %7s %9s\n", "stream", "direction", "R@1", "R@5", "R@10", "MdR",
      "MnR", "queries");
  auto line = [&out](const std::string& stream, const std::string& dir,
                     const RetrievalMetrics& m) {
    absl::StrAppendFormat(&out, "%-8s %-9s %7.1f %7.1f %7.1f %6.1f %7.1f %9d\n", stream, dir, m.r1,
                          m.r5, m.r10, m.mdr, m.mnr, m.queries);
  };
  for (const StreamEvaluation& s : r.streams) {
    const std::string name = StreamName(s.stream);
    line(name, "t2v", s.report.t2v);
    line(name, "v2t", s.report.v2t);
    if (s.report.t2v_dsl) line(name, "t2v+DSL", *s.report.t2v_dsl);
    if (s.report.v2t_dsl) line(name, "v2t+DSL", *s.report.v2t_dsl);
  }
  absl::StrAppendFormat(&out, "gate mean weights: fusion %.3f, entity %.3f, action %.3f\n",
                        r.gate_mean[0], r.gate_mean[1], r.gate_mean[2]);
  absl::StrAppendFormat(&out, "%d videos, %d captions evaluated in %.1f s", r.videos, r.captions,
                        r.seconds);
  if (!r.bad_videos.empty()) absl::StrAppendFormat(&out, "; %d unreadable videos left out", r.bad_videos.size());
  out += "\n";
  return out;
}

}  // namespace camoe
