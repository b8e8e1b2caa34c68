#include "tests/report_test_util.h"

#include <cctype>
#include <cmath>
#include <set>

#include "common/file_util.h"
#include "tests/test_paths.h"

namespace camoe::testing {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ':' ||
         c == '.' || static_cast<unsigned char>(c) >= 0x80;
}

absl::Status Error(size_t at, const std::string& what) {
  return absl::InvalidArgumentError("offset " + std::to_string(at) + ": " + what);
}

// Checks the entity at text[i] == '&'; returns its length or 0.
size_t EntityLength(const std::string& text, size_t i) {
  size_t end = text.find(';', i);
  if (end == std::string::npos || end - i > 10) return 0;
  std::string name = text.substr(i + 1, end - i - 1);
  static const std::set<std::string> kNamed = {"amp", "lt", "gt", "quot", "apos"};
  if (kNamed.count(name)) return end - i + 1;
  if (name.size() >= 2 && name[0] == '#') {
    bool hex = name[1] == 'x';
    std::string digits = name.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      if (!(hex ? std::isxdigit(static_cast<unsigned char>(c))
                : std::isdigit(static_cast<unsigned char>(c)))) {
        return 0;
      }
    }
    return end - i + 1;
  }
  return 0;
}

absl::Status CheckText(const std::string& text, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (text[i] == '&') {
      size_t length = EntityLength(text, i);
      if (length == 0) return Error(i, "bad entity");
      i += length - 1;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckWellFormedXml(const std::string& text) {
  std::vector<std::string> open;
  bool seen_root = false;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    size_t lt = text.find('<', i);
    size_t text_end = lt == std::string::npos ? n : lt;
    if (auto status = CheckText(text, i, text_end); !status.ok()) return status;
    if (open.empty()) {
      for (size_t k = i; k < text_end; ++k) {
        if (!std::isspace(static_cast<unsigned char>(text[k]))) {
          return Error(k, "text outside the root element");
        }
      }
    }
    if (lt == std::string::npos) break;
    if (text.compare(lt, 4, "<!--") == 0) {
      size_t end = text.find("-->", lt + 4);
      if (end == std::string::npos) return Error(lt, "unterminated comment");
      i = end + 3;
      continue;
    }
    if (text.compare(lt, 9, "<!DOCTYPE") == 0) {
      if (seen_root || !open.empty()) return Error(lt, "DOCTYPE after the root");
      size_t end = text.find('>', lt);
      if (end == std::string::npos) return Error(lt, "unterminated DOCTYPE");
      i = end + 1;
      continue;
    }
    if (text.compare(lt, 2, "<?") == 0) {
      size_t end = text.find("?>", lt);
      if (end == std::string::npos) return Error(lt, "unterminated processing instruction");
      i = end + 2;
      continue;
    }
    size_t k = lt + 1;
    bool closing = k < n && text[k] == '/';
    if (closing) ++k;
    size_t name_begin = k;
    while (k < n && IsNameChar(text[k])) ++k;
    std::string name = text.substr(name_begin, k - name_begin);
    if (name.empty()) return Error(lt, "'<' that starts no tag");
    if (closing) {
      while (k < n && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      if (k >= n || text[k] != '>') return Error(k, "bad end tag </" + name);
      if (open.empty() || open.back() != name) {
        return Error(lt, "</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) + ">");
      }
      open.pop_back();
      i = k + 1;
      continue;
    }
    if (seen_root && open.empty()) return Error(lt, "second root element <" + name + ">");
    std::set<std::string> attributes;
    bool self_closing = false;
    while (true) {
      size_t space = k;
      while (k < n && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
      if (k >= n) return Error(lt, "unterminated tag <" + name);
      if (text[k] == '>') {
        ++k;
        break;
      }
      if (text[k] == '/') {
        if (k + 1 >= n || text[k + 1] != '>') return Error(k, "'/' inside a tag");
        self_closing = true;
        k += 2;
        break;
      }
      if (space == k) return Error(k, "attributes must be separated by space");
      size_t attr_begin = k;
      while (k < n && IsNameChar(text[k])) ++k;
      std::string attr = text.substr(attr_begin, k - attr_begin);
      if (attr.empty()) return Error(k, "bad attribute in <" + name);
      if (!attributes.insert(attr).second) return Error(k, "duplicate attribute " + attr);
      if (k >= n || text[k] != '=') return Error(k, "attribute " + attr + " without value");
      ++k;
      if (k >= n || (text[k] != '"' && text[k] != '\'')) {
        return Error(k, "unquoted value of " + attr);
      }
      char quote = text[k];
      size_t value_end = text.find(quote, k + 1);
      if (value_end == std::string::npos) return Error(k, "unterminated value of " + attr);
      if (text.find('<', k + 1) < value_end) return Error(k, "'<' in the value of " + attr);
      if (auto status = CheckText(text, k + 1, value_end); !status.ok()) return status;
      k = value_end + 1;
    }
    seen_root = true;
    if (!self_closing) open.push_back(name);
    i = k;
  }
  if (!open.empty()) return Error(n, "<" + open.back() + "> is never closed");
  if (!seen_root) return Error(0, "no root element");
  return absl::OkStatus();
}

bool HaveXmllint() { return RunCommand("xmllint --version >/dev/null 2>&1", nullptr) == 0; }

int RunXmllint(const std::string& flags, const std::string& content, std::string* output) {
  static int counter = 0;
  std::string path = TempDir("xmllint") + "/doc" + std::to_string(counter++) + ".xml";
  if (!WriteFileAtomically(path, content).ok()) return -1;
  return RunCommand("xmllint " + flags + " " + path + " 2>&1", output);
}

std::vector<std::string> ExtractSvgs(const std::string& html) {
  std::vector<std::string> svgs;
  size_t i = 0;
  while ((i = html.find("<svg", i)) != std::string::npos) {
    int depth = 0;
    size_t k = i;
    while (k < html.size()) {
      size_t open = html.find("<svg", k);
      size_t close = html.find("</svg>", k);
      if (close == std::string::npos) return svgs;
      if (open < close) {
        ++depth;
        k = open + 4;
      } else {
        --depth;
        k = close + 6;
        if (depth == 0) break;
      }
    }
    svgs.push_back(html.substr(i, k - i));
    i = k;
  }
  return svgs;
}

std::map<std::string, long> SeriesPoints(const std::string& svg) {
  std::map<std::string, long> points;
  const std::string marker = "<path class=\"series\" data-series=\"";
  size_t i = 0;
  while ((i = svg.find(marker, i)) != std::string::npos) {
    size_t name_begin = i + marker.size();
    size_t name_end = svg.find('"', name_begin);
    std::string name = svg.substr(name_begin, name_end - name_begin);
    size_t count_begin = svg.find("data-points=\"", name_end) + 13;
    long declared = std::stol(svg.substr(count_begin));
    size_t d_begin = svg.find(" d=\"", count_begin) + 4;
    size_t d_end = svg.find('"', d_begin);
    long pairs = 0;
    for (size_t k = d_begin; k < d_end; ++k) pairs += svg[k] == ',';
    points[name] = pairs == declared ? pairs : -1;
    i = d_end;
  }
  return points;
}

std::string ChartTitle(const std::string& svg) {
  size_t begin = svg.find("<title>");
  if (begin == std::string::npos) return "";
  begin += 7;
  return svg.substr(begin, svg.find("</title>", begin) - begin);
}

JobMetrics MakeSampleMetrics(int steps, int eval_every) {
  JobMetrics metrics;
  FillSampleMetrics(steps, eval_every, &metrics);
  return metrics;
}

void FillSampleMetrics(int steps, int eval_every, JobMetrics* out) {
  JobMetrics& metrics = *out;
  Job* job = metrics.mutable_job();
  job->set_id("job-000042");
  job->mutable_spec()->set_name("msrvtt-camoe");
  job->mutable_spec()->mutable_schedule()->set_epochs(5);
  job->mutable_spec()->mutable_distributed()->set_world_size(4);
  job->set_state(JOB_SUCCEEDED);
  job->set_reason("finished");
  job->set_attempt(2);
  for (int r : {4, 5, 6, 7}) job->add_gang(r);
  job->set_step(steps);
  job->set_total_steps(steps);
  job->set_last_checkpoint("/ckpt/job-000042/step-" + std::to_string(steps));
  const int64_t t0 = 1714564800000;  // 2024-05-01 12:00:00 UTC
  job->set_submit_time_ms(t0);
  const auto transition = [&](JobState state, int64_t offset_ms, const std::string& reason) {
    JobTransition* t = job->add_history();
    t->set_state(state);
    t->set_time_ms(t0 + offset_ms);
    t->set_reason(reason);
  };
  transition(JOB_QUEUED, 0, "submitted");
  transition(JOB_SCHEDULED, 5'000, "gang of 4");
  transition(JOB_RUNNING, 9'000, "all ranks started");
  transition(JOB_RESTARTING, 1'809'000, "rank 2 missed heartbeats");
  transition(JOB_SCHEDULED, 1'839'000, "gang of 4");
  transition(JOB_RUNNING, 1'842'000, "all ranks started");
  transition(JOB_SUCCEEDED, 3'642'000, "finished");
  job->set_start_time_ms(t0 + 9'000);
  job->set_end_time_ms(t0 + 3'642'000);
  job->set_update_time_ms(t0 + 3'642'000);

  const double pi = std::acos(-1.0);
  for (int s = 1; s <= steps; ++s) {
    StepReport* r = metrics.add_steps();
    double progress = static_cast<double>(s) / steps;
    r->set_step(s);
    r->set_epoch(static_cast<int64_t>(progress * 5 - 1e-9));
    r->set_total_steps(steps);
    double noise = 0.05 * std::sin(s * 12.9898);
    double loss = 4.0 * std::exp(-3.0 * progress) + 0.3 + noise;
    r->set_loss(loss);
    r->add_stream_loss(loss * 0.4);
    r->add_stream_loss(loss * 0.35);
    r->add_stream_loss(loss * 0.25);
    double warm = std::min(1.0, progress / 0.1);
    double lr_factor = progress < 0.1 ? warm : 0.5 * (1 + std::cos(pi * (progress - 0.1) / 0.9));
    r->set_lr_head(1e-4 * lr_factor);
    r->set_lr_clip(1e-7 * lr_factor);
    r->set_grad_norm(2.0 * std::exp(-progress) + 0.1 * std::fabs(noise));
    r->set_step_seconds(0.5 + 0.1 * std::fabs(noise));
    r->set_clips_per_second(128 / r->step_seconds());
    r->set_data_wait_seconds(0.02);
    r->set_gather_seconds(0.03);
    r->set_sync_seconds(0.06);
    r->set_sync_hidden_fraction(0.7);
    r->add_gate_mean(0.5 - 0.1 * progress);
    r->add_gate_mean(0.3 + 0.05 * progress);
    r->add_gate_mean(0.2 + 0.05 * progress);
    r->set_samples(128);
    r->set_time_ms(t0 + 9'000 + s * 500);
  }
  for (int s = eval_every; s <= steps; s += eval_every) {
    EvaluationReport* e = metrics.add_evaluations();
    bool final = s + eval_every > steps;
    e->set_step(s);
    e->set_final(final);
    e->set_videos(1000);
    e->set_captions(1000);
    e->set_seconds(42.5);
    e->set_time_ms(t0 + 9'000 + s * 500);
    for (double g : {0.41, 0.33, 0.26}) e->add_gate_mean(g);
    double progress = static_cast<double>(s) / steps;
    int stream_index = 0;
    for (const char* stream : {"fusion", "entity", "action"}) {
      for (const char* direction : {"t2v", "v2t"}) {
        for (const char* variant : {"plain", "dsl"}) {
          RetrievalResult* r = e->add_results();
          r->set_stream(stream);
          r->set_direction(direction);
          r->set_variant(variant);
          double base = 44.5 * progress - 4.0 * stream_index +
                        (std::string(direction) == "v2t" ? 1.0 : 0.0) +
                        (std::string(variant) == "dsl" ? 5.0 : 0.0);
          r->set_r1(base);
          r->set_r5(base + 26.0);
          r->set_r10(base + 37.0);
          r->set_mdr(2.0 + stream_index);
          r->set_mnr(14.3 + stream_index);
          r->set_queries(1000);
        }
      }
      ++stream_index;
    }
  }
}

}  // namespace camoe::testing
