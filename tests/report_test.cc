// crossq report end to end: run folders (tests/testdata/runs, written by
// tools/make_report_fixture.py in docs/run-format.md's format) -> summary, tables, figures,
// index.html; bad input -> errors that name the file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "crossq/core/error.h"
#include "crossq/report/report.h"
#include "crossq/report/runs.h"
#include "crossq/report/stats.h"

namespace crossq::report {
namespace {
namespace fs = std::filesystem;

const std::string kRuns = CROSSQ_TESTDATA_DIR "/runs";

fs::path fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("crossq_report_test_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// runs a shell command; returns (exit status, stdout + stderr)
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// a copy of one fixture run in a scratch folder, for breaking it
fs::path copy_run(const std::string& name, const std::string& rel = "walker-walk/sac/seed0") {
  const fs::path dir = fresh_dir(name) / "run";
  fs::copy(kRuns + "/" + rel, dir, fs::copy_options::recursive);
  return dir;
}

// config.json's "sources" (which default layer a value came from) is bookkeeping: runs that
// differ only there are one variant
TEST(ReportRuns, SourcesAreNotAVariantSetting) {
  std::vector<Excluded> excluded;
  std::vector<report::Run> runs = load_runs({kRuns}, false, excluded);
  for (size_t i = 0; i < runs.size(); ++i)
    runs[i].config["sources"] = {{"utd", i % 2 ? "flag" : "algorithm"}};
  std::vector<std::string> names;
  for (const auto& v : group_variants(runs)) names.push_back(v.name);
  EXPECT_EQ(names, (std::vector<std::string>{"crossq-wn utd=1", "crossq-wn utd=2", "sac"}));
}

// a run written before a setting existed lacks its key: it takes the default other runs of
// the algorithm show (from a defaults layer), so it does not split off as "(absent)"; a value
// a user gave is not a default, so a run that lacks the key stays apart from it
TEST(ReportRuns, ARunWrittenBeforeASettingExistedTakesItsDefault) {
  std::vector<Excluded> excluded;
  std::vector<report::Run> runs = load_runs({kRuns}, false, excluded);
  auto variant_names = [](std::vector<report::Run> rs, std::vector<std::string>* notes) {
    std::vector<std::string> names;
    for (const auto& v : group_variants(rs, notes)) names.push_back(v.name);
    return names;
  };
  std::vector<report::Run> mixed = runs;
  int lacking = 0;
  for (size_t i = 0; i < mixed.size(); ++i) {
    if (mixed[i].algo != "sac") continue;
    if (i % 2) {
      mixed[i].config.erase("new_key");
      ++lacking;
    } else {
      mixed[i].config["new_key"] = "old";
      mixed[i].config["sources"]["new_key"] = "algorithm";
    }
  }
  ASSERT_GT(lacking, 0);
  std::vector<std::string> notes;
  EXPECT_EQ(variant_names(mixed, &notes), (std::vector<std::string>{"crossq-wn utd=1", "crossq-wn utd=2", "sac"}));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("new_key=\"old\""), std::string::npos) << notes[0];
  // the same value given by the user: the runs that lack it are another variant
  std::vector<report::Run> given = runs;
  for (size_t i = 0; i < given.size(); ++i)
    if (given[i].algo == "sac" && i % 2 == 0) {
      given[i].config["new_key"] = "old";
      given[i].config["sources"]["new_key"] = "flag";
    }
  const std::vector<std::string> names = variant_names(given, nullptr);
  EXPECT_EQ(names.size(), 4u);
  EXPECT_NE(std::find(names.begin(), names.end(), "sac new_key=(absent)"), names.end());
}

TEST(ReportRuns, ReadsFixtureAndSplitsVariantsOnlyOnSettingsThatDiffer) {
  std::vector<Excluded> excluded;
  std::vector<report::Run> runs = load_runs({kRuns}, false, excluded);
  EXPECT_EQ(runs.size(), 27u);
  EXPECT_TRUE(excluded.empty());
  const auto variants = group_variants(runs);
  std::vector<std::string> names;
  for (const auto& v : variants) names.push_back(v.name);
  // utd differs within a task: a variant key; discount differs only between tasks: not one
  EXPECT_EQ(names, (std::vector<std::string>{"crossq-wn utd=1", "crossq-wn utd=2", "sac"}));
  EXPECT_EQ(variants[0].settings, nlohmann::json({{"utd", 1}}));
  EXPECT_EQ(variants[2].settings, nlohmann::json::object());
  const report::Run& r = runs[0];
  EXPECT_EQ(r.steps.size(), 5u);
  EXPECT_EQ(r.steps.back(), 100000);
  // diagnostics averaged over critic0 and critic1 and empty cells read as NaN
  ASSERT_EQ(r.diagnostics.env_step.size(), 10u);
  EXPECT_GT(r.diagnostics.param_norm[0], 0);
}

// the effective learning rate the report plots is the hidden (scale-invariant) layers': per
// critic the mean of elr_layer<j> without the last (output) layer, then over critics; a file
// without per-layer columns gives critic<c>/elr
TEST(ReportRuns, EffectiveLearningRateIsTheHiddenLayersMean) {
  const fs::path dir = copy_run("elr");
  std::ofstream(dir / "train.csv") << "env_step,critic0/elr,critic0/elr_layer0,critic0/elr_layer1,critic0/elr_layer2,"
                                      "critic1/elr,critic1/elr_layer0,critic1/elr_layer1,critic1/elr_layer2\n"
                                      "1000,3,1,2,6,5,3,4,8\n"
                                      "2000,1,,2,9,1,1,1,1\n";
  std::vector<Excluded> excluded;
  std::vector<report::Run> runs = load_runs({dir.string()}, false, excluded);
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].diagnostics.elr.size(), 2u);
  EXPECT_DOUBLE_EQ(runs[0].diagnostics.elr[0], (1.5 + 3.5) / 2);  // output layers (6, 8) left out
  EXPECT_DOUBLE_EQ(runs[0].diagnostics.elr[1], (2.0 + 1.0) / 2);  // an empty cell is skipped
  std::ofstream(dir / "train.csv") << "env_step,critic0/elr,critic1/elr\n1000,3,5\n";
  runs = load_runs({dir.string()}, false, excluded);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_DOUBLE_EQ(runs[0].diagnostics.elr[0], 4.0);
  fs::remove_all(dir.parent_path());
}

