// core/binary_record: the CRC, field encoding and checked reader every binary format uses.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "ascnet/core/binary_record.h"

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

}  // namespace
}  // namespace ascnet
