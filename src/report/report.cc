// The report's files: summary.json, summary.md, figures/ (drawn by the embedded matplotlib
// script, tools/plot_report.py) and index.html.
#include "crossq/report/report.h"

#include <fstream>
#include <sstream>

#include <fmt/core.h>

#include "crossq/core/error.h"
#include "crossq/core/process.h"
#include "crossq/report/plot_script.h"


namespace crossq::report {
namespace fs = std::filesystem;
using json = nlohmann::json;
namespace {

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error(fmt::format("cannot write {}", path.string()), "check the --out folder is writable and the disk has space");
}

std::string fmt_interval(const json& i) {
  return fmt::format("{:.3f} [{:.3f}, {:.3f}]", i["point"].get<double>(), i["lo"].get<double>(),
                     i["hi"].get<double>());
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// a table as header + rows of cells, rendered as markdown or HTML
struct Table {
  std::string title;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

// a table cell in markdown: a '|' or a line break in a name or path would end the cell or row
std::string md_cell(const std::string& c) {
  std::string out;
  for (char ch : c) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n' || ch == '\r') out += ' ';
    else out += ch;
  }
  return out;
}

std::string markdown(const Table& t) {
  std::string s = "### " + md_cell(t.title) + "\n\n|";
  for (const auto& h : t.header) s += " " + md_cell(h) + " |";
  s += "\n|";
  for (size_t i = 0; i < t.header.size(); ++i) s += i == 0 ? "---|" : "---:|";
  s += "\n";
  for (const auto& r : t.rows) {
    s += "|";
    for (const auto& c : r) s += " " + md_cell(c) + " |";
    s += "\n";
  }
  return s + "\n";
}

std::string html(const Table& t) {
  std::string s = "<h3>" + html_escape(t.title) + "</h3>\n<table>\n<tr>";
  for (const auto& h : t.header) s += "<th>" + html_escape(h) + "</th>";
  s += "</tr>\n";
  for (const auto& r : t.rows) {
    s += "<tr>";
    for (const auto& c : r) s += "<td>" + html_escape(c) + "</td>";
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

// per suite: final aggregates, per-task final scores, probability of improvement
std::vector<Table> suite_tables(const json& su, int ci) {
  std::vector<Table> out;
  const std::string suite = su["suite"];
  Table agg{fmt::format("{}: final normalized scores, point [{}% CI]", suite, ci),
            {"variant", "IQM", "median", "mean", "optimality gap", "tasks", "runs"},
            {}};
  for (const auto& v : su["variants"])
    agg.rows.push_back({v["variant"], fmt_interval(v["final"]["iqm"]),
                        fmt_interval(v["final"]["median"]), fmt_interval(v["final"]["mean"]),
                        fmt_interval(v["final"]["optimality_gap"]),
                        std::to_string(v["tasks"].size()), std::to_string(v["n_runs"].get<int>())});
  out.push_back(agg);
  Table per{fmt::format("{}: final score per task, mean ± std over seeds (runs, last step)", suite),
            {"task"}, {}};
  for (const auto& v : su["variants"]) per.header.push_back(v["variant"]);
  for (const auto& task : su["tasks"]) {
    std::vector<std::string> row = {task};
    for (const auto& v : su["variants"]) {
      std::string cell = "-";
      for (const auto& pt : v["per_task"])
        if (pt["task"] == task)
          cell = fmt::format("{:.3f} ± {:.3f} ({}, {})", pt["final_mean"].get<double>(),
                             pt["final_std"].get<double>(), pt["n_runs"].get<int>(),
                             pt["final_step"].get<int64_t>());
      row.push_back(cell);
    }
    per.rows.push_back(row);
  }
  out.push_back(per);
  if (!su["probability_of_improvement"].empty()) {
    Table poi{fmt::format("{}: probability of improvement P(X > Y), point [{}% CI]", suite, ci),
              {"X", "Y", "P(X > Y)", "tasks"}, {}};
    for (const auto& p : su["probability_of_improvement"])
      poi.rows.push_back({p["x"], p["y"], fmt_interval(p), std::to_string(p["n_tasks"].get<int>())});
    out.push_back(poi);
  }
  for (const auto& f : su["utd_scaling"]) {
    Table utd{fmt::format("{}: UTD scaling of {}, final IQM [{}% CI]", suite, f["family"].get<std::string>(), ci),
              {"UTD", "variant", "IQM"}, {}};
    for (size_t i = 0; i < f["utd"].size(); ++i)
      utd.rows.push_back({fmt::format("{:g}", f["utd"][i].get<double>()), f["variants"][i],
                          fmt::format("{:.3f} [{:.3f}, {:.3f}]", f["iqm"]["point"][i].get<double>(),
                                      f["iqm"]["lo"][i].get<double>(), f["iqm"]["hi"][i].get<double>())});
    out.push_back(utd);
  }
  return out;
}

Table excluded_table(const json& s) {
  Table t{"Runs left out", {"run", "reason"}, {}};
  for (const auto& e : s["excluded"]) t.rows.push_back({e["path"], e["reason"]});
  return t;
}

int ci_percent(const json& s) {
  return static_cast<int>(std::lround(100 * s["options"]["ci"].get<double>()));
}

}  // namespace

json figure_plan(const json& s) {
  json plan = json::array();
  for (const auto& su : s["suites"]) {
    const std::string suite = su["suite"];
    // the suite becomes part of file names: read_run admits only safe names, checked again
    // here so that no summary can name a file outside figures/
    if (!safe_name(suite))
      throw Error(fmt::format("suite '{}' cannot be part of a figure's file name", suite),
                  "suites are names of A-Z a-z 0-9 . _ = + - (docs/report.md#limits)");
    bool any_curve = false;
    for (const auto& v : su["variants"]) any_curve |= !v["curve"]["steps"].empty();
    if (any_curve)
      plan.push_back({{"file", "curves-" + suite}, {"kind", "curves"}, {"suite", suite},
                      {"title", suite + ": IQM learning curves"}});
    plan.push_back({{"file", "tasks-" + suite}, {"kind", "tasks"}, {"suite", suite},
                    {"title", suite + ": per-task mean learning curves"}});
    plan.push_back({{"file", "final-" + suite}, {"kind", "final"}, {"suite", suite},
                    {"title", suite + ": final IQM, median, mean and optimality gap"}});
    plan.push_back({{"file", "profile-" + suite}, {"kind", "profile"}, {"suite", suite},
                    {"title", suite + ": performance profiles"}});
    if (!su["utd_scaling"].empty())
      plan.push_back({{"file", "utd-" + suite}, {"kind", "utd"}, {"suite", suite},
                      {"title", suite + ": UTD scaling"}});
  }
  if (!s["diagnostics"].empty())
    plan.push_back({{"file", "diagnostics"}, {"kind", "diagnostics"},
                    {"title", "critic diagnostics (parameter norm, gradient norm, effective "
                              "learning rate, dead neurons)"}});
  return plan;
}

std::string summary_markdown(const json& s) {
  const int ci = ci_percent(s);
  std::string md = "# crossq report\n\n";
  md += fmt::format("{} runs, {} variants; {}% stratified bootstrap percentile intervals from {} "
                    "replicates (seed {}); normalized scores. Definitions: docs/report.md.\n\n",
                    s["runs"].size(), s["variants"].size(), ci, s["options"]["reps"].get<int>(),
                    s["options"]["seed"].get<uint64_t>());
  for (const auto& su : s["suites"]) {
    md += "## " + su["suite"].get<std::string>() + "\n\n";
    for (const auto& t : suite_tables(su, ci)) md += markdown(t);
  }
  if (!s["excluded"].empty()) md += markdown(excluded_table(s));
  if (!s["notes"].empty()) {
    md += "### Notes\n\n";
    for (const auto& n : s["notes"]) md += "- " + n.get<std::string>() + "\n";
    md += "\n";
  }
  return md;
}

std::string index_html(const json& s) {
  const int ci = ci_percent(s);
  std::ostringstream h;
  h << R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>crossq report</title>
<style>
body { font-family: sans-serif; max-width: 1200px; margin: 1em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
#render-status { font-size: 0.8em; color: #888; }
</style></head>
<body>
<h1>crossq report</h1>
)";
  h << fmt::format("<p>{} runs, {} variants; {}% stratified bootstrap percentile intervals from {} "
                   "replicates (seed {}). Scores are normalized: DMC return / 1000, "
                   "muscle tasks success rate. All numbers: <a href=\"summary.json\">summary.json"
                   "</a>; tables: <a href=\"summary.md\">summary.md</a>.</p>\n",
                   s["runs"].size(), s["variants"].size(), ci, s["options"]["reps"].get<int>(),
                   s["options"]["seed"].get<uint64_t>());
  h << "<p id=\"render-status\" data-state=\"pending\">figures: loading</p>\n";
  auto figure = [&](const json& f) {
    const std::string file = f["file"];
    h << "<figure><img src=\"figures/" << html_escape(file) << ".png\" alt=\""
      << html_escape(f["title"]) << "\"><figcaption>" << html_escape(f["title"])
      << " (<a href=\"figures/" << html_escape(file) << ".svg\">SVG</a>)</figcaption></figure>\n";
  };
  for (const auto& su : s["suites"]) {
    h << "<h2>" << html_escape(su["suite"]) << "</h2>\n";
    for (const auto& f : s["figures"])
      if (f.contains("suite") && f["suite"] == su["suite"]) figure(f);
    for (const auto& t : suite_tables(su, ci)) h << html(t);
  }
  for (const auto& f : s["figures"])
    if (!f.contains("suite")) {
      h << "<h2>Diagnostics</h2>\n";
      figure(f);
    }
  if (!s["excluded"].empty()) h << html(excluded_table(s));
  if (!s["notes"].empty()) {
    h << "<h3>Notes</h3>\n<ul>\n";
    for (const auto& n : s["notes"]) h << "<li>" << html_escape(n) << "</li>\n";
    h << "</ul>\n";
  }
  // marks the page once every image has loaded, so a headless browser can check the figures
  h << R"(<script>
function markFigures() {
  const imgs = Array.from(document.images);
  if (!imgs.every(i => i.complete)) return setTimeout(markFigures, 50);
  const ok = imgs.filter(i => i.naturalWidth > 0).length;
  const el = document.getElementById('render-status');
  el.dataset.state = ok === imgs.length ? 'ok' : 'broken';
  el.textContent = 'figures rendered: ' + ok + '/' + imgs.length;
}
window.addEventListener('load', markFigures);
</script>
</body></html>
)";
  return h.str();
}

json write_report(const std::vector<std::string>& roots, const fs::path& out_arg,
                  const ReportOptions& opt) {
  const fs::path out = out_arg.empty() ? fs::path(".") : out_arg;
  const fs::path parent = fs::absolute(out).parent_path();
  if (!fs::is_directory(parent))
    throw usage_error(fmt::format("the folder holding --out {} does not exist ({})", out.string(), parent.string()),
                      "create it first, or pass an --out inside an existing folder");
  if (fs::exists(out) && !fs::is_directory(out))
    throw usage_error(fmt::format("--out {} exists and is not a folder", out.string()));
  if (access(opt.python.c_str(), X_OK) != 0)
    throw Error(fmt::format("{} not found: the report's figures are drawn with matplotlib", opt.python),
                "install Debian's python3 and python3-matplotlib (scripts/install-deps.sh)");

  std::vector<Excluded> excluded;
  std::vector<std::string> notes;
  std::vector<Run> runs = load_runs(roots, opt.skip_bad, excluded, opt.limits);
  const std::vector<Variant> variants = group_variants(runs, &notes);
  align_runs(runs, opt.incomplete, excluded, notes);
  if (runs.empty()) {
    std::string why;
    for (const auto& e : excluded) why += "\n  " + e.path + ": " + e.reason;
    throw usage_error("every run was left out:" + why, "try --incomplete align");
  }
  json s = summarize(runs, variants, excluded, notes, opt.summary);
  s["options"]["incomplete"] = opt.incomplete == Incomplete::kDrop ? "drop" : "align";
  s["figures"] = figure_plan(s);

  fs::create_directories(out / "figures");
  write_file(out / "summary.json", s.dump(1) + "\n");
  write_file(out / "summary.md", summary_markdown(s));
  write_file(out / "plot_report.py", kPlotScript);
  // its Python errors go to this process's stderr; an hour is far more than the largest
  // report takes, and keeps a hung interpreter from hanging the report
  const ProcessResult pr = run_process({opt.python, (out / "plot_report.py").string(),
                                        (out / "summary.json").string(), (out / "figures").string()},
                                       3600, false);
  if (pr.timed_out) throw Error("drawing the figures took over an hour and was stopped", "see the Python output above");
  const int rc = pr.status;
  if (rc == 3)
    throw Error("matplotlib is missing: the report's figures cannot be drawn",
                "install Debian's python3-matplotlib (scripts/install-deps.sh)");
  if (rc != 0)
    throw Error(fmt::format("drawing the figures failed ({} {} exited with status {})", opt.python,
                            (out / "plot_report.py").string(), rc),
                "see the Python error above; summary.json and summary.md are written");
  for (const auto& f : s["figures"])
    for (const char* ext : {".png", ".svg"}) {
      const fs::path p = out / "figures" / (f["file"].get<std::string>() + ext);
      if (!fs::exists(p) || fs::file_size(p) == 0)
        throw Error(fmt::format("the plotting script did not write {}", p.string()));
    }
  write_file(out / "index.html", index_html(s));
  return s;
}

}  // namespace crossq::report