TEST(ReportRuns, IncompleteRunIsLeftOutByNameOrAlignedOnCommonSteps) {
  std::vector<Excluded> excluded;
  std::vector<std::string> notes;
  std::vector<report::Run> runs = load_runs({kRuns}, false, excluded);
  group_variants(runs);
  std::vector<report::Run> dropped = runs;
  align_runs(dropped, Incomplete::kDrop, excluded, notes);
  EXPECT_EQ(dropped.size(), 26u);
  ASSERT_EQ(excluded.size(), 1u);
  EXPECT_NE(excluded[0].path.find("cheetah-run/sac/seed2"), std::string::npos);
  EXPECT_NE(excluded[0].reason.find("incomplete: last evaluation at step 75000"), std::string::npos);

  excluded.clear();
  align_runs(runs, Incomplete::kAlign, excluded, notes);
  EXPECT_EQ(runs.size(), 27u);
  EXPECT_TRUE(excluded.empty());
  EXPECT_EQ(notes.size(), 2u);  // the two complete sac cheetah-run runs are cut to 75k
  for (const report::Run& r : runs) {
    if (r.variant == "sac" && r.task == "cheetah-run") {
      EXPECT_EQ(r.steps.back(), 75000);
    }
  }
}

TEST(ReportRuns, DuplicateSeedIsLeftOutByName) {
  std::vector<Excluded> excluded;
  std::vector<std::string> notes;
  const fs::path dup = copy_run("dup");
  std::vector<report::Run> runs = load_runs({kRuns + "/walker-walk/sac", dup.string()}, false, excluded);
  ASSERT_EQ(runs.size(), 4u);
  group_variants(runs);
  align_runs(runs, Incomplete::kDrop, excluded, notes);
  EXPECT_EQ(runs.size(), 3u);
  ASSERT_EQ(excluded.size(), 1u);
  EXPECT_NE(excluded[0].reason.find("duplicate of seed 0"), std::string::npos);
  fs::remove_all(dup.parent_path());
}

