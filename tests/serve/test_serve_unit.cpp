// The plain-C++ parts of `ascnet serve`: multipart and query parsing, the stream protocol,
// PCM decoding across split frames, the bounded pool, options.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>

#include "ascnet/audio/pcm.h"
#include "ascnet/core/error.h"
#include "ascnet/serve/batcher.h"
#include "ascnet/serve/options.h"
#include "ascnet/serve/pool.h"
#include "ascnet/serve/protocol.h"

using namespace ascnet;
using namespace ascnet::serve;

namespace {
int CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ProtocolError& e) {
    return e.code();
  }
  return 0;
}
}  // namespace

TEST(ServeMultipart, PicksTheFileFieldAndKeepsBinaryBytes) {
  const std::string bin("RIFF\0\r\n--x\r\nabc", 16);
  const std::string body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                           "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".wav\"\r\n"
                           "Content-Type: audio/wav\r\n\r\n" + bin + "\r\n--XyZ--\r\n";
  const std::string boundary = MultipartBoundary("multipart/form-data; boundary=XyZ");
  EXPECT_EQ(boundary, "XyZ");
  const MultipartFile f = ParseMultipart(body, boundary);
  EXPECT_EQ(f.field, "file");
  EXPECT_EQ(f.filename, "a \"b\".wav");
  EXPECT_EQ(f.content_type, "audio/wav");
  EXPECT_EQ(std::string(f.data), bin);
  EXPECT_EQ(MultipartBoundary("multipart/form-data; charset=utf-8; boundary=\"q r\""), "q r");
}

