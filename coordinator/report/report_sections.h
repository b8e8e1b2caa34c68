// The non-chart parts of the job report (coordinator/report/job_report.h):
// the header facts, the evaluation and state-history tables and the spec, each
// an HTML fragment with every user-provided string escaped. Internal to
// camoe_report; pure functions, thread-safe.
#ifndef CAMOE_COORDINATOR_REPORT_REPORT_SECTIONS_H_
#define CAMOE_COORDINATOR_REPORT_REPORT_SECTIONS_H_

#include <cstdint>
#include <string>

#include "camoe/service.pb.h"

namespace camoe::coordinator {

// "running", "succeeded", ...; "unknown" for values this build does not know.
std::string StateName(JobState state);

// Time spent in each state, from the transitions: each lasts until the next
// one; the last, when not terminal, until `now_ms` (0: not counted).
struct StateTimes {
  int64_t queued_ms = 0;      // QUEUED and SCHEDULED: waiting for and starting a gang
  int64_t running_ms = 0;
  int64_t restarting_ms = 0;
  int64_t first_running_ms = 0;  // 0: never ran
  int64_t end_ms = 0;            // the terminal transition; 0: not finished
};
StateTimes ComputeStateTimes(const Job& job, int64_t now_ms);

// Title, state badge and a list of facts: name, reason, attempt, gang,
// progress, last step, checkpoint and timing.
std::string RenderHeader(const JobMetrics& metrics, int64_t now_ms);

// The evaluation to tabulate: the last one marked final, else the one with
// the highest step (the later report on a tie), else the job's
// last_evaluation; nullptr when there is none.
const EvaluationReport* PickFinalEvaluation(const JobMetrics& metrics);

// Every stream x direction x variant of `evaluation` with R@1/5/10, MdR, MnR
// and queries, ordered fusion, entity, action; t2v, v2t; plain, dsl, qbnorm.
std::string RenderEvaluationTable(const EvaluationReport& evaluation);

// The transitions with their times, the time since the previous one and the
// reason.
std::string RenderHistoryTable(const Job& job);

// The spec in protobuf text format inside <pre>.
std::string RenderSpec(const JobSpec& spec);

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_REPORT_REPORT_SECTIONS_H_
