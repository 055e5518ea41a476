// Test helpers shared by the task tests.
#pragma once
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/registry.h"

namespace crossq::testutil {

// a task by name as its MuJoCo base, at the model's reference pose with zero velocity
inline std::unique_ptr<MujocoTask> at_rest(const std::string& name) {
  std::unique_ptr<Task> t = make_task(name);
  auto* mt = dynamic_cast<MujocoTask*>(t.get());
  EXPECT_NE(mt, nullptr) << name;
  if (mt == nullptr) return nullptr;
  t.release();
  std::unique_ptr<MujocoTask> out(mt);
  mj_resetData(out->model(), out->data());
  out->forward();
  return out;
}

}  // namespace crossq::testutil
