// Exact numeric reads from nlohmann::json. j.get<int>() converts silently (4294967376 reads
// as 80) and is undefined for a float out of range (1e300); JsonGet<T> refuses any number T
// cannot hold: a non-integer or out-of-range value for an integer type, a finite value
// beyond a float's range. Containers (std::vector) are checked element by element; other
// types fall through to get<T>(). Errors are nlohmann::json exceptions (JsonRangeError), so
// the callers that already turn json errors into ConfigError/FormatError naming the field
// keep doing so.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace ascnet {

class JsonRangeError : public nlohmann::json::exception {
 public:
  explicit JsonRangeError(const std::string& what) : exception(406, what.c_str()) {}
};

namespace json_detail {
template <typename T>
struct IsVector : std::false_type {};
template <typename T, typename A>
struct IsVector<std::vector<T, A>> : std::true_type {};
}  // namespace json_detail

template <typename T>
T JsonGet(const nlohmann::json& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!(d == std::floor(d) && d >= static_cast<double>(std::numeric_limits<T>::min()) &&
            d <= static_cast<double>(std::numeric_limits<T>::max()))) {
        throw JsonRangeError("number " + v.dump() + " is not an integer in the range of the field");
      }
      return static_cast<T>(d);
    }
    if (!v.is_number_integer()) return v.get<T>();  // the usual type error
    const bool ok = v.is_number_unsigned()
                        ? v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
                        : (v.get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
                           (v.get<int64_t>() < 0 ||
                            static_cast<uint64_t>(v.get<int64_t>()) <= static_cast<uint64_t>(std::numeric_limits<T>::max())));
    if (!ok) throw JsonRangeError("number " + v.dump() + " is out of the field's range");
    return v.get<T>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (v.is_number()) {
      const double d = v.get<double>();
      if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<T>::max())) {
        throw JsonRangeError("number " + v.dump() + " is out of the field's range");
      }
    }
    return v.get<T>();
  } else if constexpr (json_detail::IsVector<T>::value) {
    if (!v.is_array()) return v.get<T>();  // the usual type error
    T out;
    out.reserve(v.size());
    for (const auto& e : v) out.push_back(JsonGet<typename T::value_type>(e));
    return out;
  } else {
    return v.get<T>();
  }
}

}  // namespace ascnet
