// The one C++ error type: carries what an ereport needs (SQLSTATE, message, detail, hint).
#pragma once
#include <exception>
#include <string>

namespace dbos_client {

class Error : public std::exception {
 public:
  Error(const char *sqlstate, std::string message, std::string detail = {}, std::string hint = {})
      : message_(std::move(message)), detail_(std::move(detail)), hint_(std::move(hint)) {
    for (int i = 0; i < 5; i++) sqlstate_[i] = sqlstate[i];
    sqlstate_[5] = '\0';
  }
  const char *what() const noexcept override { return message_.c_str(); }
  const char *sqlstate() const noexcept { return sqlstate_; }
  const std::string &message() const noexcept { return message_; }
  const std::string &detail() const noexcept { return detail_; }
  const std::string &hint() const noexcept { return hint_; }

 private:
  char sqlstate_[6];
  std::string message_, detail_, hint_;
};

// SQLSTATEs we raise ourselves (the README lists them all).
namespace sqlstate {
constexpr const char *null_value = "22004";          // null_value_not_allowed
constexpr const char *invalid_value = "22023";       // invalid_parameter_value
constexpr const char *out_of_range = "22003";        // numeric_value_out_of_range
constexpr const char *datetime_overflow = "22008";   // datetime_field_overflow
constexpr const char *too_long = "22001";            // string_data_right_truncation
constexpr const char *workflow_error = "DB001";      // get_result of a workflow that ended in ERROR
constexpr const char *too_large = "54000";           // program_limit_exceeded
constexpr const char *too_complex = "54001";         // statement_too_complex (nesting)
constexpr const char *internal = "XX000";            // a bug of ours, never expected
}  // namespace sqlstate

}  // namespace dbos_client