TEST(ReportRuns, MalformedFilesNameTheFileAndLine) {
  const fs::path dir = copy_run("bad");
  {
    std::ofstream f(dir / "eval.csv", std::ios::app);
    f << "125000,0.5,0.1\n";  // line 7: too few cells
  }
  try {
    read_run(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("eval.csv:7: 3 cells, the header has 9"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("--skip-bad"), std::string::npos);
  }
  std::vector<Excluded> excluded;
  EXPECT_THROW(load_runs({dir.string()}, false, excluded), Error);
  // with skip_bad the run is listed, and then no run is left
  try {
    load_runs({dir.string()}, true, excluded);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
  ASSERT_EQ(excluded.size(), 1u);
  EXPECT_NE(excluded[0].reason.find("unreadable"), std::string::npos);

  std::ofstream(dir / "eval.csv") << "env_step,score\n0,0.1\n25000,abc\n";
  try {
    read_run(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("eval.csv:3: column 'score' holds 'abc'"), std::string::npos) << e.what();
  }
  // an env step no run writes: beyond int64 (casting it would be undefined behaviour), or fractional
  for (const std::string step : {"1e30", "-25000", "2500.5"}) {
    std::ofstream(dir / "eval.csv") << "env_step,score\n0,0.1\n" << step << ",0.2\n";
    try {
      read_run(dir);
      FAIL() << "no error for env_step " << step;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("eval.csv:3: env_step"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("is not a whole number of env steps"), std::string::npos) << e.what();
    }
  }
  std::ofstream(dir / "eval.csv") << "env_step,return_mean\n0,0.1\n";
  EXPECT_THROW(read_run(dir), Error);  // no score column
  std::ofstream(dir / "config.json") << R"({"task": "walker-walk", "seed": 0, "suite": "dmc"})";
  try {
    read_run(dir);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json: missing key 'algo'"), std::string::npos) << e.what();
  }
  fs::remove_all(dir.parent_path());
}

// the whole report, rendered once for the tests below
class ReportRender : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    out_ = new fs::path(fresh_dir("render") / "report");
    ReportOptions opt;
    opt.summary.boot.reps = 2000;
    summary_ = new nlohmann::json(write_report({kRuns}, *out_, opt));
  }
  static void TearDownTestSuite() {
    fs::remove_all(out_->parent_path());
    delete out_;
    delete summary_;
  }
  static fs::path* out_;
  static nlohmann::json* summary_;
};
fs::path* ReportRender::out_ = nullptr;
nlohmann::json* ReportRender::summary_ = nullptr;

