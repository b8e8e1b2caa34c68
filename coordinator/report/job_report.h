// The job report of `camoe report`: one self-contained HTML page (inline CSS
// and inline SVG; no script, font or network) with a job's header, its loss,
// learning-rate, throughput, communication, gate and recall curves, the final
// evaluation, the state history and the JobSpec. Rendering reads the metrics
// it is given and owns nothing; it is a pure function and thread-safe.
#ifndef CAMOE_COORDINATOR_REPORT_JOB_REPORT_H_
#define CAMOE_COORDINATOR_REPORT_JOB_REPORT_H_

#include <cstdint>
#include <string>

#include "camoe/service.pb.h"

namespace camoe::coordinator {

struct ReportOptions {
  // "Now" in Unix milliseconds: the end of the current state of a job still
  // running, and the "generated" line. 0: the job's update_time_ms (no clock
  // is read here, so the same metrics always give the same page).
  int64_t now_ms = 0;
  // Size of each chart in SVG units; the page scales them to its width.
  int chart_width = 560;
  int chart_height = 260;
  // Draw at most the minimum and maximum of each pixel column (a 1M-step run
  // stays a few hundred KB); false draws every point.
  bool downsample = true;
};

// The report as a UTF-8 HTML document that is also well-formed XML. Works for
// any metrics, including an empty message or a job that never ran a step;
// every user-provided string (names, reasons, paths, the spec) is escaped.
std::string RenderJobReport(const JobMetrics& metrics, const ReportOptions& options = {});

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_REPORT_JOB_REPORT_H_
