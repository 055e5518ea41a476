// Options shared by every subcommand: an empty value (`--task ""`, `--out ''`) is an error
// naming the flag, never a silent fall-back to the default.
#include <string>

#include "crossq/cli/cli.h"

namespace crossq::cli {

namespace {
void refuse_in(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (opt->get_type_size() == 0) continue;        // switches (--quiet) take no value
    if (opt->get_name() == "--reset-steps") continue;  // "" is its value for "no resets"
    const std::string name = opt->get_name();
    opt->check(CLI::Validator(
        [name](std::string& v) {
          return v.empty() ? "an empty value is not allowed; give a value or drop " + name : std::string();
        },
        "", "NONEMPTY"));
  }
  for (CLI::App* sub : app.get_subcommands({})) refuse_in(*sub);
}
}  // namespace

void refuse_empty_values(CLI::App& app) { refuse_in(app); }

}  // namespace crossq::cli
