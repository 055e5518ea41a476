#include "crossq/tasks/registry.h"

#include <map>
#include <mutex>

#include "crossq/core/error.h"
#include "crossq/tasks/pendulum.h"
#include "crossq/tasks/suite.h"

namespace crossq {

std::vector<TaskEntry>& task_entries() {
  // one line per task, in the order `crossq tasks` lists them
  static std::vector<TaskEntry> entries = {
      {"pendulum", [] { return std::make_unique<GymPendulum>(); }},
      {"pendulum-swingup", [] { return make_pendulum_swingup(); }},
      {"cartpole-swingup", [] { return make_cartpole_swingup(); }},
      {"cheetah-run", [] { return make_cheetah_run(); }},
      {"walker-stand", [] { return make_walker(0); }},
      {"walker-walk", [] { return make_walker(1); }},
      {"walker-run", [] { return make_walker(8); }},
      {"hopper-stand", [] { return make_hopper(false); }},
      {"hopper-hop", [] { return make_hopper(true); }},
      {"finger-turn-easy", [] { return make_finger_turn(false); }},
      {"finger-turn-hard", [] { return make_finger_turn(true); }},
      {"quadruped-walk", [] { return make_quadruped(0.5); }},
      {"quadruped-run", [] { return make_quadruped(5); }},
      {"fish-swim", [] { return make_fish_swim(); }},
      {"humanoid-stand", [] { return make_humanoid(0); }},
      {"humanoid-walk", [] { return make_humanoid(1); }},
      {"humanoid-run", [] { return make_humanoid(10); }},
      {"dog-stand", [] { return make_dog(0); }},
      {"dog-walk", [] { return make_dog(1); }},
      {"dog-trot", [] { return make_dog(3); }},
      {"dog-run", [] { return make_dog(9); }},
      {"myo-reach", [] { return make_myo_hand(MyoHandTask::kReach, false); }},
      {"myo-reach-hard", [] { return make_myo_hand(MyoHandTask::kReach, true); }},
      {"myo-pose", [] { return make_myo_hand(MyoHandTask::kPose, false); }},
      {"myo-pose-hard", [] { return make_myo_hand(MyoHandTask::kPose, true); }},
      {"myo-obj-hold", [] { return make_myo_hand(MyoHandTask::kObjHold, false); }},
      {"myo-obj-hold-hard", [] { return make_myo_hand(MyoHandTask::kObjHold, true); }},
      {"myo-key-turn", [] { return make_myo_hand(MyoHandTask::kKeyTurn, false); }},
      {"myo-key-turn-hard", [] { return make_myo_hand(MyoHandTask::kKeyTurn, true); }},
      {"myo-pen-twirl", [] { return make_myo_hand(MyoHandTask::kPenTwirl, false); }},
      {"myo-pen-twirl-hard", [] { return make_myo_hand(MyoHandTask::kPenTwirl, true); }},
      {"arm-reach", [] { return make_arm_reach(false); }},
      {"arm-reach-hard", [] { return make_arm_reach(true); }},
      {"arm-pose", [] { return make_arm_pose(false); }},
      {"arm-pose-hard", [] { return make_arm_pose(true); }},
  };
  return entries;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& e : task_entries()) names.push_back(e.name);
  return names;
}

TaskSpec custom_task_spec() {
  TaskSpec s;
  s.name = kCustomTask;
  s.suite = "custom";
  s.score = TaskSpec::Score::kReturn;
  s.episode_steps = 1 << 30;  // the environment truncates its own episodes
  s.defaults.steps = 100000;
  s.defaults.warmup = 5000;
  s.defaults.eval_every = 10000;
  s.defaults.action_repeat = 1;
  s.defaults.discount = 0.99;
  s.description = "an environment of your own (Python: crossq.train, crossq.Agent; C++: crossq::Learner)";
  return s;
}

std::unique_ptr<Task> make_task(const std::string& name) {
  if (name == kCustomTask)
    throw usage_error("task 'custom' names an environment of your own, which crossq cannot build",
                      "train it from Python (crossq.train) or C++ (crossq::Learner); `crossq tasks` lists crossq's tasks");
  for (const auto& e : task_entries())
    if (e.name == name) return e.make();
  std::string known;
  for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
  throw usage_error("unknown task '" + name + "'", "known tasks: " + known);
}

TaskSpec task_spec(const std::string& name) {
  // building a task loads its model; --help and the defaults table ask for a spec many times
  static std::mutex mu;
  static std::map<std::string, TaskSpec> specs;
  std::lock_guard<std::mutex> lk(mu);
  if (name == kCustomTask) return custom_task_spec();
  auto it = specs.find(name);
  if (it == specs.end()) it = specs.emplace(name, make_task(name)->spec()).first;  // throws for unknown names
  return it->second;
}

}  // namespace crossq