TEST_F(ReportRender, WritesEveryFileAndFigure) {
  const fs::path& out = *out_;
  for (const char* f : {"summary.json", "summary.md", "index.html", "plot_report.py"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_GT(fs::file_size(out / "summary.json"), 20000u);
  EXPECT_GT(fs::file_size(out / "summary.md"), 1500u);
  std::set<std::string> files;
  for (const auto& f : (*summary_)["figures"]) files.insert(f["file"]);
  // two suites x (curves, tasks, final, profile, utd) + diagnostics
  EXPECT_EQ(files, (std::set<std::string>{"curves-dmc", "curves-myo", "tasks-dmc", "tasks-myo",
                                          "final-dmc", "final-myo", "profile-dmc", "profile-myo",
                                          "utd-dmc", "utd-myo", "diagnostics"}));
  const std::string html = slurp(out / "index.html");
  for (const auto& f : files) {
    const fs::path png = out / "figures" / (f + ".png"), svg = out / "figures" / (f + ".svg");
    ASSERT_TRUE(fs::exists(png)) << png;
    ASSERT_TRUE(fs::exists(svg)) << svg;
    EXPECT_GT(fs::file_size(png), 10000u) << png;  // a drawn figure, not an empty canvas
    EXPECT_GT(fs::file_size(svg), 10000u) << svg;
    EXPECT_EQ(slurp(png).substr(1, 3), "PNG") << png;
    EXPECT_NE(slurp(svg).find("<svg"), std::string::npos) << svg;
    EXPECT_NE(html.find("src=\"figures/" + f + ".png\""), std::string::npos) << f;
    EXPECT_NE(html.find("href=\"figures/" + f + ".svg\""), std::string::npos) << f;
  }
  // the page needs no network: no http(s) references at all
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  // tables and the left-out run appear in the markdown and the page
  const std::string md = slurp(out / "summary.md");
  for (const std::string& s : {std::string("dmc: final normalized scores"), std::string("myo: probability of improvement"),
                               std::string("UTD scaling of crossq-wn"), std::string("cheetah-run/sac/seed2")}) {
    EXPECT_NE(md.find(s), std::string::npos) << s;
    EXPECT_NE(html.find(s), std::string::npos) << s;
  }
}

TEST(ReportFigures, LegendNamesAVariantMissingFromTheFirstTask) {
  // sac ran walker-walk only: the per-task figure's legend (taken from every panel, not the
  // first) must still name it. Matplotlib's SVG marks each legend entry with a comment.
  const fs::path root = fresh_dir("legend");
  fs::create_directories(root / "runs/cheetah-run");
  fs::create_directories(root / "runs/walker-walk");
  fs::copy(kRuns + "/cheetah-run/crossq-wn-utd1", root / "runs/cheetah-run/crossq-wn-utd1",
           fs::copy_options::recursive);
  fs::copy(kRuns + "/walker-walk/crossq-wn-utd1", root / "runs/walker-walk/crossq-wn-utd1",
           fs::copy_options::recursive);
  fs::copy(kRuns + "/walker-walk/sac", root / "runs/walker-walk/sac", fs::copy_options::recursive);
  ReportOptions opt;
  opt.summary.boot.reps = 200;
  const nlohmann::json summary = write_report({root / "runs"}, root / "report", opt);
  std::set<std::string> variants;
  for (const auto& v : summary["suites"][0]["variants"]) variants.insert(v["variant"].get<std::string>());
  ASSERT_EQ(variants.size(), 2u);
  const std::string svg = slurp(root / "report/figures/tasks-dmc.svg");
  for (const std::string& v : variants)
    EXPECT_NE(svg.find("<!-- " + v + " -->"), std::string::npos) << v << " is not in the legend";
  fs::remove_all(root);
}

TEST_F(ReportRender, SummaryNumbersMatchAnIndependentRecomputation) {
  // final IQM of crossq-wn utd=2 on dmc, recomputed from the eval.csv files directly
  TaskScores s;
  for (const char* task : {"cheetah-run", "walker-walk"}) {
    s.emplace_back();
    for (int seed = 0; seed < 3; ++seed) {
      std::ifstream f(kRuns + "/" + task + "/crossq-wn-utd2/seed" + std::to_string(seed) + "/eval.csv");
      std::string line, last;
      while (std::getline(f, line)) last = line;
      std::vector<std::string> cells;
      std::stringstream ls(last);
      for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
      s.back().push_back(std::stod(cells[6]));  // the score column
    }
  }
  const auto& dmc = (*summary_)["suites"][0];
  ASSERT_EQ(dmc["suite"], "dmc");
  const auto& v = dmc["variants"][1];
  ASSERT_EQ(v["variant"], "crossq-wn utd=2");
  EXPECT_DOUBLE_EQ(v["final"]["iqm"]["point"].get<double>(), iqm(s));
  EXPECT_DOUBLE_EQ(v["final"]["median"]["point"].get<double>(), median(s));
  EXPECT_EQ(v["n_runs"], 6);
  // the learning curve has an interval at every evaluation step, and it ends at the final
  EXPECT_EQ(v["curve"]["steps"].size(), 5u);
  EXPECT_DOUBLE_EQ(v["curve"]["iqm"]["point"].back().get<double>(), iqm(s));
  // sac on dmc lost its incomplete run: 5 runs over 2 tasks
  EXPECT_EQ(dmc["variants"][2]["n_runs"], 5);
  EXPECT_EQ(dmc["probability_of_improvement"].size(), 3u);
  EXPECT_EQ((*summary_)["diagnostics"].size(), 3u);
}

TEST_F(ReportRender, EveryFigureRendersInHeadlessChromium) {
  const char* chromium = "/usr/bin/chromium";
  if (access(chromium, X_OK) != 0)
    GTEST_SKIP() << "Debian's chromium is not installed at /usr/bin/chromium; install it "
                    "(scripts/install-deps.sh) to check index.html in a browser";
  const fs::path profile = out_->parent_path() / "chromium-profile";
  auto dump = [&] {
    return run(std::string(chromium) + " --headless --no-sandbox --disable-gpu --user-data-dir=" +
               profile.string() + " --virtual-time-budget=10000 --dump-dom file://" +
               (*out_ / "index.html").string());
  };
  const size_t n = (*summary_)["figures"].size();
  const auto [rc, dom] = dump();
  ASSERT_EQ(rc, 0) << dom;
  EXPECT_NE(dom.find("data-state=\"ok\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("figures rendered: " + std::to_string(n) + "/" + std::to_string(n)), std::string::npos);
  // the marker is not vacuous: a missing figure is caught
  const fs::path png = *out_ / "figures" / "diagnostics.png";
  fs::rename(png, png.string() + ".away");
  const auto [rc2, dom2] = dump();
  fs::rename(png.string() + ".away", png);
  EXPECT_NE(dom2.find("data-state=\"broken\""), std::string::npos);
  EXPECT_NE(dom2.find("figures rendered: " + std::to_string(n - 1) + "/" + std::to_string(n)), std::string::npos);
}

TEST(ReportCli, BadInputExitsWithUsageErrorsNamingThePath) {
  const std::string bin = CROSSQ_BINARY;
  const fs::path tmp = fresh_dir("cli");
  auto [rc, out] = run(bin + " report /nonexistent/runs --out " + (tmp / "r").string());
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_NE(out.find("'/nonexistent/runs' does not exist"), std::string::npos) << out;
  std::tie(rc, out) = run(bin + " report " + kRuns + " --out /nonexistent/parent/r");
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_NE(out.find("/nonexistent/parent"), std::string::npos) << out;
  std::tie(rc, out) = run(bin + " report " + tmp.string() + " --out " + (tmp / "r").string());
  EXPECT_EQ(rc, kExitUsage);
  EXPECT_NE(out.find("no readable run folders"), std::string::npos) << out;
  std::tie(rc, out) = run(bin + " report " + kRuns);
  EXPECT_EQ(rc, kExitUsage);  // --out is required
  std::tie(rc, out) = run(bin + " report " + kRuns + " --out " + (tmp / "r").string() + " --incomplete maybe");
  EXPECT_EQ(rc, kExitUsage);
  // a corrupt CSV: a runtime error naming the file and line
  const fs::path bad = copy_run("cli_bad");
  std::ofstream(bad / "eval.csv", std::ios::app) << "1,2\n";
  std::tie(rc, out) = run(bin + " report " + bad.string() + " --out " + (tmp / "r").string());
  EXPECT_EQ(rc, kExitRuntime);
  EXPECT_NE(out.find("eval.csv:7"), std::string::npos) << out;
  fs::remove_all(tmp);
  fs::remove_all(bad.parent_path());
}

}  // namespace
}  // namespace crossq::report
