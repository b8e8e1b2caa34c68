// The gRPC services over a Coordinator: JobService for users, WorkerService
// for worker processes. Each handler validates its request, calls one
// Coordinator method and maps the Status to a gRPC code (InvalidArgument ->
// INVALID_ARGUMENT naming the field, NotFound -> NOT_FOUND, ...). The
// Coordinator is shared and thread-safe; handlers run on gRPC's threads.
#ifndef CAMOE_COORDINATOR_SERVICE_SERVICES_H_
#define CAMOE_COORDINATOR_SERVICE_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include "camoe/service.grpc.pb.h"
#include "coordinator/core/coordinator.h"

namespace camoe::coordinator {

class JobServiceImpl final : public JobService::Service {
 public:
  explicit JobServiceImpl(Coordinator* coordinator) : coordinator_(coordinator) {}
  grpc::Status SubmitJob(grpc::ServerContext*, const SubmitJobRequest*, SubmitJobResponse*) override;
  grpc::Status GetJob(grpc::ServerContext*, const GetJobRequest*, Job*) override;
  grpc::Status ListJobs(grpc::ServerContext*, const ListJobsRequest*, ListJobsResponse*) override;
  grpc::Status CancelJob(grpc::ServerContext*, const CancelJobRequest*, Job*) override;
  grpc::Status WatchJob(grpc::ServerContext*, const WatchJobRequest*,
                        grpc::ServerWriter<JobUpdate>*) override;
  grpc::Status GetJobMetrics(grpc::ServerContext*, const GetJobMetricsRequest*,
                             JobMetrics*) override;

 private:
  Coordinator* coordinator_;
};

class WorkerServiceImpl final : public WorkerService::Service {
 public:
  explicit WorkerServiceImpl(Coordinator* coordinator) : coordinator_(coordinator) {}
  grpc::Status RegisterWorker(grpc::ServerContext*, const RegisterWorkerRequest*,
                              RegisterWorkerResponse*) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const HeartbeatRequest*, HeartbeatResponse*) override;
  grpc::Status ReportMetrics(grpc::ServerContext*, const ReportMetricsRequest*,
                             ReportMetricsResponse*) override;
  grpc::Status ReportEvent(grpc::ServerContext*, const ReportEventRequest*,
                           ReportEventResponse*) override;

 private:
  Coordinator* coordinator_;
};

}  // namespace camoe::coordinator

#endif  // CAMOE_COORDINATOR_SERVICE_SERVICES_H_
