#include "ascnet/calibration/json_fields.h"

#include <cmath>

#include "ascnet/core/error.h"

namespace ascnet {
namespace jsonf {

void Fail(const std::string& ctx, const std::string& message) { throw FormatError(ctx + ": " + message); }

const nlohmann::json& Field(const nlohmann::json& j, const std::string& key, const std::string& ctx) {
  if (!j.is_object()) Fail(ctx, "expected a JSON object, got " + std::string(j.type_name()));
  auto it = j.find(key);
  if (it == j.end()) Fail(ctx, "missing required field '" + key + "'");
  return *it;
}

double GetDouble(const nlohmann::json& j, const std::string& key, const std::string& ctx) {
  const auto& v = Field(j, key, ctx);
  if (!v.is_number()) Fail(ctx + "." + key, "expected a number, got " + std::string(v.type_name()));
  const double d = v.get<double>();
  if (!std::isfinite(d)) Fail(ctx + "." + key, "expected a finite number");
  return d;
}

int64_t GetInt(const nlohmann::json& j, const std::string& key, const std::string& ctx) {
  const auto& v = Field(j, key, ctx);
  if (!v.is_number_integer()) Fail(ctx + "." + key, "expected an integer, got " + v.dump());
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    Fail(ctx + "." + key, "integer out of range: " + v.dump());
  }
  return v.get<int64_t>();
}

uint64_t GetUint(const nlohmann::json& j, const std::string& key, const std::string& ctx) {
  const auto& v = Field(j, key, ctx);
  if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
    Fail(ctx + "." + key, "expected an integer >= 0, got " + v.dump());
  }
  return v.get<uint64_t>();
}

bool GetBool(const nlohmann::json& j, const std::string& key, const std::string& ctx) {
  const auto& v = Field(j, key, ctx);
  if (!v.is_boolean()) Fail(ctx + "." + key, "expected true or false, got " + v.dump());
  return v.get<bool>();
}

std::string GetString(const nlohmann::json& j, const std::string& key, const std::string& ctx) {
  const auto& v = Field(j, key, ctx);
  if (!v.is_string()) Fail(ctx + "." + key, "expected a string, got " + v.dump());
  return v.get<std::string>();
}

const nlohmann::json& GetArray(const nlohmann::json& j, const std::string& key, const std::string& ctx,
                               int64_t expected_size) {
  const auto& v = Field(j, key, ctx);
  if (!v.is_array()) Fail(ctx + "." + key, "expected an array, got " + std::string(v.type_name()));
  if (expected_size >= 0 && static_cast<int64_t>(v.size()) != expected_size) {
    Fail(ctx + "." + key,
         "expected " + std::to_string(expected_size) + " elements, got " + std::to_string(v.size()));
  }
  return v;
}

std::vector<double> ToDoubleArray(const nlohmann::json& v, const std::string& where, int64_t expected_size) {
  if (!v.is_array()) Fail(where, "expected an array, got " + std::string(v.type_name()));
  if (expected_size >= 0 && static_cast<int64_t>(v.size()) != expected_size) {
    Fail(where, "expected " + std::to_string(expected_size) + " elements, got " + std::to_string(v.size()));
  }
  std::vector<double> out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number()) Fail(where + "[" + std::to_string(i) + "]", "expected a number, got " + v[i].dump());
    const double d = v[i].get<double>();
    if (!std::isfinite(d)) Fail(where + "[" + std::to_string(i) + "]", "expected a finite number");
    out.push_back(d);
  }
  return out;
}

std::vector<double> GetDoubleArray(const nlohmann::json& j, const std::string& key, const std::string& ctx,
                                   int64_t expected_size) {
  return ToDoubleArray(Field(j, key, ctx), ctx + "." + key, expected_size);
}

}  // namespace jsonf
}  // namespace ascnet
