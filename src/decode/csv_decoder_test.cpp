#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "decode/decoder.h"

namespace pixguard {
namespace {

// A foreign data set's column names (the fraud-detection handbook's simulated transactions).
FieldMapping handbook_mapping() {
  FieldMapping m;
  m.source_names[static_cast<std::size_t>(Field::kEventTime)] = "TX_DATETIME";
  m.source_names[static_cast<std::size_t>(Field::kPayerAccount)] = "CUSTOMER_ID";
  m.source_names[static_cast<std::size_t>(Field::kPayeeAccount)] = "TERMINAL_ID";
  m.source_names[static_cast<std::size_t>(Field::kAmount)] = "TX_AMOUNT";
  m.source_names[static_cast<std::size_t>(Field::kLabel)] = "TX_FRAUD";
  m.source_names[static_cast<std::size_t>(Field::kDescription)] = "NOTE";
  return m;
}

constexpr std::string_view kHeader = "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,NOTE";

// Decodes lines the way sources hand them over: followed by kMessagePadding readable bytes
// (filled with a delimiter and a quote, so that reading past the line shows up).
class CsvDecoding {
 public:
  CsvDecoding(const FieldMapping& mapping, std::string_view header, char delimiter = ',') {
    status_ = make_csv_decoder(mapping, header, delimiter, &decoder_);
  }

  const Status& status() const { return status_; }

  bool decode(std::string_view line) {
    buffer_.assign(line);
    for (std::size_t i = 0; i < kMessagePadding; ++i) buffer_.push_back(i % 2 == 0 ? ',' : '"');
    arena_.reset(line.size() + 4096);
    why_ = Rejection{};
    return decoder_->decode(std::string_view(buffer_.data(), line.size()), &arena_, &values_, &why_);
  }

  const FieldValue& operator[](Field f) const { return values_[f]; }
  const Rejection& why() const { return why_; }

