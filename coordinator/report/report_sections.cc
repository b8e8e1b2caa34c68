#include "coordinator/report/report_sections.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "common/text_proto.h"
#include "coordinator/report/html_text.h"

namespace camoe::coordinator {
namespace {

bool IsTerminal(JobState state) {
  return state == JOB_SUCCEEDED || state == JOB_FAILED || state == JOB_CANCELLED;
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

// A <dt>/<dd> pair; `html` is already escaped.
std::string Fact(const std::string& term, const std::string& html) {
  return "<dt>" + term + "</dt><dd>" + html + "</dd>";
}

// The step report with the highest step (the later one on a tie: a restart
// replays steps after its checkpoint); nullptr when there is none.
const StepReport* LastStep(const JobMetrics& metrics) {
  const StepReport* last = nullptr;
  for (const StepReport& step : metrics.steps()) {
    if (last == nullptr || step.step() >= last->step()) last = &step;
  }
  return last;
}

// "MOE_SINGLE_GATE" -> "single gate"; "?" for a value this build lacks.
std::string EnumLabel(const std::string& name, const std::string& prefix) {
  if (name.empty()) return "?";
  std::string label = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
  for (char& c : label) c = c == '_' ? ' ' : static_cast<char>(std::tolower(c));
  return label;
}

int Rank(const std::string& value, const std::vector<std::string>& order) {
  auto it = std::find(order.begin(), order.end(), value);
  return static_cast<int>(it - order.begin());
}

}  // namespace

std::string StateName(JobState state) {
  switch (state) {
    case JOB_QUEUED: return "queued";
    case JOB_SCHEDULED: return "scheduled";
    case JOB_RUNNING: return "running";
    case JOB_SUCCEEDED: return "succeeded";
    case JOB_FAILED: return "failed";
    case JOB_CANCELLED: return "cancelled";
    case JOB_RESTARTING: return "restarting";
    case JOB_STATE_UNSPECIFIED: return "unspecified";
  }
  return "unknown";
}

StateTimes ComputeStateTimes(const Job& job, int64_t now_ms) {
  StateTimes times;
  const auto& history = job.history();
  for (int i = 0; i < history.size(); ++i) {
    const JobTransition& t = history[i];
    if (t.state() == JOB_RUNNING && times.first_running_ms == 0) {
      times.first_running_ms = t.time_ms();
    }
    if (IsTerminal(t.state())) {
      times.end_ms = t.time_ms();
      continue;
    }
    int64_t until = i + 1 < history.size() ? history[i + 1].time_ms() : now_ms;
    if (until == 0 || until < t.time_ms()) continue;
    int64_t span = until - t.time_ms();
    switch (t.state()) {
      case JOB_QUEUED:
      case JOB_SCHEDULED: times.queued_ms += span; break;
      case JOB_RUNNING: times.running_ms += span; break;
      case JOB_RESTARTING: times.restarting_ms += span; break;
      default: break;
    }
  }
  if (times.first_running_ms == 0) times.first_running_ms = job.start_time_ms();
  if (times.end_ms == 0 && IsTerminal(job.state())) times.end_ms = job.end_time_ms();
  return times;
}

std::string RenderHeader(const JobMetrics& metrics, int64_t now_ms) {
  const Job& job = metrics.job();
  const std::string state = StateName(job.state());
  std::string html = "<header><h1>Job <span class=\"id\">" +
                     HtmlEscape(job.id().empty() ? "(no id)" : job.id()) + "</span>";
  if (!job.spec().name().empty()) {
    html += " <span class=\"name\">" + HtmlEscape(job.spec().name()) + "</span>";
  }
  html += "</h1><p class=\"status\"><span class=\"state s-" + state + "\">" + state + "</span>";
  if (!job.reason().empty()) html += " <span class=\"reason\">" + HtmlEscape(job.reason()) + "</span>";
  html += "</p><dl class=\"facts\">";

  if (!job.failure_class().empty()) {
    html += Fact("Failure class", "<code>" + HtmlEscape(job.failure_class()) + "</code>");
  }
  html += Fact("Attempt", job.has_attempt() ? std::to_string(job.attempt()) : "-");
  std::string gang = job.gang_size() == 0 ? "not assigned"
                                          : std::to_string(job.gang_size()) +
                                                (job.gang_size() == 1 ? " rank" : " ranks");
  if (job.gang_size() > 0) {
    gang += " (pool ranks ";
    for (int i = 0; i < std::min(job.gang_size(), 16); ++i) {
      gang += (i > 0 ? ", " : "") + std::to_string(job.gang(i));
    }
    gang += job.gang_size() > 16 ? ", ...)" : ")";
  }
  html += Fact("Gang", gang);

  const StepReport* last = LastStep(metrics);
  int64_t done = job.has_step() ? job.step() : (last != nullptr ? last->step() : 0);
  int64_t total = job.total_steps() > 0 ? job.total_steps()
                                        : (last != nullptr ? last->total_steps() : 0);
  std::string progress = FormatCount(done) + " of " + (total > 0 ? FormatCount(total) : "?") +
                         " steps";
  if (total > 0) {
    double percent = std::clamp(100.0 * static_cast<double>(done) / total, 0.0, 100.0);
    progress += " (" + Fixed(percent, 1) + "%) <span class=\"bar\"><span style=\"width:" +
                Fixed(percent, 1) + "%\"></span></span>";
  }
  html += Fact("Progress", progress);
  if (last != nullptr) {
    std::string line = "step " + FormatCount(last->step()) + ", epoch " +
                       std::to_string(last->epoch()) + ": loss " + FormatNumber(last->loss(), 4);
    if (last->clips_per_second() > 0) {
      line += ", " + FormatNumber(last->clips_per_second(), 4) + " clips/s";
    }
    if (last->step_seconds() > 0) line += ", " + FormatNumber(last->step_seconds(), 3) + " s/step";
    if (last->time_ms() != 0) line += " at " + FormatTimeUtc(last->time_ms());
    html += Fact("Last step", line);
  } else if (job.has_last_loss()) {
    html += Fact("Last loss", FormatNumber(job.last_loss(), 4));
  }
  html += Fact("Last checkpoint", job.last_checkpoint().empty()
                                      ? "none"
                                      : "<code>" + HtmlEscape(job.last_checkpoint()) + "</code>");

  StateTimes times = ComputeStateTimes(job, now_ms != 0 ? now_ms : job.update_time_ms());
  int64_t submitted = job.submit_time_ms() != 0
                          ? job.submit_time_ms()
                          : (job.history_size() > 0 ? job.history(0).time_ms() : 0);
  html += Fact("Submitted", FormatTimeUtc(submitted));
  if (times.first_running_ms != 0) {
    std::string started = FormatTimeUtc(times.first_running_ms);
    if (submitted != 0 && times.first_running_ms >= submitted) {
      started += " (" + FormatDuration(times.first_running_ms - submitted) + " after submission)";
    }
    html += Fact("Started", started);
  }
  if (times.end_ms != 0) {
    std::string ended = FormatTimeUtc(times.end_ms);
    if (times.first_running_ms != 0 && times.end_ms >= times.first_running_ms) {
      ended += " (" + FormatDuration(times.end_ms - times.first_running_ms) + " after start)";
    }
    html += Fact("Ended", ended);
  }
  if (job.history_size() > 0) {
    std::string spent = "running " + FormatDuration(times.running_ms) + ", waiting " +
                        FormatDuration(times.queued_ms);
    if (times.restarting_ms > 0) spent += ", restarting " + FormatDuration(times.restarting_ms);
    html += Fact("Time in states", spent);
  }

  const JobSpec& spec = job.spec();
  if (job.has_spec()) {
    std::string setup = EnumLabel(MoeVariant_Name(spec.model().camoe().variant()), "MOE_") +
                        " CAMoE";
    if (spec.data().format() != DATASET_FORMAT_UNSPECIFIED) {
      setup += " on " + EnumLabel(DatasetFormat_Name(spec.data().format()), "DATASET_");
    }
    setup += ", world size " + std::to_string(spec.distributed().world_size()) +
             ", global batch " + std::to_string(spec.schedule().batch_size()) + ", " +
             std::to_string(spec.schedule().epochs()) + " epochs";
    html += Fact("Setup", setup);
  }
  if (now_ms != 0) html += Fact("Report generated", FormatTimeUtc(now_ms));
  html += "</dl></header>";
  return html;
}

const EvaluationReport* PickFinalEvaluation(const JobMetrics& metrics) {
  const EvaluationReport* best = nullptr;
  for (const EvaluationReport& e : metrics.evaluations()) {
    if (e.final()) best = &e;
  }
  if (best != nullptr) return best;
  for (const EvaluationReport& e : metrics.evaluations()) {
    if (best == nullptr || e.step() >= best->step()) best = &e;
  }
  if (best != nullptr) return best;
  if (metrics.job().has_last_evaluation()) return &metrics.job().last_evaluation();
  return nullptr;
}

std::string RenderEvaluationTable(const EvaluationReport& evaluation) {
  static const std::vector<std::string> kStreams = {"fusion", "entity", "action"};
  static const std::vector<std::string> kDirections = {"t2v", "v2t"};
  static const std::vector<std::string> kVariants = {"plain", "dsl", "qbnorm"};
  std::vector<const RetrievalResult*> rows;
  for (const RetrievalResult& r : evaluation.results()) rows.push_back(&r);
  std::stable_sort(rows.begin(), rows.end(), [&](const RetrievalResult* a, const RetrievalResult* b) {
    return std::make_tuple(Rank(a->stream(), kStreams), Rank(a->direction(), kDirections),
                           Rank(a->variant(), kVariants)) <
           std::make_tuple(Rank(b->stream(), kStreams), Rank(b->direction(), kDirections),
                           Rank(b->variant(), kVariants));
  });

  std::string html = "<p class=\"evalmeta\">" +
                     std::string(evaluation.final() ? "Final evaluation" : "Last evaluation (not final)") +
                     " at step " + FormatCount(evaluation.step());
  html += ": " + FormatCount(evaluation.videos()) + " videos, " +
          FormatCount(evaluation.captions()) + " captions";
  if (evaluation.unreadable_videos() > 0) {
    html += ", <strong>" + FormatCount(evaluation.unreadable_videos()) +
            " unreadable videos</strong>";
  }
  if (evaluation.seconds() > 0) html += ", took " + FormatNumber(evaluation.seconds(), 3) + " s";
  if (evaluation.gate_mean_size() == 3) {
    html += "; mean gate weights fusion " + Fixed(evaluation.gate_mean(0), 3) + ", entity " +
            Fixed(evaluation.gate_mean(1), 3) + ", action " + Fixed(evaluation.gate_mean(2), 3);
  }
  html += ".</p>";
  if (rows.empty()) return html + "<p class=\"empty\">The evaluation has no results.</p>";

  html += "<table class=\"eval\"><thead><tr><th>stream</th><th>direction</th><th>variant</th>"
          "<th>R@1</th><th>R@5</th><th>R@10</th><th>MdR</th><th>MnR</th><th>queries</th>"
          "</tr></thead><tbody>";
  for (const RetrievalResult* r : rows) {
    html += "<tr class=\"v-" + HtmlEscape(r->variant()) + "\"><td>" + HtmlEscape(r->stream()) +
            "</td><td>" + HtmlEscape(r->direction()) + "</td><td>" + HtmlEscape(r->variant()) +
            "</td><td class=\"num\">" + Fixed(r->r1(), 1) + "</td><td class=\"num\">" +
            Fixed(r->r5(), 1) + "</td><td class=\"num\">" + Fixed(r->r10(), 1) +
            "</td><td class=\"num\">" + FormatNumber(r->mdr(), 4) + "</td><td class=\"num\">" +
            Fixed(r->mnr(), 1) + "</td><td class=\"num\">" + FormatCount(r->queries()) +
            "</td></tr>";
  }
  html += "</tbody></table>";
  return html;
}

std::string RenderHistoryTable(const Job& job) {
  if (job.history_size() == 0) return "<p class=\"empty\">No state transitions recorded.</p>";
  std::string html = "<table class=\"history\"><thead><tr><th>#</th><th>state</th>"
                     "<th>time</th><th>after</th><th>reason</th></tr></thead><tbody>";
  for (int i = 0; i < job.history_size(); ++i) {
    const JobTransition& t = job.history(i);
    std::string state = StateName(t.state());
    std::string after = i > 0 && t.time_ms() != 0 && job.history(i - 1).time_ms() != 0
                            ? "+" + FormatDuration(t.time_ms() - job.history(i - 1).time_ms())
                            : "";
    html += "<tr><td class=\"num\">" + std::to_string(i + 1) + "</td><td><span class=\"state s-" +
            state + "\">" + state + "</span></td><td>" + FormatTimeUtc(t.time_ms()) +
            "</td><td class=\"num\">" + after + "</td><td>" + HtmlEscape(t.reason()) +
            "</td></tr>";
  }
  html += "</tbody></table>";
  return html;
}

std::string RenderSpec(const JobSpec& spec) {
  std::string text = ToTextProto(spec);
  if (text.empty()) return "<p class=\"empty\">The job has no spec.</p>";
  return "<pre class=\"spec\">" + HtmlEscape(text) + "</pre>";
}

}  // namespace camoe::coordinator
