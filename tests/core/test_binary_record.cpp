// core/binary_record: the CRC, field encoding and checked reader every binary format uses.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "ascnet/core/binary_record.h"
#include "ascnet/core/error.h"

namespace ascnet {
namespace {

TEST(BinaryRecord, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32(std::string("123456789")), 0xCBF43926u);  // CRC-32/ISO-HDLC check value
  EXPECT_EQ(Crc32(std::string()), 0u);
  EXPECT_EQ(HexU32(0xCBF43926u), "0xcbf43926");
}

TEST(BinaryRecord, FieldsAreLittleEndianAndRoundTrip) {
  std::string s;
  PutU32(s, 0x01020304u);
  PutU64(s, 0x1122334455667788ull);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(static_cast<unsigned char>(s[0]), 0x04);
  EXPECT_EQ(static_cast<unsigned char>(s[4]), 0x88);
  EXPECT_EQ(GetU32(s, 0), 0x01020304u);
  EXPECT_EQ(GetU64(s, 4), 0x1122334455667788ull);
}

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

TEST(BinaryRecord, ReaderReadsInOrderAndNamesWhatATruncationCut) {
  std::string s = "TAG!";
  PutU32(s, 7);
  ByteReader r(s, [](const std::string& part, const std::string& problem) { throw Failure(part + ": " + problem); });
  EXPECT_EQ(r.Bytes(4, "head", "the tag"), "TAG!");
  EXPECT_EQ(r.Uint(4, "head", "the count"), 7u);
  EXPECT_EQ(r.remaining(), 0u);
  try {
    r.Uint(8, "section 2", "the section length");
    FAIL() << "no error for a read past the end";
  } catch (const Failure& e) {
    EXPECT_EQ(std::string(e.what()),
              "section 2: truncated: file ends at byte 8, 8 bytes needed at byte 8 for the section length");
  }
  EXPECT_EQ(r.pos(), 8u);  // a failed read consumes nothing
}

TEST(BinaryRecord, AFailCallbackThatReturnsIsALogicError) {
  ByteReader r(std::string_view(), [](const std::string&, const std::string&) {});
  EXPECT_THROW(r.Bytes(1, "x", "y"), std::logic_error);
}

// ---- RecordWriter / RecordReader ------------------------------------------------------

std::string ThrowingRead(const std::string& bytes, const std::function<void(RecordReader&)>& read) {
  RecordReader r(bytes, [](const std::string& part, const std::string& problem) { throw Failure(part + ": " + problem); });
  try {
    read(r);
  } catch (const Failure& e) {
    return e.what();
  }
  return "";
}

// magic "TESTREC1" | u32 version 3 | section HEAD | sized blob | CRC-32 of all before it
std::string Sample() {
  RecordWriter w("TESTREC1");
  w.U32(3);
  w.Section("HEAD", "{\"a\": 1}");
  w.Sized(std::string("state\0bytes", 11));
  w.Crc32OfAll();
  return w.Take();
}

void ReadSample(RecordReader& r, std::string* head = nullptr, std::string* blob = nullptr) {
  r.Magic("TESTREC1", "a test record");
  EXPECT_EQ(r.Version(3), 3u);
  const std::string h = r.Section("HEAD", 1);
  const std::string b = r.Sized("state");
  r.Crc32OfAll("whole file");
  r.End("container", "the CRC-32");
  if (head) *head = h;
  if (blob) *blob = b;
}

TEST(RecordReader, ReadsWhatRecordWriterWrote) {
  const std::string bytes = Sample();
  // 8 magic + 4 version + (4 tag + 8 length + 4 CRC + 8 payload) + (8 length + 11) + 4 CRC.
  ASSERT_EQ(bytes.size(), 8u + 4 + 24 + 19 + 4);
  EXPECT_EQ(bytes.substr(0, 8), "TESTREC1");
  EXPECT_EQ(GetU32(bytes, 8), 3u);
  EXPECT_EQ(bytes.substr(12, 4), "HEAD");
  EXPECT_EQ(GetU64(bytes, 16), 8u);
  EXPECT_EQ(GetU32(bytes, 24), Crc32(std::string("{\"a\": 1}")));
  EXPECT_EQ(GetU64(bytes, 36), 11u);
  EXPECT_EQ(GetU32(bytes, bytes.size() - 4), Crc32(bytes.data(), bytes.size() - 4));
  std::string head, blob;
  EXPECT_EQ(ThrowingRead(bytes, [&](RecordReader& r) { ReadSample(r, &head, &blob); }), "");
  EXPECT_EQ(head, "{\"a\": 1}");
  EXPECT_EQ(blob, std::string("state\0bytes", 11));
}

TEST(RecordReader, AFlippedByteNamesTheSectionOrTheWholeFileCheck) {
  const std::string good = Sample();
  std::string bad = good;
  bad[30] ^= 0x01;  // inside the HEAD payload (28..35)
  EXPECT_EQ(ThrowingRead(bad, [](RecordReader& r) { ReadSample(r); }).rfind("section 1 (HEAD): CRC-32 mismatch (stored ", 0),
            0u);
  EXPECT_NE(ThrowingRead(bad, [](RecordReader& r) { ReadSample(r); }).find("the file is corrupted"), std::string::npos);
  bad = good;
  bad[12] = 'X';  // the tag
  EXPECT_EQ(ThrowingRead(bad, [](RecordReader& r) { ReadSample(r); }),
            "section 1 (HEAD): tag is \"XEAD\", expected \"HEAD\"");
  bad = good;
  bad[46] ^= 0x40;  // inside the sized blob: only the whole-file CRC covers it
  EXPECT_EQ(ThrowingRead(bad, [](RecordReader& r) { ReadSample(r); }).rfind("whole file: CRC-32 mismatch", 0), 0u);
}

TEST(RecordReader, TruncationAndTrailingBytesAreErrors) {
  const std::string good = Sample();
  for (size_t keep = 0; keep < good.size(); ++keep) {
    const std::string msg = ThrowingRead(good.substr(0, keep), [](RecordReader& r) { ReadSample(r); });
    EXPECT_NE(msg.find("truncated"), std::string::npos) << "kept " << keep << ": " << msg;
  }
  EXPECT_EQ(ThrowingRead(good.substr(0, 20), [](RecordReader& r) { ReadSample(r); }),
            "section 1 (HEAD): truncated: file ends at byte 20, 8 bytes needed at byte 16 for the section length");
  EXPECT_EQ(ThrowingRead(good.substr(0, 30), [](RecordReader& r) { ReadSample(r); }),
            "section 1 (HEAD): truncated: the section length says 8 bytes but only 2 remain");
  EXPECT_EQ(ThrowingRead(good.substr(0, 48), [](RecordReader& r) { ReadSample(r); }),
            "state: truncated: the state length says 11 bytes but only 4 remain");
  EXPECT_EQ(ThrowingRead(good + "xy", [](RecordReader& r) { ReadSample(r); }),
            "container: 2 unexpected bytes after the CRC-32");
}

TEST(RecordReader, WrongMagicOrVersionNamesTheExpectedValue) {
  std::string bad = Sample();
  bad.replace(0, 4, "RIFF");
  EXPECT_EQ(ThrowingRead(bad, [](RecordReader& r) { ReadSample(r); }),
            "magic: found \"RIFFREC1\", expected \"TESTREC1\" (not a test record)");
  // Shorter than the magic: a different start is "not a ...", a prefix of it is truncated.
  EXPECT_EQ(ThrowingRead("ab\x01", [](RecordReader& r) { ReadSample(r); }),
            "magic: found \"ab\\x01\", expected \"TESTREC1\" (not a test record)");
  EXPECT_EQ(ThrowingRead("TEST", [](RecordReader& r) { ReadSample(r); }),
            "magic: truncated: file ends at byte 4, 8 bytes needed at byte 0 for the 8-byte magic \"TESTREC1\"");
  RecordWriter w("TESTREC1");
  w.U32(4);
  EXPECT_EQ(ThrowingRead(w.bytes(), [](RecordReader& r) { ReadSample(r); }),
            "version: unsupported format version 4 (this build reads version 3)");
}

}  // namespace
}  // namespace ascnet
