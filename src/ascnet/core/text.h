// Small text helpers shared by every stage: trimming, printing values into messages, and the
// one format of an invalid-option error.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace ascnet {

/// `s` without leading and trailing ASCII whitespace (std::isspace: space, \t, \n, \v, \f, \r).
std::string Trim(const std::string& s);
/// The same, as a view into `s` (no copy).
std::string_view Trim(std::string_view s);

/// `words` with `sep` between each two: "a<sep>b<sep>c" ("" for none).
std::string Join(const std::vector<std::string>& words, const std::string& sep);
/// `words` in prose: "a", "a<last>b", "a, b<last>c" (e.g. last = " or ").
std::string JoinWords(const std::vector<std::string>& words, const std::string& last);
/// `v` as operator<< prints it.
template <typename T>
std::string Str(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}
/// A vector as "[a, b, c]".
template <typename T>
std::string Str(const std::vector<T>& v) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
  return os.str();
}

/// Throws ConfigError "invalid <kind> option <field> = <got> (expected <expected>)", e.g.
/// kind "feature", field "frame.hop_length", expected "1..frame_length samples".
[[noreturn]] void BadOption(const std::string& kind, const std::string& field, const std::string& expected,
                            const std::string& got);

}  // namespace ascnet
