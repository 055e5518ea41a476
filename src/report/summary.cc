// Runs -> summary JSON: per suite and variant, the aggregates with intervals at the final
// evaluation and at every common evaluation step, per-task curves, performance profiles,
// probabilities of improvement, UTD scaling; per variant, the Figure 3 diagnostics.
#include "crossq/report/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/core.h>

namespace crossq::report {
namespace {

using json = nlohmann::json;

json to_json(const Interval& i) { return {{"point", i.point}, {"lo", i.lo}, {"hi", i.hi}}; }

json to_json(const Aggregates& a) {
  return {{"iqm", to_json(a.iqm)}, {"mean", to_json(a.mean)}, {"median", to_json(a.median)},
          {"optimality_gap", to_json(a.optimality_gap)}};
}

// (point, lo, hi) series appended one interval at a time
void push(json& series, const Interval& i) {
  series["point"].push_back(i.point);
  series["lo"].push_back(i.lo);
  series["hi"].push_back(i.hi);
}

// runs of one variant in one suite, by task (sorted by task, then seed)
std::map<std::string, std::vector<const Run*>> by_task(const std::vector<Run>& runs,
                                                       const std::string& suite,
                                                       const std::string& variant) {
  std::map<std::string, std::vector<const Run*>> out;
  for (const Run& r : runs)
    if (r.suite == suite && r.variant == variant) out[r.task].push_back(&r);
  for (auto& [t, v] : out)
    std::sort(v.begin(), v.end(), [](const Run* a, const Run* b) { return a->seed < b->seed; });
  return out;
}

TaskScores final_scores(const std::map<std::string, std::vector<const Run*>>& tasks) {
  TaskScores s;
  for (const auto& [t, rs] : tasks) {
    s.emplace_back();
    for (const Run* r : rs) s.back().push_back(r->scores.back());
  }
  return s;
}

json task_curve(const std::string& task, const std::vector<const Run*>& rs) {
  // align_runs gave every run of a (variant, task) the same steps
  const auto& steps = rs[0]->steps;
  json out = {{"task", task}, {"steps", steps}, {"n_runs", rs.size()}, {"seeds", json::array()}};
  for (const Run* r : rs) out["seeds"].push_back(r->seed);
  const double n = static_cast<double>(rs.size());
  for (size_t k = 0; k < steps.size(); ++k) {
    double sum = 0, sq = 0;
    for (const Run* r : rs) sum += r->scores[k];
    const double m = sum / n;
    for (const Run* r : rs) sq += (r->scores[k] - m) * (r->scores[k] - m);
    const double sd = rs.size() > 1 ? std::sqrt(sq / (n - 1)) : 0.0;
    out["mean"].push_back(m);
    out["std"].push_back(sd);
    out["se"].push_back(sd / std::sqrt(n));
  }
  out["final_step"] = steps.back();
  out["final_mean"] = out["mean"].back();
  out["final_std"] = out["std"].back();
  return out;
}

// linear interpolation of (x, y) at t, NaN outside the finite samples' range
double interp(const std::vector<double>& x, const std::vector<double>& y, double t) {
  double x0 = NAN, y0 = NAN;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(y[i]) || !std::isfinite(x[i])) continue;
    if (x[i] == t) return y[i];
    if (x[i] > t) {
      if (std::isnan(x0)) return NAN;
      return y0 + (y[i] - y0) * (t - x0) / (x[i] - x0);
    }
    x0 = x[i], y0 = y[i];
  }
  return NAN;
}

