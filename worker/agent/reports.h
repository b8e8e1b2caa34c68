// The trainer's progress as the service's messages: StepMetrics -> StepReport,
// EvaluationResult -> EvaluationReport (one RetrievalResult per stream,
// direction and re-ranking variant that was computed).
#ifndef CAMOE_WORKER_AGENT_REPORTS_H_
#define CAMOE_WORKER_AGENT_REPORTS_H_

#include <cstdint>

#include "camoe/service.pb.h"
#include "worker/train/evaluation_result.h"
#include "worker/train/trainer.h"

namespace camoe::agent {

StepReport ToStepReport(const StepMetrics& metrics, int64_t time_ms);
EvaluationReport ToEvaluationReport(int64_t step, const EvaluationResult& result, bool final,
                                    int64_t time_ms);

}  // namespace camoe::agent

#endif  // CAMOE_WORKER_AGENT_REPORTS_H_
