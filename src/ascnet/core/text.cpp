#include "ascnet/core/text.h"

#include <cctype>

#include "ascnet/core/error.h"

namespace ascnet {

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string Trim(const std::string& s) { return std::string(Trim(std::string_view(s))); }

std::string Join(const std::vector<std::string>& words, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i == 0 ? "" : sep) + words[i];
  return out;
}

std::string JoinWords(const std::vector<std::string>& words, const std::string& last) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i == 0 ? "" : i + 1 == words.size() ? last : ", ") + words[i];
  return out;
}

void BadOption(const std::string& kind, const std::string& field, const std::string& expected, const std::string& got) {
  throw ConfigError("invalid " + kind + " option " + field + " = " + got + " (expected " + expected + ")");
}

}  // namespace ascnet
