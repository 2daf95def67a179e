#include "paramctl/core/preset_chooser.h"

namespace tp::paramctl {

ChooserPick DefaultPresetChooser::choose(const ChooserRequest& request) const {
  for (const auto* p : request.candidates)
    if (p->preset_id() == request.default_preset) return {p->preset_id(), 0.0};
  return {request.candidates.front()->preset_id(), 0.0};
}

}  // namespace tp::paramctl
