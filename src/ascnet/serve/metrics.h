// Counters and histograms of `ascnet serve`, rendered in the Prometheus text format.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ascnet::serve {

class Metrics {
 public:
  Metrics();
  /// A finished HTTP request: `endpoint` is the route ("/v1/classify", ..., "other").
  void Request(const std::string& endpoint, int status, double seconds);
  /// A WebSocket stream ended with `close_code`.
  void StreamClosed(int close_code);
  void Segment(double latency_seconds);   ///< a stream segment answered
  void BytesDecoded(int64_t bytes);       ///< audio bytes accepted for decoding
  void Classified(int64_t segments);      ///< segments of an uploaded recording

  struct Gauges {
    int open_streams = 0, open_connections = 0, queue_depth = 0, busy_workers = 0;
    int64_t batch_calls = 0, batch_segments = 0;
    int64_t body_bytes_reserved = 0;  ///< of --max-body-total, held by requests being read or handled
    std::vector<std::pair<std::string, std::string>> models;  ///< name, arch
  };
  std::string Render(const Gauges& gauges) const;

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<int64_t> counts;  ///< per bound (not cumulative), + one for +Inf
    double sum = 0;
    int64_t n = 0;
    void Observe(double v);
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<int, int64_t> streams_closed_;
  Histogram segment_latency_;
  int64_t segments_streamed_ = 0, segments_classified_ = 0, bytes_decoded_ = 0;
};

}  // namespace ascnet::serve
