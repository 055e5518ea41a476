// crossq report on hostile run folders: JSON nested 100,000 deep, symbolic-link loops, a FIFO
// or /dev/zero in place of a CSV, endless lines, names that would escape the output folder.
// Each must be left out with its reason (or, without --skip-bad, stop the report with it),
// never crash, block or exhaust memory. Every hostile read runs in a child process with a
// deadline, so a crash or a hang fails the test instead of ending or blocking the test program.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "crossq/core/error.h"
#include "crossq/report/report.h"
#include "crossq/report/runs.h"

namespace crossq::report {
namespace {
namespace fs = std::filesystem;

const std::string kRuns = CROSSQ_TESTDATA_DIR "/runs";

fs::path fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("crossq_hostile_test_" + std::to_string(getpid()) + "_" + name);
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

// a copy of one fixture run at `dir`, for breaking it
void copy_run(const fs::path& dir, const std::string& rel = "walker-walk/sac/seed0") {
  fs::create_directories(dir.parent_path());
  fs::copy(kRuns + "/" + rel, dir, fs::copy_options::recursive);
}

// config.json of the fixture run with `extra` spliced in before the closing brace
std::string config_with(const std::string& extra) {
  std::string c = slurp(kRuns + "/walker-walk/sac/seed0/config.json");
  const size_t close = c.rfind('}');
  return c.substr(0, close) + ", " + extra + "}\n";
}

// config.json of the fixture run with string key `key` set to `value` (JSON-quoted)
std::string config_setting(const std::string& key, const std::string& value) {
  nlohmann::json c = nlohmann::json::parse(slurp(kRuns + "/walker-walk/sac/seed0/config.json"));
  c[key] = value;
  return c.dump(1);
}

// how a child process ended
struct Outcome {
  bool in_time = false;   // ended before the deadline
  int code = -1;          // exit status: 0 returned, 10 crossq::Error, 11 other exception; -1 signal
  std::string text;       // what it returned, or the error's what() and hint
  double seconds = 0;
};

// runs `f` in a child process with a deadline: a crash shows as code -1, a hang as !in_time
// (the child is killed), neither takes the test program with it
Outcome in_child(const std::function<std::string()>& f, double deadline_s = 20) {
  const fs::path out = fs::temp_directory_path() / ("crossq_hostile_child_" + std::to_string(getpid()));
  fs::remove(out);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    std::string text;
    int code = 0;
    try {
      text = f();
    } catch (const Error& e) {
      text = std::string(e.what()) + "\nhint: " + e.hint() + "\nexit: " + std::to_string(e.exit_code());
      code = 10;
    } catch (const std::exception& e) {
      text = e.what();
      code = 11;
    }
    std::ofstream(out, std::ios::binary) << text;
    _exit(code);
  }
  Outcome o;
  int status = 0;
  for (;;) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      o.in_time = true;
      break;
    }
    if (std::chrono::steady_clock::now() - t0 > std::chrono::duration<double>(deadline_s)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o.text = slurp(out);
  fs::remove(out);
  return o;
}

// read_run in a child: the outcome must be a crossq::Error holding `reason`, in time
void expect_refused(const fs::path& dir, const std::string& reason, const ReadLimits& limits = {}) {
  const Outcome o = in_child([&] {
    read_run(dir, limits);
    return std::string("read");
  });
  ASSERT_TRUE(o.in_time) << dir << ": read_run still running after " << o.seconds << " s";
  EXPECT_EQ(o.code, 10) << dir << ": " << o.text;
  EXPECT_NE(o.text.find(reason), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("--skip-bad"), std::string::npos) << o.text;  // the hint says how to go on
  EXPECT_NE(o.text.find("exit: 1"), std::string::npos) << o.text;     // like any unreadable run
}

// load_runs(skip_bad) in a child: "<runs>\n" then "<path>: <reason>\n" per left-out entry
Outcome load_in_child(const std::vector<std::string>& roots, const ReadLimits& limits = {}) {
  return in_child([&] {
    std::vector<Excluded> excluded;
    const std::vector<report::Run> runs = load_runs(roots, true, excluded, limits);
    std::string s = std::to_string(runs.size()) + "\n";
    for (const auto& e : excluded) s += e.path + ": " + e.reason + "\n";
    return s;
  });
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

TEST(ReportHostile, JsonNested100000DeepIsRefusedBeforeParsing) {
  const fs::path root = fresh_dir("deep");
  const fs::path dir = root / "run";
  copy_run(dir);
  // a config.json that is otherwise valid: nlohmann parses it, but copying or dumping the
  // value (group_variants does both) recurses once per level and overflows the stack
  std::ofstream(dir / "config.json") << config_with("\"deep\": " + std::string(100000, '[') + std::string(100000, ']'));
  expect_refused(dir, "config.json: arrays and objects nested more than 64 deep (at byte ");
  // beside good runs: left out with the reason, and the others grouped into variants
  copy_run(root / "good", "walker-walk/sac/seed1");
  const Outcome o = in_child([&] {
    std::vector<Excluded> excluded;
    std::vector<report::Run> runs = load_runs({root.string()}, true, excluded);
    const auto variants = group_variants(runs);
    return std::to_string(runs.size()) + " " + std::to_string(variants.size()) + "\n" +
           excluded.at(0).path + ": " + excluded.at(0).reason;
  });
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_EQ(o.text.substr(0, 4), "1 1\n") << o.text;
  EXPECT_NE(o.text.find("run: unreadable: " + (dir / "config.json").string() + ": arrays and objects nested"), std::string::npos) << o.text;
  // a bare array nested as deep, and objects
  std::ofstream(dir / "config.json") << std::string(100000, '[') << std::string(100000, ']');
  expect_refused(dir, "nested more than 64 deep");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  std::ofstream(dir / "config.json") << objects << "1" << std::string(100000, '}');
  expect_refused(dir, "nested more than 64 deep");
  // the limit is exact: 64 levels read (the object itself is one), 65 do not
  ReadLimits lim;
  std::ofstream(dir / "config.json") << config_with("\"deep\": " + std::string(63, '[') + std::string(63, ']'));
  EXPECT_NO_THROW(read_run(dir, lim));
  std::ofstream(dir / "config.json") << config_with("\"deep\": " + std::string(64, '[') + std::string(64, ']'));
  expect_refused(dir, "nested more than 64 deep");
  // brackets inside strings, escaped quotes included, are text, not nesting
  std::ofstream(dir / "config.json") << config_with("\"note\": \"\\\"" + std::string(1000, '[') + "\"");
  EXPECT_NO_THROW(read_run(dir, lim));
  // config.json over 1 MiB, even if shallow
  std::ofstream(dir / "config.json") << config_with("\"pad\": \"" + std::string(size_t{1} << 20, 'x') + "\"");
  expect_refused(dir, "bytes, over the 1 MiB limit for config.json");
  fs::remove_all(root);
}

TEST(ReportHostile, SymlinkLoopsDoNotStopTheReport) {
  const fs::path root = fresh_dir("loop");
  const fs::path runs = root / "runs";
  for (int s = 0; s < 3; ++s) copy_run(runs / "sac" / ("seed" + std::to_string(s)), "walker-walk/sac/seed" + std::to_string(s));
  fs::create_directory_symlink("b", runs / "a");  // a -> b -> a
  fs::create_directory_symlink("a", runs / "b");
  fs::create_directory_symlink("self", runs / "self");
  fs::create_directory_symlink("..", runs / "sac" / "up");  // a loop through a real folder
  fs::create_directory_symlink(runs / "sac" / "seed0", runs / "linked-run");
  // a run whose config.json is a link loop: a run folder that cannot be read
  fs::create_directories(runs / "loopy");
  fs::create_symlink("config.json", runs / "loopy" / "config.json");
  std::ofstream(runs / "loopy" / "eval.csv") << "env_step,score\n0,0\n";
  Outcome o = load_in_child({runs.string()});
  ASSERT_TRUE(o.in_time) << o.seconds << " s";
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_EQ(o.text.substr(0, 2), "3\n") << o.text;  // the three good runs, each once
  EXPECT_NE(o.text.find("loopy: unreadable: cannot open " + (runs / "loopy" / "config.json").string() +
                        ": Too many levels of symbolic links"),
            std::string::npos) << o.text;
  EXPECT_NE(o.text.find("linked-run: a symbolic link to a run folder: links are not followed"),
            std::string::npos) << o.text;
  // without --skip-bad the loop stops the report, naming the file and how to go on
  o = in_child([&] {
    std::vector<Excluded> excluded;
    load_runs({runs.string()}, false, excluded);
    return std::string("read");
  });
  ASSERT_TRUE(o.in_time);
  EXPECT_EQ(o.code, 10) << o.text;
  EXPECT_NE(o.text.find("loopy/config.json: Too many levels of symbolic links"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("--skip-bad"), std::string::npos) << o.text;
  // a run path that is itself a link loop, or not a folder: a usage error naming it
  o = load_in_child({(runs / "a").string()});
  EXPECT_EQ(o.code, 10);
  EXPECT_NE(o.text.find("cannot read run path '" + (runs / "a").string() + "': Too many levels"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("exit: 2"), std::string::npos) << o.text;
  o = load_in_child({(runs / "sac" / "seed0" / "eval.csv").string()});
  EXPECT_NE(o.text.find("eval.csv' is a regular file, not a folder"), std::string::npos) << o.text;
  fs::remove_all(root);
}

TEST(ReportHostile, FifoDeviceOrFolderInPlaceOfACsvIsLeftOutAtOnce) {
  const fs::path root = fresh_dir("fifo");
  const fs::path dir = root / "run";
  copy_run(dir);
  fs::remove(dir / "eval.csv");
  ASSERT_EQ(mkfifo((dir / "eval.csv").c_str(), 0600), 0);
  // nothing ever writes the FIFO: opening or reading it would block forever
  const Outcome o = in_child([&] {
    read_run(dir);
    return std::string("read");
  });
  ASSERT_TRUE(o.in_time) << "read_run blocked on a FIFO for " << o.seconds << " s";
  EXPECT_LT(o.seconds, 1.0);
  EXPECT_EQ(o.code, 10);
  EXPECT_NE(o.text.find("eval.csv is a FIFO (named pipe), not a regular file"), std::string::npos) << o.text;
  // a symbolic link to a FIFO, a device, a folder; a link to a regular file is followed
  fs::remove(dir / "eval.csv");
  fs::create_symlink(root / "fifo", dir / "eval.csv");
  ASSERT_EQ(mkfifo((root / "fifo").c_str(), 0600), 0);
  expect_refused(dir, "eval.csv is a FIFO (named pipe), not a regular file");
  fs::remove(dir / "eval.csv");
  fs::create_symlink("/dev/zero", dir / "eval.csv");
  expect_refused(dir, "eval.csv is a character device, not a regular file");
  fs::remove(dir / "eval.csv");
  fs::create_directory_symlink(root, dir / "eval.csv");
  expect_refused(dir, "eval.csv is a folder, not a regular file");
  fs::remove(dir / "eval.csv");
  fs::create_symlink(kRuns + "/walker-walk/sac/seed0/eval.csv", dir / "eval.csv");
  EXPECT_EQ(read_run(dir).steps.size(), 5u);
  // train.csv and config.json are held to the same
  fs::remove(dir / "train.csv");
  fs::create_symlink("/dev/zero", dir / "train.csv");
  expect_refused(dir, "train.csv is a character device, not a regular file");
  fs::remove(dir / "train.csv");
  fs::remove(dir / "config.json");
  ASSERT_EQ(mkfifo((dir / "config.json").c_str(), 0600), 0);
  expect_refused(dir, "config.json is a FIFO (named pipe), not a regular file");
  fs::remove_all(root);
}

TEST(ReportHostile, LongLinesAndLargeFilesAreLeftOutNamingTheLimit) {
  const fs::path root = fresh_dir("long");
  const fs::path dir = root / "run";
  copy_run(dir);
  // a 70 KB line
  std::ofstream(dir / "eval.csv", std::ios::app) << std::string(70000, '1') << "\n";
  expect_refused(dir, "eval.csv:7: line longer than 64 KiB, the limit for a line of eval.csv");
  // a 2 MB file that is one line, no newline: cut off at the line limit, not read whole
  std::ofstream(dir / "eval.csv") << std::string(2'000'000, '7');
  expect_refused(dir, "eval.csv:1: line longer than 64 KiB");
  // ... and with a lower file limit, refused by its size before reading
  ReadLimits lim;
  lim.csv_bytes = 1 << 20;
  expect_refused(dir, "eval.csv is 2000000 bytes, over the 1 MiB limit for eval.csv", lim);
  // a file whose size says nothing (procfs reports 0): the bytes read are counted
  fs::remove(dir / "eval.csv");
  fs::create_symlink("/proc/self/maps", dir / "eval.csv");
  lim.csv_bytes = 1024;
  expect_refused(dir, "eval.csv holds more than 1 KiB, the limit for eval.csv", lim);
  // too many rows
  fs::remove(dir / "eval.csv");
  fs::copy_file(kRuns + "/walker-walk/sac/seed0/eval.csv", dir / "eval.csv");
  lim = {};
  lim.eval_rows = 3;
  expect_refused(dir, "eval.csv:5: more than 3 rows, the limit for eval.csv", lim);
  lim = {};
  lim.train_rows = 4;
  expect_refused(dir, "train.csv:6: more than 4 rows, the limit for train.csv", lim);
  // a long line in train.csv too, with the limit lowered
  lim = {};
  lim.csv_line_bytes = 100;
  expect_refused(dir, "train.csv:1: line longer than 100 bytes", lim);
  // the text quoted in an error is escaped and cut short
  std::ofstream(dir / "eval.csv") << "env_step,score\n0,\x1b[31m" << std::string(5000, 'z') << "\n";
  const Outcome o = in_child([&] {
    read_run(dir);
    return std::string();
  });
  EXPECT_NE(o.text.find("column 'score' holds '\\x1b[31mzzz"), std::string::npos) << o.text.substr(0, 300);
  EXPECT_LT(o.text.size(), 600u);
  fs::remove_all(root);
}

TEST(ReportHostile, UnsafeNamesAreLeftOutAndNoFileIsWrittenOutsideTheReport) {
  const fs::path root = fresh_dir("names");
  const fs::path runs = root / "a" / "b" / "runs";
  for (int s = 0; s < 3; ++s) copy_run(runs / "good" / ("seed" + std::to_string(s)), "walker-walk/sac/seed" + std::to_string(s));
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"suite", "../../x"}, {"suite", "/tmp/x"}, {"suite", ".."}, {"suite", ""}, {"task", "a/b"},
      {"algo", "sac\nx"}, {"suite", std::string(129, 's')}, {"task", "walker walk"}};
  for (size_t i = 0; i < bad.size(); ++i) {
    const fs::path dir = runs / "bad" / std::to_string(i);
    copy_run(dir);
    std::ofstream(dir / "config.json") << config_setting(bad[i].first, bad[i].second);
    expect_refused(dir, "config.json: " + bad[i].first + " '");
  }
  expect_refused(runs / "bad" / "0", "config.json: suite '../../x' is not a safe name");
  EXPECT_TRUE(safe_name("crossq-wn"));
  EXPECT_TRUE(safe_name("A.b_c=d+e-1"));
  EXPECT_TRUE(safe_name(std::string(128, 'x')));
  for (const std::string s : {"", ".", "..", "a/b", "a\\b", "a b", "a:b", "$x", "é"})
    EXPECT_FALSE(safe_name(s)) << s;

  // the whole report: every bad run left out by name, no file anywhere but in the report
  const fs::path out = root / "a" / "b" / "report";
  const Outcome o = in_child([&] {
    ReportOptions opt;
    opt.skip_bad = true;
    opt.summary.boot.reps = 100;
    const nlohmann::json s = write_report({runs.string()}, out, opt);
    return s["excluded"].dump() + "\nruns " + std::to_string(s["runs"].size());
  }, 120);
  ASSERT_TRUE(o.in_time);
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("runs 3"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("suite '../../x' is not a safe name"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("algo 'sac\\\\x0ax' is not a safe name"), std::string::npos) << o.text;
  std::set<std::string> outside;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().string().rfind(runs.string(), 0) != 0 && e.path().string().rfind(out.string(), 0) != 0)
      outside.insert(e.path().string());
  EXPECT_EQ(outside, (std::set<std::string>{(root / "a").string(), (root / "a" / "b").string()}));
  EXPECT_FALSE(fs::exists(root / "a" / "x")) << "a figure escaped the report folder";
  EXPECT_FALSE(fs::exists("/tmp/x.png"));
  // a summary naming such a suite, however it was made, gets no figure file
  nlohmann::json s = nlohmann::json::parse(slurp(out / "summary.json"));
  s["suites"][0]["suite"] = "../../x";
  EXPECT_THROW(figure_plan(s), Error);
  fs::remove_all(root);
}

TEST(ReportHostile, UnprintablePathsAndValuesCannotBreakTheSummary) {
  const fs::path root = fresh_dir("bytes");
  const fs::path runs = root / "runs";
  for (int s = 0; s < 3; ++s) copy_run(runs / "sac" / ("seed" + std::to_string(s)), "walker-walk/sac/seed" + std::to_string(s));
  // a folder name that is not UTF-8 (summary.json must be) and one with an escape sequence
  copy_run(runs / "bad\xff" / "seed9");
  copy_run(runs / "esc\x1b]0;title\x07" / "seed9");
  // config.json bytes that are not UTF-8: the parser's message quotes them
  copy_run(runs / "latin1");
  std::ofstream(runs / "latin1" / "config.json") << "{\"task\": \"walker-walk\", \"x\": \xe9t\xe9}";
  Outcome o = load_in_child({runs.string()});
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_EQ(o.text.substr(0, 2), "3\n") << o.text;
  EXPECT_NE(o.text.find("bad\\xff/seed9: unreadable: run folder"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("esc\\x1b]0;title\\x07/seed9: unreadable"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("latin1: unreadable: "), std::string::npos) << o.text;
  EXPECT_EQ(o.text.find('\x1b'), std::string::npos);
  EXPECT_EQ(o.text.find('\xff'), std::string::npos);
  // every reason above goes into summary.json, whose dump() throws on bytes that are not UTF-8
  o = in_child([&] {
    ReportOptions opt;
    opt.skip_bad = true;
    opt.summary.boot.reps = 100;
    return write_report({runs.string()}, root / "report", opt).dump();
  }, 120);
  ASSERT_TRUE(o.in_time);
  EXPECT_EQ(o.code, 0) << o.text;
  fs::remove_all(root);
}

TEST(ReportHostile, SettingValuesCannotBreakTheFiguresOrTheVariantNames) {
  // a variant name is made from config.json values: one that reads as mathtext ($...$ that is
  // not valid TeX) made matplotlib fail, and a 100 KB value made a 100 KB legend entry
  const fs::path root = fresh_dir("values");
  const fs::path runs = root / "runs";
  const std::vector<std::string> values = {"$\\frac{$", std::string(100000, 'v'), std::string(99999, 'v') + "w"};
  for (int s = 0; s < 3; ++s) {
    const fs::path dir = runs / ("seed" + std::to_string(s));
    copy_run(dir, "walker-walk/sac/seed" + std::to_string(s));
    std::ofstream(dir / "config.json") << config_setting("utd", values[s]);
  }
  std::vector<Excluded> excluded;
  std::vector<report::Run> loaded = load_runs({runs.string()}, false, excluded);
  std::set<std::string> names;
  for (const auto& v : group_variants(loaded)) {
    names.insert(v.name);
    EXPECT_LT(v.name.size(), 100u) << v.name.substr(0, 200);
  }
  EXPECT_EQ(names.size(), 3u);  // the two long values, cut short, still name two variants
  EXPECT_TRUE(names.count("sac utd=$\\frac{$")) << *names.begin();
  const fs::path out = root / "report";
  const auto [rc, text] = run("timeout 120 " CROSSQ_BINARY " report " + runs.string() + " --out " +
                              out.string() + " --reps 100");
  EXPECT_EQ(rc, 0) << text;
  EXPECT_TRUE(fs::exists(out / "figures" / "final-dmc.png")) << text;
  EXPECT_TRUE(fs::exists(out / "index.html")) << text;
  fs::remove_all(root);
}

// every case above in one runs folder, through the binary under `timeout`
TEST(ReportHostile, CliFinishesWithTheGoodRunsAndNamesEveryBadOne) {
  const fs::path root = fresh_dir("cli");
  const fs::path runs = root / "runs";
  for (int s = 0; s < 3; ++s) copy_run(runs / "good" / ("seed" + std::to_string(s)), "walker-walk/sac/seed" + std::to_string(s));
  copy_run(runs / "deep");
  std::ofstream(runs / "deep" / "config.json") << config_with("\"deep\": " + std::string(100000, '[') + std::string(100000, ']'));
  copy_run(runs / "fifo");
  fs::remove(runs / "fifo" / "eval.csv");
  ASSERT_EQ(mkfifo((runs / "fifo" / "eval.csv").c_str(), 0600), 0);
  copy_run(runs / "zero");
  fs::remove(runs / "zero" / "eval.csv");
  fs::create_symlink("/dev/zero", runs / "zero" / "eval.csv");
  copy_run(runs / "long");
  std::ofstream(runs / "long" / "eval.csv", std::ios::app) << std::string(70000, '1') << "\n";
  copy_run(runs / "escape");
  std::ofstream(runs / "escape" / "config.json") << config_setting("suite", "../../x");
  copy_run(runs / "pipe|name");
  std::ofstream(runs / "pipe|name" / "eval.csv") << "env_step,score\n0,abc\n";
  fs::create_directory_symlink("loop2", runs / "loop1");
  fs::create_directory_symlink("loop1", runs / "loop2");
  const fs::path out = root / "report";
  const std::string cmd = "timeout 120 " CROSSQ_BINARY " report " + runs.string() + " --out " + out.string() + " --reps 200";
  auto [rc, text] = run(cmd + " --skip-bad");
  ASSERT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("report: 3 runs"), std::string::npos) << text;
  for (const std::string& reason : {"deep: unreadable: " + (runs / "deep").string() + "/config.json: arrays and objects nested more than 64 deep",
                                   "fifo: unreadable: " + (runs / "fifo").string() + "/eval.csv is a FIFO (named pipe), not a regular file",
                                   "zero: unreadable: " + (runs / "zero").string() + "/eval.csv is a character device, not a regular file",
                                   "long: unreadable: " + (runs / "long").string() + "/eval.csv:7: line longer than 64 KiB",
                                   "escape: unreadable: " + (runs / "escape").string() + "/config.json: suite '../../x' is not a safe name"})
    EXPECT_NE(text.find("crossq: left out " + (runs / "").string() + reason), std::string::npos) << reason << "\n" << text;
  // a '|' in a path does not split the markdown table's cells
  EXPECT_NE(slurp(out / "summary.md").find("pipe\\|name"), std::string::npos);
  EXPECT_FALSE(fs::exists(root / "x-dmc.png"));
  // without --skip-bad the first bad run stops the report: exit 1, the file named, no crash
  std::tie(rc, text) = run(cmd);
  EXPECT_EQ(rc, kExitRuntime) << text;
  EXPECT_NE(text.find("deep/config.json: arrays and objects nested more than 64 deep"), std::string::npos) << text;
  EXPECT_NE(text.find("--skip-bad"), std::string::npos) << text;
  fs::remove_all(root);
}

}  // namespace
}  // namespace crossq::report
