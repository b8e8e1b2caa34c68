// Times the job store's metrics path (not a test; docs/store.md reports it):
// AppendSteps in batches, as ReportMetrics delivers them, each batch one
// committed and fsynced transaction; then reading them back whole and in pages
// the way WatchJob replays them. Also times job inserts/updates one by one.
//
//   build-store/tests/store_bench --db=/tmp/bench.db --steps=100000 --batch=50
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "common/cli.h"
#include "coordinator/store/job_store.h"

namespace camoe::coordinator {
namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

StepReport MakeStep(int64_t step) {
  StepReport report;
  report.set_step(step);
  report.set_epoch(step / 1000);
  report.set_total_steps(100000);
  report.set_loss(1.0 / static_cast<double>(step));
  for (int i = 0; i < 3; ++i) report.add_stream_loss(0.1 * i);
  report.set_lr_head(1e-4);
  report.set_lr_clip(1e-7);
  report.set_grad_norm(1.5);
  report.set_clips_per_second(250.0);
  report.set_step_seconds(0.5);
  report.set_data_wait_seconds(0.01);
  report.set_gather_seconds(0.02);
  report.set_sync_seconds(0.03);
  report.set_sync_hidden_fraction(0.9);
  for (int i = 0; i < 3; ++i) report.add_gate_mean(0.33);
  report.set_samples(step * 256);
  report.set_time_ms(1700000000000 + step * 500);
  return report;
}

int Run(int argc, char** argv) {
  std::string db = "/tmp/camoe_store_bench.db";
  int64_t steps = 100000;
  int64_t batch = 50;
  int64_t jobs = 1000;
  int64_t page = 1000;
  FlagSet flags("store_bench [flags]", "Times the coordinator's SQLite store.");
  flags.AddString("db", &db, "database file (deleted first)");
  flags.AddInt("steps", &steps, "step reports to store");
  flags.AddInt("batch", &batch, "step reports per AppendSteps call");
  flags.AddInt("jobs", &jobs, "jobs to insert and update one by one");
  flags.AddInt("page", &page, "page size when reading steps back in pages");
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> positional;
  if (absl::Status status = flags.Parse(args, &positional); !status.ok()) {
    std::cerr << status << "\n" << flags.Help(argv[0]);
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Help(argv[0]);
    return 0;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);

  absl::StatusOr<std::unique_ptr<JobStore>> opened = JobStore::Open(db);
  if (!opened.ok()) {
    std::cerr << opened.status() << "\n";
    return 1;
  }
  JobStore& store = **opened;
  Job job;
  job.set_id("job-000001");
  job.set_state(JOB_RUNNING);
  if (absl::Status s = store.InsertJob(job); !s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }

  auto start = std::chrono::steady_clock::now();
  for (int64_t first = 1; first <= steps; first += batch) {
    std::vector<StepReport> reports;
    for (int64_t s = first; s < first + batch && s <= steps; ++s) reports.push_back(MakeStep(s));
    if (absl::Status s = store.AppendSteps(job.id(), reports); !s.ok()) {
      std::cerr << s << "\n";
      return 1;
    }
  }
  const double insert_s = Seconds(start);
  std::printf("AppendSteps: %lld steps in batches of %lld: %.2f s (%.0f steps/s, %.2f ms/batch)\n",
              static_cast<long long>(steps), static_cast<long long>(batch), insert_s,
              steps / insert_s, 1e3 * insert_s / ((steps + batch - 1) / batch));

  start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<StepReport>> all = store.Steps(job.id(), 0);
  const double read_s = Seconds(start);
  if (!all.ok() || static_cast<int64_t>(all->size()) != steps) {
    std::cerr << "read back " << (all.ok() ? all->size() : 0) << " steps: " << all.status() << "\n";
    return 1;
  }
  std::printf("Steps (all at once): %.3f s (%.0f steps/s)\n", read_s, steps / read_s);

  start = std::chrono::steady_clock::now();
  int64_t after = 0;
  int64_t read = 0;
  while (true) {
    absl::StatusOr<std::vector<StepReport>> chunk = store.Steps(job.id(), after, page);
    if (!chunk.ok()) {
      std::cerr << chunk.status() << "\n";
      return 1;
    }
    if (chunk->empty()) break;
    read += chunk->size();
    after = chunk->back().step();
  }
  const double paged_s = Seconds(start);
  std::printf("Steps (pages of %lld): %lld steps in %.3f s\n", static_cast<long long>(page),
              static_cast<long long>(read), paged_s);

  start = std::chrono::steady_clock::now();
  for (int64_t n = 2; n < jobs + 2; ++n) {
    Job other;
    char id[32];
    std::snprintf(id, sizeof(id), "job-%06lld", static_cast<long long>(n));
    other.set_id(id);
    other.set_state(JOB_QUEUED);
    other.set_submit_time_ms(n);
    if (absl::Status s = store.InsertJob(other); !s.ok()) {
      std::cerr << s << "\n";
      return 1;
    }
    other.set_state(JOB_RUNNING);
    if (absl::Status s = store.UpdateJob(other); !s.ok()) {
      std::cerr << s << "\n";
      return 1;
    }
  }
  const double jobs_s = Seconds(start);
  std::printf("InsertJob+UpdateJob: %lld jobs in %.2f s (%.2f ms per durable write)\n",
              static_cast<long long>(jobs), jobs_s, 1e3 * jobs_s / (2.0 * jobs));
  opened->reset();
  std::printf("file: %.1f MiB\n", std::filesystem::file_size(db) / 1048576.0);
  return 0;
}

}  // namespace
}  // namespace camoe::coordinator

int main(int argc, char** argv) { return camoe::coordinator::Run(argc, argv); }
