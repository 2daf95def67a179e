// Plain-text tables for tradectl's output: a header, a rule, aligned rows.
//
//   Table t({{"service", Table::kLeft}, {"ready", Table::kLeft}, {"n", Table::kRight}});
//   t.add_row({"decision", "ready", "12"});
//   std::cout << t.render();
//   // service   ready  n
//   // --------  -----  --
//   // decision  ready  12
//
// Columns are separated by two spaces; lines carry no trailing spaces; widths
// count UTF-8 code points. Thread safety: none (a value type).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tp::tradectl {

class Table {
 public:
  enum Align { kLeft, kRight };
  struct Column {
    std::string title;
    Align align = kLeft;
  };

  explicit Table(std::vector<Column> columns);
  // Missing cells are empty; extra cells are an error caught in tests (ignored).
  void add_row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace tp::tradectl