json diagnostics(const std::vector<Run>& runs, const std::string& variant, int points) {
  std::vector<const Run*> rs;
  double max_step = 0;
  for (const Run& r : runs)
    if (r.variant == variant && !r.diagnostics.env_step.empty()) {
      rs.push_back(&r);
      max_step = std::max(max_step, r.diagnostics.env_step.back());
    }
  if (rs.empty() || max_step <= 0) return nullptr;
  std::vector<double> grid(points);
  for (int i = 0; i < points; ++i) grid[i] = max_step * (i + 1) / points;
  json out = {{"variant", variant}, {"n_runs", rs.size()}, {"steps", grid}};
  const std::pair<const char*, std::vector<double> Diagnostics::*> metrics[] = {
      {"param_norm", &Diagnostics::param_norm}, {"grad_norm", &Diagnostics::grad_norm},
      {"elr", &Diagnostics::elr}, {"dead_frac", &Diagnostics::dead_frac}};
  for (const auto& [name, field] : metrics) {
    json mean = json::array(), se = json::array();
    for (double t : grid) {
      double sum = 0, sq = 0;
      int n = 0;
      std::vector<double> vals;
      for (const Run* r : rs) {
        const double v = interp(r->diagnostics.env_step, r->diagnostics.*field, t);
        if (std::isfinite(v)) vals.push_back(v), sum += v, ++n;
      }
      if (n == 0) {
        mean.push_back(nullptr), se.push_back(nullptr);
        continue;
      }
      const double m = sum / n;
      for (double v : vals) sq += (v - m) * (v - m);
      mean.push_back(m);
      se.push_back(n > 1 ? std::sqrt(sq / (n - 1) / n) : 0.0);
    }
    out[name] = {{"mean", mean}, {"se", se}};
  }
  return out;
}

}  // namespace

