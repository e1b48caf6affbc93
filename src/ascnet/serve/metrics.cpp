#include "ascnet/serve/metrics.h"

#include <sstream>

namespace ascnet::serve {
namespace {
const std::vector<double> kRequestBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
const std::vector<double> kSegmentBounds = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

std::string Escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') { o += "\\n"; continue; }
    o += c;
  }
  return o;
}

void WriteHistogram(std::ostringstream& os, const std::string& name, const std::string& labels,
                    const std::vector<double>& bounds, const std::vector<int64_t>& counts, double sum, int64_t n) {
  int64_t cum = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < bounds.size(); ++i) {
    cum += counts[i];
    os << name << "_bucket{" << labels << sep << "le=\"" << bounds[i] << "\"} " << cum << "\n";
  }
  os << name << "_bucket{" << labels << sep << "le=\"+Inf\"} " << n << "\n";
  os << name << "_sum" << (labels.empty() ? "" : "{" + labels + "}") << " " << sum << "\n";
  os << name << "_count" << (labels.empty() ? "" : "{" + labels + "}") << " " << n << "\n";
}
}  // namespace

void Metrics::Histogram::Observe(double v) {
  if (counts.empty()) counts.assign(bounds.size() + 1, 0);
  size_t i = 0;
  while (i < bounds.size() && v > bounds[i]) ++i;
  ++counts[i];
  sum += v;
  ++n;
}

Metrics::Metrics() { segment_latency_.bounds = kSegmentBounds; }

void Metrics::Request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{endpoint, status}];
  Histogram& h = latency_[endpoint];
  if (h.bounds.empty()) h.bounds = kRequestBounds;
  h.Observe(seconds);
}

void Metrics::StreamClosed(int close_code) {
  std::lock_guard<std::mutex> lock(mu_);
  ++streams_closed_[close_code];
}

void Metrics::Segment(double latency_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++segments_streamed_;
  segment_latency_.Observe(latency_seconds);
}

void Metrics::BytesDecoded(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_decoded_ += bytes;
}

void Metrics::Classified(int64_t segments) {
  std::lock_guard<std::mutex> lock(mu_);
  segments_classified_ += segments;
}

std::string Metrics::Render(const Gauges& g) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream os;
  os << "# HELP ascnet_requests_total HTTP requests by endpoint and status.\n# TYPE ascnet_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    os << "ascnet_requests_total{endpoint=\"" << Escape(key.first) << "\",status=\"" << key.second << "\"} " << n << "\n";
  }
  os << "# HELP ascnet_request_duration_seconds HTTP request latency (request read to response queued).\n"
        "# TYPE ascnet_request_duration_seconds histogram\n";
  for (const auto& [endpoint, h] : latency_) {
    WriteHistogram(os, "ascnet_request_duration_seconds", "endpoint=\"" + Escape(endpoint) + "\"", h.bounds, h.counts, h.sum, h.n);
  }
  os << "# HELP ascnet_streams_closed_total WebSocket streams ended, by close code.\n# TYPE ascnet_streams_closed_total counter\n";
  for (const auto& [code, n] : streams_closed_) os << "ascnet_streams_closed_total{code=\"" << code << "\"} " << n << "\n";
  os << "# HELP ascnet_stream_segment_latency_seconds From the arrival of a segment's last audio to its answer.\n"
        "# TYPE ascnet_stream_segment_latency_seconds histogram\n";
  std::vector<int64_t> counts = segment_latency_.counts;
  counts.resize(segment_latency_.bounds.size() + 1, 0);
  WriteHistogram(os, "ascnet_stream_segment_latency_seconds", "", segment_latency_.bounds, counts, segment_latency_.sum,
                 segment_latency_.n);
  os << "# HELP ascnet_segments_total Segments classified, by source.\n# TYPE ascnet_segments_total counter\n"
     << "ascnet_segments_total{source=\"classify\"} " << segments_classified_ << "\n"
     << "ascnet_segments_total{source=\"stream\"} " << segments_streamed_ << "\n";
  os << "# HELP ascnet_decoded_bytes_total Audio bytes accepted for decoding (uploads and stream PCM).\n"
        "# TYPE ascnet_decoded_bytes_total counter\nascnet_decoded_bytes_total "
     << bytes_decoded_ << "\n";
  os << "# HELP ascnet_batch_calls_total Batched network calls.\n# TYPE ascnet_batch_calls_total counter\n"
     << "ascnet_batch_calls_total " << g.batch_calls << "\n";
  os << "# HELP ascnet_batch_segments_total Segments scored by batched network calls.\n"
        "# TYPE ascnet_batch_segments_total counter\nascnet_batch_segments_total "
     << g.batch_segments << "\n";
  os << "# HELP ascnet_open_streams Open WebSocket streams.\n# TYPE ascnet_open_streams gauge\nascnet_open_streams "
     << g.open_streams << "\n";
  os << "# HELP ascnet_open_connections Open connections.\n# TYPE ascnet_open_connections gauge\nascnet_open_connections "
     << g.open_connections << "\n";
  os << "# HELP ascnet_queue_depth Jobs waiting for a worker.\n# TYPE ascnet_queue_depth gauge\nascnet_queue_depth "
     << g.queue_depth << "\n";
  os << "# HELP ascnet_busy_workers Workers running a job.\n# TYPE ascnet_busy_workers gauge\nascnet_busy_workers "
     << g.busy_workers << "\n";
  os << "# HELP ascnet_body_bytes_reserved Request body bytes reserved of --max-body-total.\n"
        "# TYPE ascnet_body_bytes_reserved gauge\nascnet_body_bytes_reserved "
     << g.body_bytes_reserved << "\n";
  os << "# HELP ascnet_model_info Loaded models.\n# TYPE ascnet_model_info gauge\n";
  for (const auto& [name, arch] : g.models) {
    os << "ascnet_model_info{model=\"" << Escape(name) << "\",arch=\"" << Escape(arch) << "\"} 1\n";
  }
  return os.str();
}

}  // namespace ascnet::serve
