#include "worker/agent/worker_client.h"

#include "common/grpc_status.h"

namespace camoe::agent {

WorkerClient::WorkerClient(const WorkerClientOptions& options) : options_(options) {
  auto credentials = options.credentials ? options.credentials : grpc::InsecureChannelCredentials();
  // Reconnect quickly after a coordinator restart (gRPC's default backoff
  // grows to two minutes).
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  stub_ = WorkerService::NewStub(grpc::CreateCustomChannel(options.address, credentials, args));
}

void WorkerClient::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_timeout));
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
}

absl::StatusOr<RegisterWorkerResponse> WorkerClient::Register(const RegisterWorkerRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  RegisterWorkerResponse response;
  grpc::Status status = stub_->RegisterWorker(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status, "RegisterWorker");
  return response;
}

absl::StatusOr<HeartbeatResponse> WorkerClient::Heartbeat(const HeartbeatRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  HeartbeatResponse response;
  grpc::Status status = stub_->Heartbeat(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status, "Heartbeat");
  return response;
}

absl::Status WorkerClient::ReportMetrics(const ReportMetricsRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  ReportMetricsResponse response;
  return FromGrpcStatus(stub_->ReportMetrics(&context, request, &response), "ReportMetrics");
}

absl::Status WorkerClient::ReportEvent(const ReportEventRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  ReportEventResponse response;
  return FromGrpcStatus(stub_->ReportEvent(&context, request, &response), "ReportEvent");
}

}  // namespace camoe::agent
