#pragma once
// The dashboard page (ops/dashboard.html), embedded in the binary at build time so that
// the process serves it with no files beside it.
#include <string_view>

namespace pixguard {

std::string_view dashboard_page();

}  // namespace pixguard
