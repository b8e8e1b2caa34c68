// Builders and helpers shared by the store tests (tests/store_*_test.cc): jobs,
// step reports and evaluations with recognisable field values, and a proto
// equality check that prints the difference. Stateless; thread-safe.
#ifndef CAMOE_TESTS_STORE_TEST_UTIL_H_
#define CAMOE_TESTS_STORE_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "camoe/service.pb.h"
#include "gtest/gtest.h"

namespace camoe::testing {

// "job-%06d" with the given state and submit time, a spec, a gang, a history
// entry and a last evaluation, so a round trip exercises nested messages.
Job MakeJob(int64_t number, JobState state = JOB_QUEUED, int64_t submit_time_ms = 0,
            const std::string& client_request_id = "");

// A step report whose every field derives from `step` (and `loss_offset`).
StepReport MakeStep(int64_t step, double loss_offset = 0.0);

EvaluationReport MakeEvaluation(int64_t step, bool final);

// Success when the two messages are equal; otherwise the field-level difference.
::testing::AssertionResult SameMessage(const google::protobuf::Message& expected,
                                       const google::protobuf::Message& actual);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_STORE_TEST_UTIL_H_
