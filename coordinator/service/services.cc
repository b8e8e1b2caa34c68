#include "coordinator/service/services.h"

#include "absl/strings/str_format.h"
#include "common/grpc_status.h"

namespace camoe::coordinator {
namespace {

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

}  // namespace

grpc::Status JobServiceImpl::SubmitJob(grpc::ServerContext*, const SubmitJobRequest* request,
                                       SubmitJobResponse* response) {
  if (!request->has_spec()) return Invalid("spec: a job needs a JobSpec");
  if (request->client_request_id().size() > 256) {
    return Invalid("client_request_id: at most 256 bytes");
  }
  auto result = coordinator_->SubmitJob(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetJob(grpc::ServerContext*, const GetJobRequest* request, Job* job) {
  if (request->job_id().empty()) return Invalid("job_id: required");
  auto result = coordinator_->GetJob(request->job_id());
  if (!result.ok()) return ToGrpcStatus(result.status());
  *job = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::ListJobs(grpc::ServerContext*, const ListJobsRequest* request,
                                      ListJobsResponse* response) {
  if (request->page_size() < 0 || request->page_size() > 1000) {
    return Invalid(absl::StrFormat("page_size: %d is out of range [0, 1000]", request->page_size()));
  }
  auto result = coordinator_->ListJobs(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::CancelJob(grpc::ServerContext*, const CancelJobRequest* request,
                                       Job* job) {
  if (request->job_id().empty()) return Invalid("job_id: required");
  auto result = coordinator_->CancelJob(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *job = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::WatchJob(grpc::ServerContext* context, const WatchJobRequest* request,
                                      grpc::ServerWriter<JobUpdate>* writer) {
  if (request->job_id().empty()) return Invalid("job_id: required");
  auto job = coordinator_->GetJob(request->job_id());
  if (!job.ok()) return ToGrpcStatus(job.status());
  WatchCursor cursor;
  // after_step < 0: no replay, only what happens from now on.
  cursor.after_step = request->after_step() >= 0 ? request->after_step() : job->step();
  while (!context->IsCancelled()) {
    bool done = false;
    auto updates =
        coordinator_->WaitForUpdates(request->job_id(), &cursor, absl::Seconds(1), &done);
    if (!updates.ok()) return ToGrpcStatus(updates.status());
    for (const JobUpdate& update : *updates) {
      if (!writer->Write(update)) return grpc::Status::OK;  // the client went away
    }
    if (done) return grpc::Status::OK;
  }
  return grpc::Status::OK;
}

grpc::Status JobServiceImpl::GetJobMetrics(grpc::ServerContext*,
                                           const GetJobMetricsRequest* request,
                                           JobMetrics* metrics) {
  if (request->job_id().empty()) return Invalid("job_id: required");
  auto result = coordinator_->GetJobMetrics(request->job_id());
  if (!result.ok()) return ToGrpcStatus(result.status());
  *metrics = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::RegisterWorker(grpc::ServerContext*,
                                               const RegisterWorkerRequest* request,
                                               RegisterWorkerResponse* response) {
  if (!request->has_worker()) return Invalid("worker: required");
  auto result = coordinator_->RegisterWorker(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::Heartbeat(grpc::ServerContext*, const HeartbeatRequest* request,
                                          HeartbeatResponse* response) {
  if (request->worker_id().empty()) return Invalid("worker_id: required");
  auto result = coordinator_->Heartbeat(*request);
  if (!result.ok()) return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status WorkerServiceImpl::ReportMetrics(grpc::ServerContext*,
                                              const ReportMetricsRequest* request,
                                              ReportMetricsResponse*) {
  if (request->worker_id().empty() || request->job_id().empty()) {
    return Invalid("worker_id and job_id: required");
  }
  if (request->steps_size() > 10000) return Invalid("steps: at most 10000 per report");
  return ToGrpcStatus(coordinator_->ReportMetrics(*request));
}

grpc::Status WorkerServiceImpl::ReportEvent(grpc::ServerContext*, const ReportEventRequest* request,
                                            ReportEventResponse*) {
  if (request->worker_id().empty() || request->job_id().empty()) {
    return Invalid("worker_id and job_id: required");
  }
  if (request->type() == EVENT_UNSPECIFIED) return Invalid("type: required");
  return ToGrpcStatus(coordinator_->ReportEvent(*request));
}

}  // namespace camoe::coordinator
