#include "ascnet/train/checkpoint.h"

#include <cmath>
#include <cstring>
#include <iomanip>
#include <limits>
#include <sstream>

#include <torch/serialize.h>

#include "ascnet/core/binary_record.h"
#include "ascnet/core/fs.h"
#include "ascnet/core/json_get.h"

namespace ascnet {
namespace {

constexpr char kMagic[9] = "ASCNETC1";

[[noreturn]] void Fail(const std::string& name, const std::string& problem) {
  throw CheckpointError(WithPath(name, "checkpoint: " + problem));
}

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

std::string TrainingLog::ToCsv() const {
  std::ostringstream os;
  os << "epoch,step,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n";
  os << std::setprecision(8);
  for (const EpochRecord& r : epochs) {
    os << r.epoch << ',' << r.step << ',' << r.lr << ',' << r.train_loss << ',' << r.train_accuracy << ','
       << r.test_loss << ',' << r.test_accuracy << ',' << std::setprecision(4) << r.seconds << std::setprecision(8)
       << '\n';
  }
  return os.str();
}

nlohmann::json TrainingLog::ToJson() const {
  nlohmann::json a = nlohmann::json::array();
  for (const EpochRecord& r : epochs) {
    a.push_back({{"epoch", r.epoch},
                 {"step", r.step},
                 {"lr", r.lr},
                 {"train_loss", Num(r.train_loss)},
                 {"train_accuracy", Num(r.train_accuracy)},
                 {"test_loss", Num(r.test_loss)},
                 {"test_accuracy", Num(r.test_accuracy)},
                 {"seconds", r.seconds}});
  }
  return a;
}

TrainingLog TrainingLog::FromJson(const nlohmann::json& j) {
  if (!j.is_array()) throw CheckpointError("training log: expected a JSON array");
  TrainingLog log;
  for (const auto& e : j) {
    auto num = [&](const char* key) {
      if (!e.is_object() || !e.contains(key)) throw CheckpointError(std::string("training log: missing field ") + key);
      const auto& v = e.at(key);
      if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
      if (!v.is_number()) throw CheckpointError(std::string("training log: field ") + key + " is not a number");
      return v.get<double>();
    };
    EpochRecord r;
    r.epoch = static_cast<int>(num("epoch"));
    r.step = static_cast<int64_t>(num("step"));
    r.lr = num("lr");
    r.train_loss = num("train_loss");
    r.train_accuracy = num("train_accuracy");
    r.test_loss = num("test_loss");
    r.test_accuracy = num("test_accuracy");
    r.seconds = num("seconds");
    log.epochs.push_back(r);
  }
  return log;
}

std::string SaveTrainingState(NetworkImpl& net, torch::optim::Optimizer& optimizer, NetworkImpl* average) {
  torch::serialize::OutputArchive root, net_ar, adam_ar, ema_ar;
  net.save(net_ar);
  optimizer.save(adam_ar);
  root.write("net", net_ar);
  root.write("adam", adam_ar);
  if (average) {
    average->save(ema_ar);
    root.write("ema", ema_ar);
  }
  std::ostringstream os;
  root.save_to(os);
  return os.str();
}

void LoadTrainingState(const std::string& state, NetworkImpl& net, torch::optim::Optimizer& optimizer,
                       torch::Device device, const std::string& name, NetworkImpl* average) {
  try {
    torch::serialize::InputArchive root, net_ar, adam_ar, ema_ar;
    std::istringstream is(state);
    root.load_from(is, device);
    if (!root.try_read("net", net_ar)) Fail(name, "state has no network (\"net\")");
    if (!root.try_read("adam", adam_ar)) Fail(name, "state has no optimiser state (\"adam\")");
    if (average && !root.try_read("ema", ema_ar)) Fail(name, "state has no weight average (\"ema\")");
    net.load(net_ar);
    optimizer.load(adam_ar);
    if (average) average->load(ema_ar);
  } catch (const c10::Error& e) {
    Fail(name, std::string("network/optimiser state does not fit this run: ") + e.what_without_backtrace());
  }
}

// The layout (checkpoint.h) predates the shared record helper's versioned sections: no
// version field and one CRC-32 over the whole file rather than one per section. It is kept
// as it is (old checkpoints resume) and written with the helper's Sized and Crc32OfAll.
std::string EncodeCheckpoint(const Checkpoint& c) {
  nlohmann::json head = {{"run", c.run}, {"epoch", c.epoch}, {"step", c.step}, {"log", c.log.ToJson()}};
  RecordWriter w(std::string_view(kMagic, 8));
  w.Sized(head.dump());
  w.Sized(c.state);
  w.Crc32OfAll();
  return w.Take();
}

Checkpoint DecodeCheckpoint(const std::string& bytes, const std::string& name) {
  RecordReader r(bytes, [&](const std::string& part, const std::string& problem) { Fail(name, part + ": " + problem); });
  r.Magic(std::string_view(kMagic, 8), "an ascnet checkpoint");
  const std::string header = r.Sized("header");
  std::string state = r.Sized("state");
  r.Crc32OfAll("whole file");
  r.End("whole file", "the CRC-32 (expected " + std::to_string(r.pos()) + " bytes in all)");
  Checkpoint c;
  nlohmann::json head;
  try {
    head = nlohmann::json::parse(header);
    c.run = head.at("run");
    c.epoch = JsonGet<int>(head.at("epoch"));
    c.step = JsonGet<int64_t>(head.at("step"));
    c.log = TrainingLog::FromJson(head.at("log"));
  } catch (const nlohmann::json::exception& e) {
    Fail(name, std::string("malformed header (") + e.what() + ")");
  } catch (const CheckpointError& e) {
    Fail(name, e.what());
  }
  c.state = std::move(state);
  return c;
}

void SaveCheckpoint(const std::string& path, const Checkpoint& c) {
  const std::string bytes = EncodeCheckpoint(c);
  WriteBytesAtomically(path, bytes);
}

Checkpoint LoadCheckpoint(const std::string& path) { return DecodeCheckpoint(ReadFile(path), path); }

}  // namespace ascnet
