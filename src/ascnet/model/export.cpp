#include "ascnet/model/export.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "ascnet/core/error.h"
#include "ascnet/core/fs.h"
#include "ascnet/core/npy.h"

namespace ascnet {

void WriteTensorNpy(const std::string& path, const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
  WriteNpy(path, c.data_ptr<float>(), c.sizes().vec());
}

void ExportWeightsNpy(const NetworkImpl& net, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(WithPath(dir, "cannot create directory: " + ec.message()));
  nlohmann::json tensors = nlohmann::json::object();
  for (const auto& [name, t] : NamedTensors(net)) {
    if (t.scalar_type() != torch::kFloat) continue;
    const std::string file = name + ".npy";
    WriteTensorNpy((std::filesystem::path(dir) / file).string(), t);
    tensors[name] = file;
  }
  const nlohmann::json manifest{{"arch", net.arch()}, {"tensors", tensors}};
  const std::string text = manifest.dump(1) + "\n";
  WriteFileAtomically((std::filesystem::path(dir) / "manifest.json").string(),
                      [&](std::ostream& os) { os << text; });
}

}  // namespace ascnet
