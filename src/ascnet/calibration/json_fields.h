// Strict accessors for reading JSON documents: every field is required, and a missing
// or mistyped field throws FormatError naming "<context>.<field>" and the expected type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ascnet {
namespace jsonf {

/// j[key]; FormatError if j is not an object or the key is missing.
const nlohmann::json& Field(const nlohmann::json& j, const std::string& key, const std::string& ctx);
double GetDouble(const nlohmann::json& j, const std::string& key, const std::string& ctx);  ///< finite number
int64_t GetInt(const nlohmann::json& j, const std::string& key, const std::string& ctx);    ///< integer
uint64_t GetUint(const nlohmann::json& j, const std::string& key, const std::string& ctx);  ///< integer >= 0
bool GetBool(const nlohmann::json& j, const std::string& key, const std::string& ctx);
std::string GetString(const nlohmann::json& j, const std::string& key, const std::string& ctx);
/// Array of finite numbers; if expected_size >= 0 its length must equal expected_size.
std::vector<double> GetDoubleArray(const nlohmann::json& j, const std::string& key, const std::string& ctx,
                                   int64_t expected_size = -1);
/// `v` itself as an array of finite numbers; `where` names it in messages.
std::vector<double> ToDoubleArray(const nlohmann::json& v, const std::string& where, int64_t expected_size = -1);
/// The value of `key`, which must be an array (of any length if expected_size < 0).
const nlohmann::json& GetArray(const nlohmann::json& j, const std::string& key, const std::string& ctx,
                               int64_t expected_size = -1);
/// Throws FormatError("<ctx>: <message>").
[[noreturn]] void Fail(const std::string& ctx, const std::string& message);

}  // namespace jsonf
}  // namespace ascnet