TEST(ServeMultipart, MalformedBodiesAre400WithAReason) {
  EXPECT_EQ(CodeOf([] { MultipartBoundary("multipart/form-data"); }), 400);
  const std::string b = "B";
  for (const std::string& body : {std::string("no boundary at all"),
                                 std::string("--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata"),  // truncated
                                 std::string("--B\r\nbad header line\r\n\r\nx\r\n--B--"),
                                 std::string("--Bjunk"),
                                 std::string("--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B--")}) {
    EXPECT_EQ(CodeOf([&] { ParseMultipart(body, b); }), 400) << body;
  }
  try {
    ParseMultipart("--B\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata", b);
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(ServeQuery, DecodesAndRejects) {
  const auto q = ParseQuery("model=a%2Eb&segments=true&x=1+2&&flag");
  EXPECT_EQ(q.at("model"), "a.b");
  EXPECT_EQ(q.at("x"), "1 2");
  EXPECT_EQ(q.at("flag"), "");
  EXPECT_TRUE(ParseBool("segments", q.at("segments")));
  EXPECT_FALSE(ParseBool("segments", ""));
  EXPECT_EQ(CodeOf([] { ParseBool("segments", "maybe"); }), 400);
  EXPECT_EQ(CodeOf([] { ParseQuery("a=%4"); }), 400);
  EXPECT_EQ(CodeOf([] { ParseQuery("a=%zz"); }), 400);
  std::string many;
  for (int i = 0; i < 40; ++i) many += "k" + std::to_string(i) + "=1&";
  EXPECT_EQ(CodeOf([&] { ParseQuery(many); }), 400);
}

TEST(ServeStreamProtocol, HeaderThenAudioThenEnd) {
  StreamProtocol p(1.0);
  EXPECT_EQ(CodeOf([&] { StreamProtocol(1.0).OnMessage(false, "abcd"); }), kClosePolicy);
  EXPECT_EQ(p.OnMessage(true, R"({"model":"m","sample_rate":8000,"channels":2,"format":"float32"})"),
            StreamProtocol::Event::kHeader);
  EXPECT_EQ(p.header().model, "m");
  EXPECT_EQ(p.header().channels, 2);
  EXPECT_EQ(p.header().format, PcmFormat::kF32le);
  EXPECT_EQ(p.OnMessage(false, std::string(8000 * 8 - 3, '\0')), StreamProtocol::Event::kAudio);
  EXPECT_NEAR(p.seconds(), 7999.0 / 8000, 1e-12);
  EXPECT_EQ(CodeOf([&] { p.OnMessage(true, "hello"); }), kCloseUnsupported);
  EXPECT_EQ(CodeOf([&] { p.OnMessage(false, std::string(64, '\0')); }), kCloseTooBig);  // over 1 s
  StreamProtocol q(10);
  q.OnMessage(true, R"({"sample_rate":16000})");
  EXPECT_EQ(q.header().format, PcmFormat::kS16le);
  EXPECT_EQ(q.OnMessage(true, R"({"type":"end"})"), StreamProtocol::Event::kEnd);
  EXPECT_EQ(CodeOf([&] { q.OnMessage(false, "ab"); }), kClosePolicy);
}

TEST(ServeStreamProtocol, BadHeadersNameTheField) {
  for (const char* h : {"not json", "[1]", "{}", R"({"sample_rate":"16000"})", R"({"sample_rate":10})",
                        R"({"sample_rate":16000,"channels":0})", R"({"sample_rate":16000,"format":"mp3"})",
                        R"({"sample_rate":16000,"rate":1})", R"({"sample_rate":16000,"model":3})"}) {
    EXPECT_EQ(CodeOf([&] { ParseStreamHeader(h); }), kClosePolicy) << h;
  }
  try {
    ParseStreamHeader(R"({"sample_rate":16000,"format":"mp3"})");
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("format"), std::string::npos) << e.what();
  }
}

TEST(ServePcm, SplitFramesDecodeLikeWholeOnes) {
  for (PcmFormat f : {PcmFormat::kS16le, PcmFormat::kF32le}) {
    const int channels = 3, sb = PcmSampleBytes(f);
    std::vector<unsigned char> bytes(static_cast<size_t>(sb * channels * 101));
    for (size_t i = 0; i < bytes.size() / sb; ++i) {
      const float v = static_cast<float>(std::sin(0.1 * static_cast<double>(i)) * 0.5);
      if (f == PcmFormat::kS16le) {
        const auto s = static_cast<int16_t>(v * 30000);
        bytes[2 * i] = static_cast<unsigned char>(s & 0xff);
        bytes[2 * i + 1] = static_cast<unsigned char>((s >> 8) & 0xff);
      } else {
        std::memcpy(&bytes[4 * i], &v, 4);
      }
    }
    std::vector<float> whole, split;
    PcmDecoder(f, channels).Decode(bytes.data(), bytes.size(), &whole);
    PcmDecoder d(f, channels);
    for (size_t pos = 0, step = 1; pos < bytes.size(); pos += step, step = step % 7 + 1) {
      d.Decode(bytes.data() + pos, std::min(step, bytes.size() - pos), &split);
    }
    EXPECT_EQ(whole, split);
    EXPECT_EQ(whole.size(), 101u);
    EXPECT_EQ(d.carry(), 0u);
  }
  const float nan = std::nanf(""), big = 1e9f;
  for (float bad : {nan, big}) {
    std::vector<float> out;
    EXPECT_THROW(PcmDecoder(PcmFormat::kF32le, 1).Decode(&bad, 4, &out), AudioError);
  }
  EXPECT_THROW(PcmDecoder(PcmFormat::kS16le, 0), ConfigError);
}

namespace {
// Jobs that hold their worker until Open(), to fill a pool deterministically.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::function<void()> Job(std::atomic<int>* ran) {
    return [this, ran] {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return open; });
      ++*ran;
    };
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};
}  // namespace

TEST(ServePool, BoundedQueueRefusesAndRunsEverythingAccepted) {
  WorkerPool pool(1, 1);
  Gate gate;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit(gate.Job(&ran)));  // runs (or waits for the idle worker)
  // Wait until the worker has taken it, so that the queue is empty.
  while (pool.busy() == 0) std::this_thread::yield();
  EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));   // queued
  EXPECT_FALSE(pool.TrySubmit([&] { ++ran; }));  // queue full
  EXPECT_EQ(pool.queued(), 1);
  gate.Open();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 2);
  EXPECT_FALSE(pool.TrySubmit([] {}));
}

// A job's reply (the response to its client) runs once the worker counts as free: a client
// that sends its next request as soon as it has the answer must not get 503 from a pool
// without a queue (the e2e test's "a good request after 503s" failed on a loaded machine).
TEST(ServePool, ReplyRunsAfterTheWorkerIsFree) {
  WorkerPool pool(1, 0);
  std::promise<std::pair<int, bool>> seen;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmitWithReply([&]() -> std::function<void()> {
    ++ran;
    return [&] { seen.set_value({pool.busy(), pool.TrySubmit([&] { ++ran; })}); };
  }));
  const auto [busy, accepted] = seen.get_future().get();
  EXPECT_EQ(busy, 0);
  EXPECT_TRUE(accepted) << "the next job was refused while the reply ran";
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 2);
}

