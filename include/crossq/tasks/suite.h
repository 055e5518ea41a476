// Factories of the MuJoCo tasks (after dm_control and MyoSuite); registry.cc lists them by name.
#pragma once
#include <memory>

#include "crossq/tasks/task.h"

namespace crossq {

std::unique_ptr<Task> make_pendulum_swingup();
std::unique_ptr<Task> make_cartpole_swingup();
std::unique_ptr<Task> make_cheetah_run();
// move_speed 0: stand; 1: walk; 8: run
std::unique_ptr<Task> make_walker(double move_speed);
std::unique_ptr<Task> make_hopper(bool hopping);
// move_speed 0: stand; 1: walk; 10: run
std::unique_ptr<Task> make_humanoid(double move_speed);
std::unique_ptr<Task> make_dog(double move_speed);  // 0 stand, 1 walk, 3 trot, 9 run
std::unique_ptr<Task> make_finger_turn(bool hard);
std::unique_ptr<Task> make_fish_swim();
// move_speed 0.5: walk; 5: run
std::unique_ptr<Task> make_quadruped(double move_speed);
// the arm26 muscle tasks (arm-reach, arm-pose and their -hard variants)
std::unique_ptr<Task> make_arm_reach(bool random_target);
std::unique_ptr<Task> make_arm_pose(bool random_target);
// MyoSuite's ten hand tasks on crossq's muscle hand (myohand.cc)
enum class MyoHandTask { kReach, kPose, kKeyTurn, kObjHold, kPenTwirl };
std::unique_ptr<Task> make_myo_hand(MyoHandTask task, bool hard);

// DMC suite settings shared by every DMC task (dm_control; the seed paper's Table 1)
void set_dmc_spec(TaskSpec& spec);

}  // namespace crossq
