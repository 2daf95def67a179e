// The regime binary's offline commands (the service itself runs when the
// first argument is not one of them):
//
//   regime train   --csv FILE | --db CONN --venue V --symbol S [--timeframe TF]
//                  [--states K] [--features LIST] [--covariance full|diagonal]
//                  [--seed S] [--restarts N] [--max-iterations N]
//                  [--from TIME] [--to TIME] [--validation-fraction F]
//                  [--json] [--register --db CONN]
//                  [--promote --db CONN --nats URL --keys FILE [--operator NAME]]
//   regime select  --csv FILE [--states LIST] [--features LIST] [--seed S] [--validation-fraction F] [--json]
//   regime promote VERSION --db CONN --nats URL --keys FILE [--operator NAME]
//   regime models  --db CONN [--json]
//   regime decode  --csv FILE (--model-json TRAIN_JSON | --version V --db CONN) [--from T] [--to T]
//                  CSV per observation: Viterbi state and label, filtered regime probabilities
//
// `train --json` prints the fitted model (docs/services/regime-hmm.md) and
// nothing else on standard output. Errors go to standard error; exit 0 on
// success, 1 on failure, 2 on a usage error.
#pragma once

#include <iosfwd>
#include <string_view>

namespace tp::regime {

bool is_cli_command(std::string_view first_argument);
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace tp::regime