TEST(ServePool, ShutdownCanDropWhatIsQueued) {
  WorkerPool pool(1, 4);
  Gate gate;
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit(gate.Job(&ran)));
  while (pool.busy() == 0) std::this_thread::yield();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pool.TrySubmit([&] { ++ran; }));
  std::thread stopper([&] { pool.Shutdown(/*drop_queued=*/true); });
  while (pool.queued() != 0) std::this_thread::yield();  // dropped, never run
  gate.Open();
  stopper.join();
  EXPECT_EQ(ran.load(), 1);  // only the job that was running
}

// Per-request mode (kernels whose rows depend on their batch): concurrent callers are never
// joined, however long the batching window; each gets its own rows; and joining mode with
// the same callers does join them (so the test can tell the two apart).
TEST(ServeBatcher, PerRequestModeNeverJoinsCallsAndJoiningModeDoes) {
  for (bool join : {false, true}) {
    std::mutex mu;
    std::vector<int64_t> call_rows;
    ascnet::serve::BatchOptions o;
    o.max_batch = 64;
    o.max_wait_ms = join ? 30000 : 0;  // joining: wait until all 6 callers arrived (max_batch 6 below)
    o.join_requests = join;
    if (join) o.max_batch = 6;
    ascnet::serve::Batcher batcher(
        [&](const float* s, int64_t n) {
          {
            std::lock_guard<std::mutex> lock(mu);
            call_rows.push_back(n);
          }
          ascnet::DoubleMatrix m(n, 1, std::vector<double>(static_cast<size_t>(n)));
          for (int64_t r = 0; r < n; ++r) m(r, 0) = s[r * 2] + 0.5;  // row r's own first float
          return m;
        },
        /*segment_floats=*/2, o);
    std::vector<std::thread> threads;
    std::vector<ascnet::DoubleMatrix> got(6);
    std::vector<std::vector<float>> inputs(6);
    for (int i = 0; i < 6; ++i) {
      inputs[i] = {static_cast<float>(10 * i), 0.f};
      threads.emplace_back([&, i] { got[i] = batcher.Score(inputs[i].data(), 1); });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < 6; ++i) EXPECT_EQ(got[i](0, 0), 10 * i + 0.5) << "caller " << i << " join " << join;
    const ascnet::serve::BatchStats st = batcher.stats();
    EXPECT_EQ(st.requests, 6);
    EXPECT_EQ(st.calls, join ? 1 : 6) << "join " << join;
    EXPECT_EQ(st.max_batch_seen, join ? 6 : 1) << "join " << join;
  }
}

TEST(ServeOptions, ValidateNamesTheField) {
  ServeOptions o;
  EXPECT_THROW(o.Validate(), ConfigError);  // no model
  o.models.push_back(ParseModelSpec("runs/x/model.ascnet"));
  EXPECT_EQ(o.models[0].name, "model");
  o.Validate();
  EXPECT_NE(o.ToString().find("host=127.0.0.1"), std::string::npos);
  auto expect_field = [&](const std::function<void(ServeOptions&)>& change, const std::string& field) {
    ServeOptions bad = o;
    change(bad);
    try {
      bad.Validate();
      ADD_FAILURE() << field << " accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  expect_field([](ServeOptions& b) { b.port = 70000; }, "port");
  expect_field([](ServeOptions& b) { b.max_body = 10; }, "max_body");
  expect_field([](ServeOptions& b) { b.max_body_total = b.max_body - 1; }, "max_body_total");
  expect_field([](ServeOptions& b) { b.workers = 0; }, "workers");
  expect_field([](ServeOptions& b) { b.scorer = "x"; }, "scorer");
  expect_field([](ServeOptions& b) { b.models.push_back(b.models[0]); }, "given twice");
  EXPECT_THROW(ParseModelSpec("bad name=x.ascnet"), ConfigError);
  EXPECT_EQ(ParseModelSpec("a=b/c.ascnet").path, "b/c.ascnet");
}