json summarize(const std::vector<Run>& runs, const std::vector<Variant>& variants,
               const std::vector<Excluded>& excluded, const std::vector<std::string>& notes_in,
               const SummaryOptions& opt) {
  std::vector<std::string> notes = notes_in;
  json out;
  out["format"] = "crossq-report-1";
  out["options"] = {{"reps", opt.boot.reps}, {"seed", opt.boot.seed}, {"ci", opt.boot.ci},
                    {"profile_points", opt.profile_points}};
  out["runs"] = json::array();
  for (const Run& r : runs)
    out["runs"].push_back({{"path", r.path}, {"task", r.task}, {"algo", r.algo},
                           {"variant", r.variant}, {"suite", r.suite}, {"seed", r.seed},
                           {"evaluations", r.steps.size()}, {"last_step", r.steps.back()},
                           {"final_score", r.scores.back()},
                           {"has_diagnostics", !r.diagnostics.env_step.empty()}});
  out["excluded"] = json::array();
  for (const auto& e : excluded) out["excluded"].push_back({{"path", e.path}, {"reason", e.reason}});
  out["variants"] = json::array();
  std::set<std::string> live;
  for (const Run& r : runs) live.insert(r.variant);
  for (const auto& v : variants)
    if (live.count(v.name))
      out["variants"].push_back({{"name", v.name}, {"algo", v.algo}, {"settings", v.settings}});

  std::set<std::string> suites;
  for (const Run& r : runs) suites.insert(r.suite);
  out["suites"] = json::array();
  for (const auto& suite : suites) {
    json js = {{"suite", suite}, {"variants", json::array()}};
    std::set<std::string> tasks;
    double best = 1.0;
    for (const Run& r : runs)
      if (r.suite == suite) tasks.insert(r.task), best = std::max(best, r.scores.back());
    js["tasks"] = tasks;
    std::vector<double> taus(opt.profile_points);
    for (int i = 0; i < opt.profile_points; ++i)
      taus[i] = best * i / std::max(1, opt.profile_points - 1);
    js["profile_taus"] = taus;

    std::vector<std::string> names;  // variants present in this suite
    for (const auto& v : variants)
      if (!by_task(runs, suite, v.name).empty()) names.push_back(v.name);
    for (const auto& name : names) {
      const auto per_task = by_task(runs, suite, name);
      json jv = {{"variant", name}, {"tasks", json::array()}, {"per_task", json::array()}};
      size_t n_runs = 0;
      for (const auto& [t, rs] : per_task) {
        jv["tasks"].push_back(t);
        jv["per_task"].push_back(task_curve(t, rs));
        n_runs += rs.size();
      }
      jv["n_runs"] = n_runs;
      const TaskScores fin = final_scores(per_task);
      jv["final"] = to_json(bootstrap_aggregates(fin, opt.boot));
      // learning curve on the steps every run of the variant in the suite shares
      std::vector<int64_t> common;
      bool first = true;
      for (const auto& [t, rs] : per_task) {
        const auto& st = rs[0]->steps;
        if (first) {
          common = st, first = false;
          continue;
        }
        std::vector<int64_t> both;
        std::set_intersection(common.begin(), common.end(), st.begin(), st.end(), std::back_inserter(both));
        common = std::move(both);
      }
      for (const auto& [t, rs] : per_task)
        if (common.empty() || rs[0]->steps.back() != common.back()) {
          notes.push_back(fmt::format(
              "{} on {}: tasks end at different steps; the {} learning curve stops at step {}, "
              "where every task has an evaluation",
              name, suite, suite, common.empty() ? 0 : common.back()));
          break;
        }
      json curve = {{"steps", common}};
      for (int64_t step : common) {
        TaskScores s;
        for (const auto& [t, rs] : per_task) {
          s.emplace_back();
          for (const Run* r : rs) {
            const size_t k = std::lower_bound(r->steps.begin(), r->steps.end(), step) - r->steps.begin();
            s.back().push_back(r->scores[k]);
          }
        }
        const Aggregates a = bootstrap_aggregates(s, opt.boot);
        push(curve["iqm"], a.iqm);
        push(curve["mean"], a.mean);
        push(curve["median"], a.median);
        push(curve["optimality_gap"], a.optimality_gap);
      }
      jv["curve"] = curve;
      json prof = json::object();
      for (const Interval& i : bootstrap_profile(fin, taus, opt.boot)) push(prof, i);
      jv["profile"] = prof;
      js["variants"].push_back(jv);
    }

    // probability of improvement of every pair, on the tasks both ran
    js["probability_of_improvement"] = json::array();
    for (size_t a = 0; a < names.size(); ++a)
      for (size_t b = a + 1; b < names.size(); ++b) {
        auto ta = by_task(runs, suite, names[a]), tb = by_task(runs, suite, names[b]);
        std::map<std::string, std::vector<const Run*>> ca, cb;
        for (const auto& [t, rs] : ta)
          if (tb.count(t)) ca[t] = rs, cb[t] = tb[t];
        if (ca.empty()) {
          notes.push_back(fmt::format("{} and {} share no {} task: no probability of improvement",
                                      names[a], names[b], suite));
          continue;
        }
        json p = to_json(bootstrap_probability_of_improvement(final_scores(ca), final_scores(cb), opt.boot));
        p["x"] = names[a];
        p["y"] = names[b];
        p["n_tasks"] = ca.size();
        js["probability_of_improvement"].push_back(p);
      }

    // UTD scaling: variants that differ only in `utd`
    std::map<std::string, std::vector<std::pair<double, size_t>>> families;
    for (size_t i = 0; i < js["variants"].size(); ++i) {
      const std::string name = js["variants"][i]["variant"];
      const auto v = std::find_if(variants.begin(), variants.end(), [&](const Variant& x) { return x.name == name; });
      if (!v->settings.contains("utd") || !v->settings["utd"].is_number()) continue;
      json rest = v->settings;
      rest.erase("utd");
      std::string family = v->algo;
      for (const auto& [k, val] : rest.items())
        family += fmt::format(" {}={}", label_text(k), label_text(val.dump()));
      families[family].push_back({v->settings["utd"].get<double>(), i});
    }
    js["utd_scaling"] = json::array();
    for (auto& [family, members] : families) {
      if (members.size() < 2) continue;
      std::sort(members.begin(), members.end());
      json f = {{"family", family}, {"utd", json::array()}, {"variants", json::array()}};
      for (const auto& [utd, i] : members) {
        f["utd"].push_back(utd);
        f["variants"].push_back(js["variants"][i]["variant"]);
        push(f["iqm"], {js["variants"][i]["final"]["iqm"]["point"], js["variants"][i]["final"]["iqm"]["lo"],
                        js["variants"][i]["final"]["iqm"]["hi"]});
      }
      js["utd_scaling"].push_back(f);
    }
    out["suites"].push_back(js);
  }

  out["diagnostics"] = json::array();
  for (const auto& v : variants) {
    if (!live.count(v.name)) continue;
    json d = diagnostics(runs, v.name, opt.diagnostics_points);
    if (d.is_null())
      notes.push_back(fmt::format("{}: no train.csv diagnostics", v.name));
    else
      out["diagnostics"].push_back(d);
  }
  out["notes"] = notes;
  return out;
}

}  // namespace crossq::report
