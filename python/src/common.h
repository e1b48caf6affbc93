// Helpers shared by the binding's translation units: JSON <-> Python conversion, NumPy
// argument checks, and vectors handed to NumPy without a copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

namespace ascnet::py_binding {

namespace py = pybind11;

/// nlohmann::json -> dict/list/str/int/float/bool/None.
py::object JsonToPy(const nlohmann::json& j);
/// The reverse; TypeError naming `where` for objects JSON cannot hold.
nlohmann::json PyToJson(py::handle o, const std::string& where = "value");

/// Takes ownership of `v` and returns a NumPy array of `shape` viewing its memory (no copy;
/// the array keeps the vector alive), so torch.from_numpy shares it too.
template <typename T>
py::array_t<T> VectorToArray(std::vector<T>&& v, const std::vector<py::ssize_t>& shape) {
  auto* owner = new std::vector<T>(std::move(v));
  py::capsule free_owner(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owner->data(), free_owner);
}

/// A checked float32 input array: TypeError for another dtype, ValueError for a wrong number
/// of dimensions or a layout that is not C-contiguous (the message says how to fix it).
/// `name` names the argument in the message.
py::array CheckFloat32(const py::handle& obj, int ndim, const std::string& name, const std::string& shape_text);

/// Sets up the Python exception classes (ascnet._errors) and the C++ -> Python translation.
void RegisterErrors(py::module_& m);

/// Binds Model, train, experiment (bind_model.cpp).
void BindModel(py::module_& m);

}  // namespace ascnet::py_binding
