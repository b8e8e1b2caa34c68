#include "coordinator/service/coordinator_main.h"

#include <glog/logging.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "absl/strings/str_format.h"
#include "common/cli.h"
#include "common/signals.h"
#include "coordinator/core/coordinator.h"
#include "coordinator/metrics/metrics_exporter.h"
#include "coordinator/service/server.h"
#include "coordinator/store/job_store.h"

namespace camoe::coordinator {
namespace {

struct Flags {
  std::string listen = "127.0.0.1:50051";
  std::string db = "camoe-coordinator.db";
  std::string metrics_listen = "127.0.0.1:9464";
  std::string data_root;
  std::string checkpoint_root;
  std::string address_file;
  int64_t heartbeat_interval_ms = 2000;
  int64_t heartbeat_timeout_ms = 30000;
  int64_t max_world_size = 1024;
  int64_t max_message_mb = 16;
};

std::string Absolute(const std::string& path) {
  if (path.empty()) return path;
  std::error_code ec;
  auto absolute = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
  return ec ? path : absolute.string();
}

int Usage(const std::string& message) {
  std::cerr << "camoe-coordinator: " << message << " (see --help)\n";
  return 2;
}

}  // namespace

int CoordinatorMain(const std::vector<std::string>& args) {
  Flags f;
  FlagSet flags("[flags]",
                "The camoe coordinator: takes training jobs over gRPC (JobService), schedules\n"
                "them onto worker pools (WorkerService; start pools with mpirun -np N\n"
                "camoe-worker --coordinator=ADDRESS), keeps jobs and metrics in SQLite, and\n"
                "serves Prometheus metrics. Restarting it with the same --db resumes where\n"
                "it stopped.");
  flags.AddString("listen", &f.listen, "gRPC address HOST:PORT (port 0: any free port)");
  flags.AddString("db", &f.db, "SQLite database file of jobs, metrics and workers");
  flags.AddString("metrics_listen", &f.metrics_listen,
                  "HOST:PORT for Prometheus /metrics; empty: no exporter");
  flags.AddString("data_root", &f.data_root,
                  "jobs may only read data under this folder (relative spec paths are taken "
                  "from here); empty: anywhere");
  flags.AddString("checkpoint_root", &f.checkpoint_root,
                  "jobs may only write checkpoints under this folder; a job without "
                  "checkpoint.dir gets ROOT/<job id>; empty: anywhere");
  flags.AddString("address_file", &f.address_file,
                  "write the bound gRPC and metrics addresses here once serving (for scripts)");
  flags.AddInt("heartbeat_interval_ms", &f.heartbeat_interval_ms, "what workers are told to use");
  flags.AddInt("heartbeat_timeout_ms", &f.heartbeat_timeout_ms,
               "a worker silent this long is dead and its job fails");
  flags.AddInt("max_world_size", &f.max_world_size, "the biggest gang a job may ask for");
  flags.AddInt("max_message_mb", &f.max_message_mb, "largest gRPC request accepted, MiB");
  std::vector<std::string> rest;
  absl::Status parsed = flags.Parse(args, &rest);
  if (flags.help_requested()) {
    std::cout << flags.Help("camoe-coordinator");
    return 0;
  }
  if (!parsed.ok()) return Usage(std::string(parsed.message()));
  if (!rest.empty()) return Usage("unexpected argument '" + rest[0] + "'");
  if (f.heartbeat_interval_ms < 10 || f.heartbeat_timeout_ms < 2 * f.heartbeat_interval_ms) {
    return Usage("need heartbeat_interval_ms >= 10 and heartbeat_timeout_ms >= 2 x the interval");
  }
  if (f.max_message_mb < 1 || f.max_message_mb > 1024) return Usage("max_message_mb: 1..1024");

  ShutdownSignals signals;
  auto store = JobStore::Open(f.db);
  if (!store.ok()) {
    std::cerr << "camoe-coordinator: " << store.status().message() << "\n";
    return 1;
  }
  std::unique_ptr<MetricsExporter> exporter;
  if (!f.metrics_listen.empty()) {
    MetricsExporterOptions metrics_options;
    metrics_options.bind_address = f.metrics_listen;
    auto started = MetricsExporter::Start(metrics_options);
    if (!started.ok()) {
      std::cerr << "camoe-coordinator: metrics: " << started.status().message() << "\n";
      return 1;
    }
    exporter = std::move(*started);
  }
  CoordinatorOptions options;
  options.scheduler.heartbeat_interval_ms = f.heartbeat_interval_ms;
  options.scheduler.heartbeat_timeout_ms = f.heartbeat_timeout_ms;
  options.validation.data_root = Absolute(f.data_root);
  options.validation.checkpoint_root = Absolute(f.checkpoint_root);
  options.validation.max_world_size = static_cast<int>(f.max_world_size);
  if (f.data_root.empty()) {
    LOG(WARNING) << "no --data_root: jobs may read any file this process can";
  }
  RealClock clock;
  auto coordinator = Coordinator::Create(options, store->get(), exporter.get(), &clock);
  if (!coordinator.ok()) {
    std::cerr << "camoe-coordinator: " << coordinator.status().message() << "\n";
    return 1;
  }
  ServerOptions server_options;
  server_options.listen = f.listen;
  server_options.max_message_bytes = static_cast<int>(f.max_message_mb << 20);
  auto server = CoordinatorServer::Start(coordinator->get(), server_options);
  if (!server.ok()) {
    std::cerr << "camoe-coordinator: " << server.status().message() << "\n";
    return 1;
  }
  (*coordinator)->StartBackgroundTicks();
  const std::string metrics_address = exporter ? exporter->address() : "";
  LOG(INFO) << "camoe-coordinator serving on " << (*server)->address() << ", store " << f.db
            << (exporter ? ", metrics on http://" + metrics_address + "/metrics" : "");
  if (!f.address_file.empty()) {
    const std::string tmp = f.address_file + ".tmp";
    std::ofstream out(tmp);
    out << "grpc=" << (*server)->address() << "\nmetrics=" << metrics_address << "\n";
    out.close();
    std::filesystem::rename(tmp, f.address_file);
  }

  std::mutex mu;
  std::condition_variable cv;
  int stop_signal = 0;
  signals.Watch([&](int signal) {
    std::lock_guard<std::mutex> lock(mu);
    stop_signal = signal;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return stop_signal != 0; });
  }
  LOG(INFO) << "signal " << stop_signal << ": stopping (jobs keep running on the workers; a "
            << "restarted coordinator picks them up)";
  (*coordinator)->Shutdown();  // ends WatchJob streams
  LOG(INFO) << "scheduling stopped; watchers released";
  (*server)->Shutdown();
  LOG(INFO) << "gRPC server stopped";
  coordinator->reset();
  exporter.reset();
  LOG(INFO) << "metrics exporter stopped";
  store->reset();
  LOG(INFO) << "camoe-coordinator stopped";
  return 0;
}

}  // namespace camoe::coordinator
