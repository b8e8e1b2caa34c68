// Renders job reports with headless Chromium to PNG files a person can look at
// (label `browser`; skips without /usr/bin/chromium). It checks that the page
// loads offline and paints something, not how it looks.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "common/file_util.h"
#include "coordinator/report/job_report.h"
#include "tests/report_test_util.h"
#include "tests/test_paths.h"

namespace camoe::coordinator {
namespace {

constexpr char kChromium[] = "/usr/bin/chromium";

class ReportBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FileExists(kChromium)) GTEST_SKIP() << "no " << kChromium;
    dir_ = ::camoe::testing::TempDir(
        std::string("report_browser_") +
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  // Writes the page, screenshots it and returns the PNG's path.
  std::string Screenshot(const std::string& name, const std::string& html, int height) {
    std::string page = dir_ + "/" + name + ".html";
    std::string png = dir_ + "/" + name + ".png";
    EXPECT_TRUE(WriteFileAtomically(page, html).ok());
    // A fresh profile folder per run; no network is needed, so none is allowed.
    std::string command = "timeout 120 " + std::string(kChromium) +
                          " --headless --no-sandbox --disable-gpu --hide-scrollbars"
                          " --no-first-run --user-data-dir=" + dir_ + "/profile-" + name +
                          " --proxy-server=127.0.0.1:9 --window-size=1280," +
                          std::to_string(height) + " --screenshot=" + png + " file://" + page +
                          " >" + dir_ + "/" + name + ".log 2>&1";
    EXPECT_EQ(::camoe::testing::RunCommand(command, nullptr), 0) << command;
    std::printf("screenshot: %s\n", png.c_str());
    return png;
  }

  std::string dir_;
};

TEST_F(ReportBrowserTest, FullReportPaintsAPage) {
  std::string png =
      Screenshot("full", RenderJobReport(::camoe::testing::MakeSampleMetrics(20000, 2000)), 3000);
  ASSERT_TRUE(FileExists(png));
  // A blank page compresses to a few KB; charts and tables do not.
  EXPECT_GT(std::filesystem::file_size(png), 50'000u);
}

TEST_F(ReportBrowserTest, EmptyReportPaintsAPage) {
  std::string png = Screenshot("empty", RenderJobReport(JobMetrics()), 900);
  ASSERT_TRUE(FileExists(png));
  EXPECT_GT(std::filesystem::file_size(png), 5'000u);
}

}  // namespace
}  // namespace camoe::coordinator
