// The job report page (coordinator/report/job_report.h): well-formed, charts
// with the right points, the final evaluation table, escaping, empty and
// replayed metrics, and a million steps in well under a second and a megabyte.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <regex>
#include <sstream>

#include "coordinator/report/job_report.h"
#include "google/protobuf/arena.h"
#include "tests/report_test_util.h"

namespace camoe::coordinator {
namespace {

using ::camoe::testing::ChartTitle;
using ::camoe::testing::CheckWellFormedXml;
using ::camoe::testing::ExtractSvgs;
using ::camoe::testing::MakeSampleMetrics;
using ::camoe::testing::SeriesPoints;

class JobReportTest : public ::testing::Test {
 protected:
  // Checks the page as XML (we write XHTML-compatible markup), as HTML with
  // xmllint when it is installed, and each chart on its own.
  static void ExpectWellFormed(const std::string& html) {
    absl::Status status = CheckWellFormedXml(html);
    EXPECT_TRUE(status.ok()) << status;
    if (::camoe::testing::HaveXmllint()) {
      std::string output;
      EXPECT_EQ(::camoe::testing::RunXmllint("--noout", html, &output), 0) << output;
      // libxml2's HTML parser knows HTML 4 only: it calls every HTML5 and SVG
      // element an invalid tag (and still exits 0). Any other error counts.
      output.clear();
      EXPECT_EQ(::camoe::testing::RunXmllint("--html --noout", html, &output), 0) << output;
      std::istringstream lines(output);
      for (std::string line; std::getline(lines, line);) {
        if (line.find("error") == std::string::npos) continue;
        EXPECT_TRUE(std::regex_search(line, std::regex("error : Tag [a-z]+ invalid$"))) << line;
      }
      for (const std::string& svg : ExtractSvgs(html)) {
        output.clear();
        EXPECT_EQ(::camoe::testing::RunXmllint("--noout", svg, &output), 0) << output;
      }
    }
  }

  // The chart whose title starts with `prefix`; empty when there is none.
  static std::string Chart(const std::string& html, const std::string& prefix) {
    for (const std::string& svg : ExtractSvgs(html)) {
      if (ChartTitle(svg).rfind(prefix, 0) == 0) return svg;
    }
    return "";
  }

