#include "coordinator/report/job_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "coordinator/report/html_text.h"
#include "coordinator/report/report_sections.h"
#include "coordinator/report/svg_chart.h"

namespace camoe::coordinator {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Stream colours are shared by the loss and gate charts so a stream reads the
// same everywhere; recall colours go by cut-off.
constexpr char kTotalColor[] = "#222222";
constexpr char kFusionColor[] = "#1f77b4";
constexpr char kEntityColor[] = "#ff7f0e";
constexpr char kActionColor[] = "#2ca02c";
constexpr char kRecallColors[3][8] = {"#d62728", "#1f77b4", "#2ca02c"};

// No '<' or '&' in here: the page must stay well-formed XML too.
constexpr char kStyle[] = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;
  margin:0 auto;padding:16px 24px;max-width:1240px;background:#fafafa;line-height:1.4}
h1{font-size:22px;margin:4px 0}h1 .name{color:#555;font-weight:normal}
h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.status{margin:6px 0 10px}.reason{color:#444}
.state{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;
  background:#e0e0e0;color:#333}
.s-running{background:#d6e9ff;color:#0b4f9c}.s-succeeded{background:#d8f3dc;color:#1b6e2a}
.s-failed{background:#fde0e0;color:#a11}.s-restarting{background:#ffeccc;color:#8a4b00}
.s-cancelled{background:#eee;color:#555}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0;font-size:14px}
dl.facts dt{color:#666}dl.facts dd{margin:0}
.bar{display:inline-block;vertical-align:middle;width:160px;height:8px;background:#e4e4e4;
  border-radius:4px;overflow:hidden;margin-left:6px}
.bar span{display:block;height:100%;background:#3b82c4}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:12px}
.charts figure{margin:0;background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:4px}
.charts svg{width:100%;height:auto;display:block}
.note,.empty{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:13px;background:#fff}
th,td{border:1px solid #e0e0e0;padding:3px 9px;text-align:left}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.v-plain td{font-weight:600}
pre.spec{background:#fff;border:1px solid #e2e2e2;padding:10px;font-size:12px;overflow:auto}
footer{margin-top:28px;color:#888;font-size:12px}
)css";

double Opt(bool has, double value) { return has ? value : kNaN; }

double At(const google::protobuf::RepeatedField<double>& values, int i) {
  return i < values.size() ? values.Get(i) : kNaN;
}

// Note [Replayed steps]: a restarted gang resumes from its last checkpoint and
// reports the steps after it again, so a step can appear more than once. The
// curves show the later report of each step (the run the final model came
// from), in step order. The same goes for evaluations.
template <typename Report>
std::vector<const Report*> InStepOrder(const google::protobuf::RepeatedPtrField<Report>& reports) {
  std::vector<const Report*> ordered;
  ordered.reserve(reports.size());
  for (const Report& r : reports) ordered.push_back(&r);
  const auto by_step = [](const Report* a, const Report* b) { return a->step() < b->step(); };
  bool strictly_increasing = true;
  for (size_t i = 1; i < ordered.size() && strictly_increasing; ++i) {
    strictly_increasing = ordered[i - 1]->step() < ordered[i]->step();
  }
  if (strictly_increasing) return ordered;
  std::stable_sort(ordered.begin(), ordered.end(), by_step);
  std::vector<const Report*> unique;
  unique.reserve(ordered.size());
  for (const Report* r : ordered) {
    if (!unique.empty() && unique.back()->step() == r->step()) {
      unique.back() = r;  // stable sort: the later report comes last
    } else {
      unique.push_back(r);
    }
  }
  return unique;
}

struct StepSeries {
  std::string name;
  const char* color;
  double (*value)(const StepReport&);  // NaN where the report lacks the value
};

struct StepChart {
  ChartOptions options;
  std::vector<StepSeries> series;
  // Log axes only: when > 0, the axis starts at this fraction of the smallest
  // series peak. Warmup and cosine decay take learning rates to ~0, which on
  // a log axis would stretch it over ten decades of nothing.
  double floor_of_peak = 0;
};

// Share of the step spent in `seconds`, in percent.
double Percent(const StepReport& s, double seconds) {
  return s.has_step_seconds() && s.step_seconds() > 0 ? 100.0 * seconds / s.step_seconds() : kNaN;
}

std::vector<StepChart> StepCharts(const ChartOptions& base) {
  const auto with = [&](const std::string& title, auto adjust) {
    ChartOptions options = base;
    options.title = title;
    adjust(&options);
    return options;
  };
  const auto log_axis = [](ChartOptions* o) { o->log_y = true; };
  const auto from_zero = [](ChartOptions* o) { o->y_include_zero = true; };
  const auto percent = [](ChartOptions* o) {
    o->y_include_zero = true;
    o->value_suffix = "%";
  };
  std::vector<StepChart> charts;
  charts.push_back(
      {with("Loss (log scale)", log_axis),
       {{"total", kTotalColor, [](const StepReport& s) { return Opt(s.has_loss(), s.loss()); }},
        {"fusion", kFusionColor, [](const StepReport& s) { return At(s.stream_loss(), 0); }},
        {"entity", kEntityColor, [](const StepReport& s) { return At(s.stream_loss(), 1); }},
        {"action", kActionColor, [](const StepReport& s) { return At(s.stream_loss(), 2); }}}});
  charts.push_back(
      {with("Learning rate (log scale)", log_axis),
       {{"heads", "#9467bd", [](const StepReport& s) { return Opt(s.has_lr_head(), s.lr_head()); }},
        {"CLIP", "#8c564b", [](const StepReport& s) { return Opt(s.has_lr_clip(), s.lr_clip()); }}},
       /*floor_of_peak=*/0.01});
  charts.push_back({with("Throughput (clips/s)", from_zero),
                    {{"clips/s", "#1f77b4", [](const StepReport& s) {
                        return Opt(s.has_clips_per_second(), s.clips_per_second());
                      }}}});
  charts.push_back({with("Step time (s)", from_zero),
                    {{"step", "#d62728", [](const StepReport& s) {
                        return Opt(s.has_step_seconds(), s.step_seconds());
                      }}}});
  charts.push_back(
      {with("Communication (% of step)", percent),
       {{"gather + sync share", "#d62728",
         [](const StepReport& s) {
           if (!s.has_gather_seconds() && !s.has_sync_seconds()) return kNaN;
           return Percent(s, s.gather_seconds() + s.sync_seconds());
         }},
        {"sync hidden by backward", "#17becf", [](const StepReport& s) {
           return Opt(s.has_sync_hidden_fraction(), 100.0 * s.sync_hidden_fraction());
         }}}});
  charts.push_back({with("Data wait (% of step)", percent),
                    {{"data wait share", "#ff7f0e", [](const StepReport& s) {
                        return s.has_data_wait_seconds() ? Percent(s, s.data_wait_seconds()) : kNaN;
                      }}}});
  charts.push_back({with("Gate weights (mean)",
                         [](ChartOptions* o) {
                           o->y_min = 0;
                           o->y_max = 1;
                         }),
                    {{"fusion", kFusionColor, [](const StepReport& s) { return At(s.gate_mean(), 0); }},
                     {"entity", kEntityColor, [](const StepReport& s) { return At(s.gate_mean(), 1); }},
                     {"action", kActionColor,
                      [](const StepReport& s) { return At(s.gate_mean(), 2); }}}});
  charts.push_back({with("Gradient norm (log scale, before clipping)", log_axis),
                    {{"global norm", "#7f7f7f", [](const StepReport& s) {
                        return Opt(s.has_grad_norm(), s.grad_norm());
                      }}}});
  return charts;
}

// The figures of the step charts that have data (a chart of nothing but gaps,
// e.g. gates of a single-stream model, is left out).
std::string RenderStepCharts(const std::vector<const StepReport*>& steps,
                             const ChartOptions& base) {
  std::vector<double> x(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) x[i] = static_cast<double>(steps[i]->step());
  // One pass over the reports fills every column: a million reports are
  // hundreds of MB of messages, and walking them once per chart costs more
  // than the columns' memory (8 bytes per step and series).
  const std::vector<StepChart> charts = StepCharts(base);
  std::vector<const StepSeries*> specs;
  for (const StepChart& chart : charts) {
    for (const StepSeries& spec : chart.series) specs.push_back(&spec);
  }
  std::vector<std::vector<double>> columns(specs.size(), std::vector<double>(steps.size()));
  for (size_t i = 0; i < steps.size(); ++i) {
    for (size_t k = 0; k < specs.size(); ++k) columns[k][i] = specs[k]->value(*steps[i]);
  }
  std::string html;
  size_t column = 0;
  for (const StepChart& chart : charts) {
    std::vector<ChartSeries> series;
    for (const StepSeries& spec : chart.series) {
      std::vector<double>& y = columns[column++];
      // An unreported stream (single-task model) leaves no empty legend entry.
      if (std::none_of(y.begin(), y.end(), [](double v) { return std::isfinite(v); })) continue;
      ChartSeries s;
      s.name = spec.name;
      s.color = spec.color;
      s.y = std::move(y);
      series.push_back(std::move(s));
    }
    if (series.empty()) continue;
    ChartOptions options = chart.options;
    if (chart.floor_of_peak > 0) {
      double smallest_peak = std::numeric_limits<double>::infinity();
      for (const ChartSeries& s : series) {
        double peak = 0;
        for (double v : s.y) peak = std::isfinite(v) ? std::max(peak, v) : peak;
        if (peak > 0) smallest_peak = std::min(smallest_peak, peak);
      }
      if (std::isfinite(smallest_peak)) options.y_min = smallest_peak * chart.floor_of_peak;
    }
    html += "<figure>" + RenderLineChart(x, series, options) + "</figure>";
  }
  return html;
}

const RetrievalResult* FindResult(const EvaluationReport& e, const std::string& stream,
                                  const std::string& direction, const std::string& variant) {
  for (const RetrievalResult& r : e.results()) {
    if (r.stream() == stream && r.direction() == direction && r.variant() == variant) return &r;
  }
  return nullptr;
}

// Recall of the fusion stream, one chart per direction: R@1/5/10 by colour,
// plain solid and DSL dashed.
std::string RenderRecallCharts(const std::vector<const EvaluationReport*>& evaluations,
                               const ChartOptions& base) {
  std::vector<double> x(evaluations.size());
  for (size_t i = 0; i < evaluations.size(); ++i) x[i] = static_cast<double>(evaluations[i]->step());
  std::string html;
  for (const std::string direction : {"t2v", "v2t"}) {
    ChartOptions options = base;
    options.title = direction == "t2v" ? "Recall, text to video (fusion stream)"
                                       : "Recall, video to text (fusion stream)";
    options.value_suffix = "%";
    options.y_include_zero = true;
    std::vector<ChartSeries> series;
    for (const std::string variant : {"plain", "dsl"}) {
      for (int k = 0; k < 3; ++k) {
        ChartSeries s;
        s.name = std::string(k == 0 ? "R@1" : k == 1 ? "R@5" : "R@10") +
                 (variant == "dsl" ? " DSL" : "");
        s.color = kRecallColors[k];
        s.dashed = variant == "dsl";
        s.markers = true;
        s.y.assign(evaluations.size(), kNaN);
        bool any = false;
        for (size_t i = 0; i < evaluations.size(); ++i) {
          const RetrievalResult* r = FindResult(*evaluations[i], "fusion", direction, variant);
          if (r == nullptr) continue;
          s.y[i] = k == 0 ? r->r1() : k == 1 ? r->r5() : r->r10();
          any = true;
        }
        if (any) series.push_back(std::move(s));
      }
    }
    if (series.empty()) continue;
    html += "<figure>" + RenderLineChart(x, series, options) + "</figure>";
  }
  return html;
}

}  // namespace

std::string RenderJobReport(const JobMetrics& metrics, const ReportOptions& options) {
  const Job& job = metrics.job();
  const std::vector<const StepReport*> steps = InStepOrder(metrics.steps());
  const std::vector<const EvaluationReport*> evaluations = InStepOrder(metrics.evaluations());

  // One x range for every chart, so a step sits at the same place in each.
  ChartOptions base;
  base.width = options.chart_width;
  base.height = options.chart_height;
  base.downsample = options.downsample;
  double x_lo = kNaN, x_hi = kNaN;
  const auto extend = [&](int64_t step) {
    x_lo = std::isnan(x_lo) ? step : std::min<double>(x_lo, step);
    x_hi = std::isnan(x_hi) ? step : std::max<double>(x_hi, step);
  };
  if (!steps.empty()) extend(steps.front()->step()), extend(steps.back()->step());
  if (!evaluations.empty()) extend(evaluations.front()->step()), extend(evaluations.back()->step());
  base.x_min = x_lo;
  base.x_max = x_hi;

  std::string title = "camoe " + (job.id().empty() ? std::string("job report") : job.id());
  if (!job.spec().name().empty()) title += " - " + job.spec().name();

  std::string html;
  html.reserve(256 * 1024);
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>" +
          HtmlEscape(title) + "</title><style>" + kStyle + "</style></head><body>\n";
  html += RenderHeader(metrics, options.now_ms) + "\n";

  html += "<section id=\"training\"><h2>Training</h2>";
  if (steps.empty()) {
    bool ended = job.state() == JOB_SUCCEEDED || job.state() == JOB_FAILED ||
                 job.state() == JOB_CANCELLED;
    html += std::string("<p class=\"empty\">") +
            (ended ? "The job ended without reporting a step." : "No step reports yet.") + "</p>";
  } else {
    html += "<p class=\"note\">" + FormatCount(static_cast<int64_t>(steps.size())) +
            " step reports, steps " + FormatCount(steps.front()->step()) + " to " +
            FormatCount(steps.back()->step());
    if (options.downsample && steps.size() > static_cast<size_t>(options.chart_width)) {
      html += "; long curves show the minimum and maximum of each pixel column";
    }
    html += ". Hover over a chart for values.</p><div class=\"charts\">" +
            RenderStepCharts(steps, base) + "</div>";
  }
  html += "</section>\n<section id=\"retrieval\"><h2>Retrieval</h2>";
  std::string recall = RenderRecallCharts(evaluations, base);
  if (!recall.empty()) {
    html += "<div class=\"charts\">" + recall + "</div>";
  } else if (!evaluations.empty()) {
    html += "<p class=\"empty\">No fusion-stream results to chart.</p>";
  }
  const EvaluationReport* final_eval = PickFinalEvaluation(metrics);
  if (final_eval != nullptr) {
    html += RenderEvaluationTable(*final_eval);
  } else {
    html += "<p class=\"empty\">No evaluations yet.</p>";
  }
  html += "</section>\n<section id=\"history\"><h2>State history</h2>" +
          RenderHistoryTable(job) + "</section>\n";
  html += "<section id=\"spec\"><h2>Job spec</h2>" + RenderSpec(job.spec()) + "</section>\n";
  html += "<footer>Written by <code>camoe report</code>. Self-contained: no scripts, fonts or "
          "network.</footer>\n</body></html>\n";
  return html;
}

}  // namespace camoe::coordinator
