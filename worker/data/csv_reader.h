// Delimited-text readers for annotation files. ParseCsv follows RFC 4180:
// fields may be quoted with '"', a quoted field may hold the delimiter, line
// breaks and doubled quotes (""), and rows end with LF or CRLF. ParseTsvPlain
// splits on tabs with no quoting at all, for LSMDC, whose sentences contain
// bare '"' characters. Both skip a UTF-8 byte order mark and report
// malformed input as InvalidArgument "source:line: what". Stateless and
// thread-safe.
#ifndef CAMOE_WORKER_DATA_CSV_READER_H_
#define CAMOE_WORKER_DATA_CSV_READER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace camoe::data {

struct CsvRow {
  int line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

// Every row of `text` (from `source`, named in errors), the header included.
// Blank lines are skipped. A row never has zero fields.
absl::StatusOr<std::vector<CsvRow>> ParseCsv(std::string_view text, const std::string& source,
                                             char delimiter = ',');

// Tab-separated rows without quoting; blank lines are skipped.
std::vector<CsvRow> ParseTsvPlain(std::string_view text);

// The non-empty lines of a list file (one id per line), with surrounding
// whitespace (and a CR) removed. A missing final newline is fine.
std::vector<std::string> SplitListLines(std::string_view text);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_CSV_READER_H_