  static size_t Count(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (size_t i = text.find(needle); i != std::string::npos; i = text.find(needle, i + 1)) {
      ++count;
    }
    return count;
  }
};

TEST_F(JobReportTest, PageIsWellFormedHtmlAndXml) {
  std::string html = RenderJobReport(MakeSampleMetrics(400, 100));
  ExpectWellFormed(html);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Self-contained: nothing is fetched.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
}

TEST_F(JobReportTest, ChartsHaveOnePointPerStepAndPerEvaluation) {
  std::string html = RenderJobReport(MakeSampleMetrics(400, 100));
  std::vector<std::string> svgs = ExtractSvgs(html);
  std::vector<std::string> titles;
  for (const std::string& svg : svgs) titles.push_back(ChartTitle(svg));
  EXPECT_EQ(titles, (std::vector<std::string>{
                        "Loss (log scale)", "Learning rate (log scale)", "Throughput (clips/s)",
                        "Step time (s)", "Communication (% of step)", "Data wait (% of step)",
                        "Gate weights (mean)", "Gradient norm (log scale, before clipping)",
                        "Recall, text to video (fusion stream)",
                        "Recall, video to text (fusion stream)"}));
  auto loss = SeriesPoints(Chart(html, "Loss"));
  EXPECT_EQ(loss, (std::map<std::string, long>{
                      {"total", 400}, {"fusion", 400}, {"entity", 400}, {"action", 400}}));
  auto gates = SeriesPoints(Chart(html, "Gate weights"));
  EXPECT_EQ(gates.size(), 3u);
  EXPECT_EQ(gates["entity"], 400);
  auto recall = SeriesPoints(Chart(html, "Recall, text to video"));
  EXPECT_EQ(recall, (std::map<std::string, long>{{"R@1", 4},
                                                 {"R@5", 4},
                                                 {"R@10", 4},
                                                 {"R@1 DSL", 4},
                                                 {"R@5 DSL", 4},
                                                 {"R@10 DSL", 4}}));
  // DSL is dashed, plain is solid; evaluations get markers with tooltips.
  std::string t2v = Chart(html, "Recall, text to video");
  EXPECT_EQ(Count(t2v, "class=\"series\""), 6u);
  EXPECT_EQ(Count(t2v, "stroke-dasharray=\"6 3\""), 3u);
  EXPECT_EQ(Count(t2v, "<circle"), 24u);
  EXPECT_NE(t2v.find("R@1 at step 400: 44.5%"), std::string::npos);
}

TEST_F(JobReportTest, LongRunsAreDownsampledUnlessAskedNotTo) {
  JobMetrics metrics = MakeSampleMetrics(5000, 1000);
  std::string html = RenderJobReport(metrics);
  ExpectWellFormed(html);
  const long plot_width = 560 - 54 - 14;
  for (const auto& [name, points] : SeriesPoints(Chart(html, "Loss"))) {
    EXPECT_GT(points, plot_width) << name;
    EXPECT_LE(points, 2 * plot_width) << name;
  }
  EXPECT_NE(html.find("minimum and maximum of each pixel column"), std::string::npos);
  ReportOptions every_point;
  every_point.downsample = false;
  auto all = SeriesPoints(Chart(RenderJobReport(metrics, every_point), "Loss"));
  EXPECT_EQ(all["total"], 5000);
}

TEST_F(JobReportTest, FinalEvaluationTableListsEveryResultInOrder) {
  std::string html = RenderJobReport(MakeSampleMetrics(400, 100));
  EXPECT_NE(html.find("Final evaluation at step 400: 1,000 videos, 1,000 captions"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"v-plain\"><td>fusion</td><td>t2v</td><td>plain</td>"
                      "<td class=\"num\">44.5</td><td class=\"num\">70.5</td>"
                      "<td class=\"num\">81.5</td><td class=\"num\">2</td>"
                      "<td class=\"num\">14.3</td><td class=\"num\">1,000</td></tr>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"v-dsl\"><td>action</td><td>v2t</td><td>dsl</td>"
                      "<td class=\"num\">42.5</td><td class=\"num\">68.5</td>"
                      "<td class=\"num\">79.5</td><td class=\"num\">4</td>"
                      "<td class=\"num\">16.3</td><td class=\"num\">1,000</td></tr>"),
            std::string::npos);
  // fusion, entity, action; t2v before v2t; plain before dsl.
  size_t table = html.find("<table class=\"eval\">");
  ASSERT_NE(table, std::string::npos);
  std::vector<std::string> order;
  for (size_t i = html.find("<tr class=\"v-", table); i != std::string::npos;
       i = html.find("<tr class=\"v-", i + 1)) {
    size_t cells = html.find("<td>", i) + 4;
    std::string stream = html.substr(cells, html.find('<', cells) - cells);
    size_t d = html.find("<td>", cells) + 4;
    std::string direction = html.substr(d, html.find('<', d) - d);
    size_t v = html.find("<td>", d) + 4;
    order.push_back(stream + " " + direction + " " + html.substr(v, html.find('<', v) - v));
  }
  EXPECT_EQ(order, (std::vector<std::string>{
                       "fusion t2v plain", "fusion t2v dsl", "fusion v2t plain", "fusion v2t dsl",
                       "entity t2v plain", "entity t2v dsl", "entity v2t plain", "entity v2t dsl",
                       "action t2v plain", "action t2v dsl", "action v2t plain",
                       "action v2t dsl"}));
}

TEST_F(JobReportTest, FinalEvaluationWinsOverALaterOneAndTheLastStandsInWithoutIt) {
  JobMetrics metrics = MakeSampleMetrics(400, 100);
  EvaluationReport* later = metrics.add_evaluations();
  later->set_step(450);
  std::string html = RenderJobReport(metrics);
  EXPECT_NE(html.find("Final evaluation at step 400"), std::string::npos);
  for (EvaluationReport& e : *metrics.mutable_evaluations()) e.set_final(false);
  html = RenderJobReport(metrics);
  EXPECT_NE(html.find("Last evaluation (not final) at step 450"), std::string::npos);
  EXPECT_NE(html.find("The evaluation has no results."), std::string::npos);
  ExpectWellFormed(html);
}

TEST_F(JobReportTest, HostileStringsAreEscapedEverywhere) {
  JobMetrics metrics = MakeSampleMetrics(20, 10);
  Job* job = metrics.mutable_job();
  const std::string hostile = "<script>alert(\"pwn\")</script> & 'x' \x01\xFF";
  job->set_id("job-<b>1</b>");
  job->mutable_spec()->set_name(hostile);
  job->set_reason("rank 3: <img src=x onerror=alert(1)>");
  job->set_failure_class("<oom>");
  job->set_last_checkpoint("/ckpt/\"quoted\" & <odd>/step-20");
  job->mutable_history(1)->set_reason("</td></tr></table><script>x</script>");
  job->mutable_spec()->mutable_data()->set_video_dir("/videos/</pre><script>y</script>");
  metrics.mutable_evaluations(0)->mutable_results(0)->set_stream("<svg onload=alert(2)>");
  std::string html = RenderJobReport(metrics);
  ExpectWellFormed(html);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_EQ(html.find("<odd>"), std::string::npos);
  EXPECT_EQ(html.find("<svg onload"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&quot;pwn&quot;)&lt;/script&gt; &amp; &#39;x&#39;"),
            std::string::npos);
  EXPECT_NE(html.find("/ckpt/&quot;quoted&quot; &amp; &lt;odd&gt;/step-20"), std::string::npos);
  EXPECT_NE(html.find("<dd><code>&lt;oom&gt;</code></dd>"), std::string::npos);
  EXPECT_NE(html.find("/videos/&lt;/pre&gt;&lt;script&gt;y&lt;/script&gt;"), std::string::npos);
}

TEST_F(JobReportTest, EmptyMetricsGiveAValidPageThatSaysSo) {
  std::string html = RenderJobReport(JobMetrics());
  ExpectWellFormed(html);
  EXPECT_NE(html.find("No step reports yet."), std::string::npos);
  EXPECT_NE(html.find("No evaluations yet."), std::string::npos);
  EXPECT_NE(html.find("No state transitions recorded."), std::string::npos);
  EXPECT_NE(html.find("The job has no spec."), std::string::npos);
  EXPECT_TRUE(ExtractSvgs(html).empty());
}

TEST_F(JobReportTest, JobThatNeverRanSaysSo) {
  JobMetrics metrics;
  Job* job = metrics.mutable_job();
  job->set_id("job-000007");
  job->mutable_spec()->set_name("never ran");
  job->set_state(JOB_CANCELLED);
  job->set_reason("cancelled by user");
  for (auto [state, t] : {std::pair{JOB_QUEUED, 1000}, std::pair{JOB_CANCELLED, 61000}}) {
    JobTransition* transition = job->add_history();
    transition->set_state(state);
    transition->set_time_ms(1714564800000 + t);
  }
  std::string html = RenderJobReport(metrics);
  ExpectWellFormed(html);
  EXPECT_NE(html.find("The job ended without reporting a step."), std::string::npos);
  EXPECT_NE(html.find("<span class=\"state s-cancelled\">cancelled</span>"), std::string::npos);
  EXPECT_NE(html.find("running 0 ms, waiting 1 min 00 s"), std::string::npos);
  EXPECT_NE(html.find("+1 min 00 s"), std::string::npos);
}

TEST_F(JobReportTest, HeaderTimesComeFromTheTransitions) {
  std::string html = RenderJobReport(MakeSampleMetrics(40, 20));
  EXPECT_NE(html.find("<span class=\"id\">job-000042</span> <span class=\"name\">msrvtt-camoe"),
            std::string::npos);
  EXPECT_NE(html.find("<dd>4 ranks (pool ranks 4, 5, 6, 7)</dd>"), std::string::npos);
  EXPECT_NE(html.find("40 of 40 steps (100.0%)"), std::string::npos);
  EXPECT_NE(html.find("2024-05-01 12:00:09 UTC (9.0 s after submission)"), std::string::npos);
  EXPECT_NE(html.find("running 1 h 00 min, waiting 12.0 s, restarting 30.0 s"),
            std::string::npos);
  EXPECT_NE(html.find("<code>/ckpt/job-000042/step-40</code>"), std::string::npos);
  EXPECT_NE(html.find("rank 2 missed heartbeats"), std::string::npos);
}

TEST_F(JobReportTest, RunningJobCountsTimeUntilNow) {
  JobMetrics metrics = MakeSampleMetrics(40, 20);
  Job* job = metrics.mutable_job();
  job->mutable_history()->RemoveLast();  // still running
  job->set_state(JOB_RUNNING);
  ReportOptions options;
  options.now_ms = job->history(job->history_size() - 1).time_ms() + 600'000;
  std::string html = RenderJobReport(metrics, options);
  EXPECT_NE(html.find("running 40 min 00 s"), std::string::npos);
  EXPECT_NE(html.find("Report generated"), std::string::npos);
}

TEST_F(JobReportTest, ReplayedStepsShowTheLaterReport) {
  JobMetrics metrics = MakeSampleMetrics(30, 10);
  // A restart from the checkpoint at step 20 reports steps 21..30 again.
  for (int s = 21; s <= 30; ++s) {
    StepReport* replay = metrics.add_steps();
    *replay = metrics.steps(s - 1);
    replay->set_loss(9.0);
  }
  std::string html = RenderJobReport(metrics);
  ExpectWellFormed(html);
  EXPECT_EQ(SeriesPoints(Chart(html, "Loss"))["total"], 30);
  EXPECT_NE(html.find("step 30, epoch 4: loss 9,"), std::string::npos);
  EXPECT_NE(html.find("30 step reports, steps 1 to 30"), std::string::npos);
}

TEST_F(JobReportTest, ChartsWithoutDataAreLeftOut) {
  JobMetrics metrics = MakeSampleMetrics(50, 25);
  for (StepReport& s : *metrics.mutable_steps()) {
    s.clear_gate_mean();
    s.mutable_stream_loss()->Truncate(1);  // a single-stream model
  }
  std::string html = RenderJobReport(metrics);
  ExpectWellFormed(html);
  EXPECT_EQ(Chart(html, "Gate weights"), "");
  EXPECT_EQ(SeriesPoints(Chart(html, "Loss")),
            (std::map<std::string, long>{{"total", 50}, {"fusion", 50}}));
}

TEST_F(JobReportTest, MillionStepReportIsSmallAndFast) {
  google::protobuf::Arena arena;
  auto* metrics = google::protobuf::Arena::CreateMessage<JobMetrics>(&arena);
  ::camoe::testing::FillSampleMetrics(1'000'000, 100'000, metrics);
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  std::string html = RenderJobReport(*metrics);
  double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("1M-step report: %zu bytes, rendered in %.3f s (%.3f s CPU)\n", html.size(),
              seconds, cpu_seconds);
  EXPECT_LT(html.size(), 1'000'000u);
  // "Well under a second" on one core; the bound leaves room for a loaded machine.
  EXPECT_LT(seconds, 2.0);
  absl::Status status = CheckWellFormedXml(html);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(SeriesPoints(Chart(html, "Recall, text to video"))["R@10"], 10);
}

}  // namespace
}  // namespace camoe::coordinator