 private:
  Status status_;
  std::unique_ptr<Decoder> decoder_;
  std::string buffer_;
  TextArena arena_;
  FieldValues values_;
  Rejection why_;
};

void expect_string(const FieldValue& v, std::string_view text) {
  EXPECT_EQ(v.kind, ValueKind::kString) << text;
  EXPECT_EQ(v.text, text);
}

// ---- header --------------------------------------------------------------------------------

TEST(CsvDecoder, HeaderNamesTheColumns) {
  CsvDecoding d(handbook_mapping(), kHeader);
  ASSERT_TRUE(d.status().ok()) << d.status().message();
  ASSERT_TRUE(d.decode("0,2018-04-01 00:00:31,596,3156,57.16,0,first")) << d.why().rule;
  expect_string(d[Field::kEventTime], "2018-04-01 00:00:31");
  expect_string(d[Field::kPayerAccount], "596");
  expect_string(d[Field::kPayeeAccount], "3156");
  expect_string(d[Field::kAmount], "57.16");
  expect_string(d[Field::kLabel], "0");
  expect_string(d[Field::kDescription], "first");
  // TRANSACTION_ID is not mapped; unmapped fields stay absent.
  EXPECT_EQ(d[Field::kEndToEndId].kind, ValueKind::kAbsent);
  EXPECT_EQ(d[Field::kPayerIspb].kind, ValueKind::kAbsent);
}

TEST(CsvDecoder, ColumnOrderComesFromTheHeader) {
  CsvDecoding d(handbook_mapping(), "NOTE,TX_FRAUD,TX_AMOUNT,TERMINAL_ID,CUSTOMER_ID,TX_DATETIME,TRANSACTION_ID");
  ASSERT_TRUE(d.status().ok()) << d.status().message();
  ASSERT_TRUE(d.decode("n,1,10.00,T,C,2018-04-01 00:00:31,7")) << d.why().rule;
  expect_string(d[Field::kDescription], "n");
  expect_string(d[Field::kLabel], "1");
  expect_string(d[Field::kAmount], "10.00");
  expect_string(d[Field::kPayeeAccount], "T");
  expect_string(d[Field::kPayerAccount], "C");
  expect_string(d[Field::kEventTime], "2018-04-01 00:00:31");
}

TEST(CsvDecoder, MissingMappedColumnIsNamed) {
  std::unique_ptr<Decoder> decoder;
  const Status s = make_csv_decoder(handbook_mapping(), "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_FRAUD,NOTE",
                                    ',', &decoder);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("TX_AMOUNT"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("amount"), std::string::npos) << s.message();
  EXPECT_FALSE(decoder);
}

TEST(CsvDecoder, EveryMissingMappedColumnIsNamed) {
  std::unique_ptr<Decoder> decoder;
  const Status s = make_csv_decoder(handbook_mapping(), "TRANSACTION_ID,TX_DATETIME,TERMINAL_ID,TX_FRAUD", ',', &decoder);
  ASSERT_FALSE(s.ok());
  for (const char* column : {"CUSTOMER_ID", "TX_AMOUNT", "NOTE"}) {
    EXPECT_NE(s.message().find(column), std::string::npos) << column << " in: " << s.message();
  }
  EXPECT_EQ(s.message().find("TX_DATETIME"), std::string::npos) << s.message();
}

TEST(CsvDecoder, ColumnNamesMatchExactly) {
  std::unique_ptr<Decoder> decoder;
  // Case and surrounding spaces matter: "tx_amount" and " TX_AMOUNT" are other columns.
  EXPECT_FALSE(make_csv_decoder(handbook_mapping(),
                                "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,tx_amount,TX_FRAUD,NOTE", ',', &decoder)
                   .ok());
  EXPECT_FALSE(make_csv_decoder(handbook_mapping(),
                                "TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID, TX_AMOUNT,TX_FRAUD,NOTE", ',', &decoder)
                   .ok());
}

TEST(CsvDecoder, QuotedHeaderNames) {
  CsvDecoding d(handbook_mapping(),
                R"("TRANSACTION_ID","TX_DATETIME","CUSTOMER_ID","TERMINAL_ID","TX_AMOUNT","TX_FRAUD","NOTE")");
  ASSERT_TRUE(d.status().ok()) << d.status().message();
  ASSERT_TRUE(d.decode("0,2018-04-01 00:00:31,596,3156,57.16,0,x")) << d.why().rule;
  expect_string(d[Field::kAmount], "57.16");
}

TEST(CsvDecoder, ByteOrderMarkInTheHeader) {
  CsvDecoding d(handbook_mapping(), "\xEF\xBB\xBF" "TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,NOTE");
  ASSERT_TRUE(d.status().ok()) << d.status().message();
  ASSERT_TRUE(d.decode("2018-04-01 00:00:31,596,3156,57.16,0,x")) << d.why().rule;
  expect_string(d[Field::kEventTime], "2018-04-01 00:00:31");
}

// ---- cells ---------------------------------------------------------------------------------

TEST(CsvDecoder, QuotedCells) {
  CsvDecoding d(handbook_mapping(), kHeader);
  ASSERT_TRUE(d.status().ok());
  ASSERT_TRUE(d.decode(R"("0","2018-04-01 00:00:31","5,96","a ""quoted"" word",57.16,"0","""")"))
      << d.why().rule << ": " << d.why().detail;
  expect_string(d[Field::kEventTime], "2018-04-01 00:00:31");
  expect_string(d[Field::kPayerAccount], "5,96");                // delimiter inside quotes
  expect_string(d[Field::kPayeeAccount], R"(a "quoted" word)");  // "" is one quote
  expect_string(d[Field::kAmount], "57.16");
  expect_string(d[Field::kLabel], "0");
  expect_string(d[Field::kDescription], R"(")");                 // a cell holding one quote
}

TEST(CsvDecoder, QuotedCellKeepsMultiByteText) {
  CsvDecoding d(handbook_mapping(), kHeader);
  ASSERT_TRUE(d.decode("0,t,c,p,1.00,0,\"caf\xC3\xA9, p\xC3\xA3o\"")) << d.why().rule;
  expect_string(d[Field::kDescription], "caf\xC3\xA9, p\xC3\xA3o");
}

TEST(CsvDecoder, EmptyCellIsNull) {
  CsvDecoding d(handbook_mapping(), kHeader);
  ASSERT_TRUE(d.decode("0,,596,,57.16,,")) << d.why().rule;
  EXPECT_EQ(d[Field::kEventTime].kind, ValueKind::kNull);
  EXPECT_EQ(d[Field::kPayeeAccount].kind, ValueKind::kNull);
  EXPECT_EQ(d[Field::kLabel].kind, ValueKind::kNull);
  EXPECT_EQ(d[Field::kDescription].kind, ValueKind::kNull);  // the last cell, after a trailing delimiter
  expect_string(d[Field::kPayerAccount], "596");

  // First cell empty.
  CsvDecoding first(handbook_mapping(), "TX_AMOUNT,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_FRAUD,NOTE");
  ASSERT_TRUE(first.decode(",t,c,p,0,n")) << first.why().rule;
  EXPECT_EQ(first[Field::kAmount].kind, ValueKind::kNull);
}

TEST(CsvDecoder, QuotedEmptyCellIsAnEmptyString) {
  CsvDecoding d(handbook_mapping(), kHeader);
  ASSERT_TRUE(d.decode(R"(0,t,c,p,1.00,0,"")")) << d.why().rule;
  EXPECT_EQ(d[Field::kDescription].kind, ValueKind::kString);
  EXPECT_TRUE(d[Field::kDescription].text.empty());
}

TEST(CsvDecoder, SpacesAreKept) {
  CsvDecoding d(handbook_mapping(), kHeader);
  ASSERT_TRUE(d.decode("0, t ,c,p,1.00,0, ")) << d.why().rule;
  expect_string(d[Field::kEventTime], " t ");
  expect_string(d[Field::kDescription], " ");
}

// ---- rejections ----------------------------------------------------------------------------

TEST(CsvDecoder, TooManyColumns) {
  CsvDecoding d(handbook_mapping(), kHeader);
  EXPECT_FALSE(d.decode("0,t,c,p,1.00,0,n,extra"));
  EXPECT_EQ(d.why().rule, "column_count");
  EXPECT_FALSE(d.decode("0,t,c,p,1.00,0,n,"));  // a trailing delimiter opens an 8th cell
  EXPECT_EQ(d.why().rule, "column_count");
  EXPECT_EQ(d.why().field, -1);
}

TEST(CsvDecoder, TooFewColumns) {
  CsvDecoding d(handbook_mapping(), kHeader);
  EXPECT_FALSE(d.decode("0,t,c,p,1.00,0"));
  EXPECT_EQ(d.why().rule, "column_count");
  EXPECT_FALSE(d.decode(""));
  EXPECT_EQ(d.why().rule, "column_count");
  EXPECT_FALSE(d.decode("0,t,c,p,1.00,\"0,n\""));  // the delimiter is inside quotes
  EXPECT_EQ(d.why().rule, "column_count");
}

TEST(CsvDecoder, QuoteInsideAnUnquotedCell) {
  CsvDecoding d(handbook_mapping(), kHeader);
  EXPECT_FALSE(d.decode(R"(0,t,c,p,1.00,0,say "oi")"));
  EXPECT_EQ(d.why().rule, "csv_quoting");
  EXPECT_FALSE(d.decode(R"(0,t,c",p,1.00,0,n)"));
  EXPECT_EQ(d.why().rule, "csv_quoting");
}

TEST(CsvDecoder, UnterminatedQuote) {
  CsvDecoding d(handbook_mapping(), kHeader);
  EXPECT_FALSE(d.decode(R"(0,t,c,p,1.00,0,"open)"));
  EXPECT_EQ(d.why().rule, "csv_quoting");
  EXPECT_FALSE(d.decode(R"(0,"t,c,p,1.00,0,n)"));
  EXPECT_EQ(d.why().rule, "csv_quoting");
  EXPECT_FALSE(d.decode(R"(0,t,c,p,1.00,0,"ends with an escaped quote"")"));
  EXPECT_EQ(d.why().rule, "csv_quoting");
}

TEST(CsvDecoder, TextAfterAClosingQuote) {
  CsvDecoding d(handbook_mapping(), kHeader);
  EXPECT_FALSE(d.decode(R"(0,"t"x,c,p,1.00,0,n)"));
  EXPECT_EQ(d.why().rule, "csv_quoting");
  EXPECT_FALSE(d.decode(R"(0,t,c,p,1.00,0,"n" )"));
  EXPECT_EQ(d.why().rule, "csv_quoting");
}

TEST(CsvDecoder, InvalidUtf8IsRejected) {
  CsvDecoding d(handbook_mapping(), kHeader);
  EXPECT_FALSE(d.decode("0,t,c,p,1.00,0,caf\xE9"));
  EXPECT_EQ(d.why().rule, "invalid_utf8");
  EXPECT_FALSE(d.decode("0,t,c,p,1.00,0,\"\xFF\""));
  EXPECT_EQ(d.why().rule, "invalid_utf8");
}

// ---- line endings and delimiters -----------------------------------------------------------

TEST(CsvDecoder, CrLfLineEndings) {
  CsvDecoding d(handbook_mapping(), std::string(kHeader) + "\r");  // the header's own CR too
  ASSERT_TRUE(d.status().ok()) << d.status().message();             // NOTE, not "NOTE\r"
  ASSERT_TRUE(d.decode("0,t,c,p,1.00,0,last\r")) << d.why().rule;
  expect_string(d[Field::kDescription], "last");
  ASSERT_TRUE(d.decode("0,t,c,p,1.00,0,\"quoted last\"\r")) << d.why().rule;
  expect_string(d[Field::kDescription], "quoted last");
  ASSERT_TRUE(d.decode("0,t,c,p,1.00,0,\r")) << d.why().rule;
  EXPECT_EQ(d[Field::kDescription].kind, ValueKind::kNull);
}

TEST(CsvDecoder, ByteOrderMarkAndCrLfTogether) {
  CsvDecoding d(handbook_mapping(), "\xEF\xBB\xBF" "TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,NOTE\r");
  ASSERT_TRUE(d.status().ok()) << d.status().message();
  ASSERT_TRUE(d.decode("t,c,p,1.00,0,n\r")) << d.why().rule;
  expect_string(d[Field::kEventTime], "t");
  expect_string(d[Field::kDescription], "n");
}

TEST(CsvDecoder, CustomDelimiter) {
  CsvDecoding d(handbook_mapping(), "TRANSACTION_ID;TX_DATETIME;CUSTOMER_ID;TERMINAL_ID;TX_AMOUNT;TX_FRAUD;NOTE", ';');
  ASSERT_TRUE(d.status().ok()) << d.status().message();
  ASSERT_TRUE(d.decode(R"(0;2018-04-01 00:00:31;5,96;"a;b";57.16;0;x,y)")) << d.why().rule;
  expect_string(d[Field::kPayerAccount], "5,96");  // a comma is an ordinary character here
  expect_string(d[Field::kPayeeAccount], "a;b");
  expect_string(d[Field::kAmount], "57.16");
  expect_string(d[Field::kDescription], "x,y");
  EXPECT_FALSE(d.decode("0,t,c,p,1.00,0,n"));  // one column under ';'
  EXPECT_EQ(d.why().rule, "column_count");
}

TEST(CsvDecoder, CustomDelimiterInTheHeaderOnly) {
  // A ';' file described as ',' has one column, which lacks the mapped names.
  std::unique_ptr<Decoder> decoder;
  const Status s = make_csv_decoder(handbook_mapping(), "TX_DATETIME;CUSTOMER_ID;TERMINAL_ID;TX_AMOUNT;TX_FRAUD;NOTE",
                                    ',', &decoder);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("TX_DATETIME"), std::string::npos) << s.message();
}

// ---- reuse ---------------------------------------------------------------------------------

TEST(CsvDecoder, ReuseClearsThePreviousRecord) {
  CsvDecoding d(handbook_mapping(), kHeader);
  ASSERT_TRUE(d.decode("0,t,c,p,1.00,0,n"));
  EXPECT_FALSE(d.decode("0,t,c"));
  ASSERT_TRUE(d.decode("1,u,,q,2.00,1,\"m\""));
  expect_string(d[Field::kEventTime], "u");
  EXPECT_EQ(d[Field::kPayerAccount].kind, ValueKind::kNull);
  expect_string(d[Field::kAmount], "2.00");
  expect_string(d[Field::kDescription], "m");
}

}  // namespace
}  // namespace pixguard
