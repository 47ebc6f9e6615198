// Cron validation, ported from DBOS TypeScript 5.3's scheduler/crontab.js (itself based on
// node-cron 4.6.0): the same conversions (nicknames, names, '*', ranges with steps and
// wrap-around, L/W/#/? tokens) and the same checks, so that SQL refuses exactly the
// schedules DBOS refuses, with DBOS's reason. Pure C++.
#include "pure_cpp.hpp"
#include "cron.hpp"

#include <algorithm>
#include <limits>
#include <cctype>
#include <cstring>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "error.hpp"

namespace dbos_client::cron {
namespace {

using Tokens = std::vector<std::string>;  // a field's values: digits, or a kept token
using Fields = std::vector<Tokens>;

std::string lower(std::string s) {
  for (char &c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}
std::string upper(std::string s) {
  for (char &c : s) c = (char)std::toupper((unsigned char)c);
  return s;
}
std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\r\n\v\f"), e = s.find_last_not_of(" \t\r\n\v\f");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}
Tokens split(const std::string &s, char sep) {
  Tokens out;
  size_t start = 0;
  for (;;) {
    size_t i = s.find(sep, start);
    out.push_back(s.substr(start, i == std::string::npos ? std::string::npos : i - start));
    if (i == std::string::npos) return out;
    start = i + 1;
  }
}
std::string join(const Tokens &t) {
  std::string out;
  for (size_t i = 0; i < t.size(); i++) out += (i ? "," : "") + t[i];
  return out;
}
bool all_digits(const std::string &s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
// JavaScript's parseInt on a digit string, saturated far above any field bound.
long long to_int(const std::string &s) {
  long long v = 0;
  for (char c : s) {
    v = v * 10 + (c - '0');
    if (v > 1000000000LL) return 1000000000LL;
  }
  return v;
}
// parseInt(`${value}`, 10): leading digits (after an optional sign), else NaN (-1 here: no value).
bool leading_int(const std::string &s, long long *out) {
  size_t i = 0;
  while (i < s.size() && std::isspace((unsigned char)s[i])) i++;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  size_t j = i;
  while (j < s.size() && s[j] >= '0' && s[j] <= '9') j++;
  if (j == i) return false;
  *out = to_int(s.substr(i, j - i)) * (neg ? -1 : 1);
  return true;
}

std::string resolve_nickname(const std::string &expr) {
  static const char *const names[][2] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
                                         {"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
                                         {"@hourly", "0 * * * *"}};
  std::string key = lower(trim(expr));
  for (auto &n : names)
    if (key == n[0]) return n[1];
  return expr;
}
std::string remove_extra_spaces(const std::string &s) {
  static const std::regex spaces("\\s{2,}");
  return trim(std::regex_replace(s, spaces, " "));
}
std::string replace_names(std::string expr, const char *const *items, int count, int base) {
  for (int i = 0; i < count; i++)
    expr = std::regex_replace(expr, std::regex(items[i], std::regex::icase), std::to_string(i + base));
  return expr;
}
std::string convert_asterisk(const std::string &expr, const char *replacement) {
  Tokens t = split(expr, ',');
  for (auto &tok : t) {
    size_t star = tok.find('*');
    if (star != std::string::npos) tok.replace(star, 1, replacement);
  }
  return join(t);
}

struct Bounds {
  long long min, max;
};
const Bounds kBounds[6] = {{0, 59}, {0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 6}};

// One `a-b` or `a-b/step` token as a list; a token DBOS would not expand stays as it is.
std::string expand_range(const std::string &init, const std::string &end, const std::string &step_txt, Bounds b,
                         const std::string &token) {
  long long step = to_int(step_txt);
  if (step < 1) return init + "-" + end + "/" + step_txt;
  long long first = to_int(init), last = to_int(end);
  Tokens numbers;
  if (first <= last) {
    // More values than any field has: some lie outside it, and DBOS refuses the field.
    if ((last - first) / step > 1000) return token + "!";
    for (long long i = first; i <= last; i += step) numbers.push_back(std::to_string(i));
    return join(numbers);
  }
  long long size = b.max - b.min + 1;
  long long span = (((last - first) % size) + size) % size;
  for (long long offset = 0; offset <= span; offset += step) {
    long long value = first + offset;
    if (value > b.max) value -= size;
    numbers.push_back(std::to_string(value));
  }
  return join(numbers);
}
std::string convert_range(const std::string &expr, Bounds b) {
  static const std::regex range("^(\\d+)-(\\d+)(?:/(\\d+))?$");
  Tokens t = split(expr, ',');
  for (auto &tok : t) {
    std::smatch m;
    std::string trimmed = trim(tok);
    if (std::regex_match(trimmed, m, range))
      tok = expand_range(m[1].str(), m[2].str(), m[3].matched ? m[3].str() : "1", b, tok);
  }
  return join(t);
}

Tokens normalize(const std::string &expr) {
  static const std::regex l_offset("^l-\\d{1,2}$", std::regex::icase), n_l("^[0-7]l$", std::regex::icase);
  Tokens out;
  for (const auto &raw : split(expr, ',')) {
    std::string tok = trim(raw);
    if (all_digits(tok))
      out.push_back(std::to_string(to_int(tok)));
    else if (lower(tok) == "l" || std::regex_match(tok, l_offset) || std::regex_match(tok, n_l) ||
             lower(tok).find('w') != std::string::npos)
      out.push_back(upper(tok));
    else
      out.push_back(tok);  // kept verbatim, for validation to refuse
  }
  return out;
}

Fields convert_expression(const std::string &crontab) {
  static const char *const months[] = {"january", "february", "march",     "april",   "may",      "june",
                                       "july",    "august",   "september", "october", "november", "december"};
  static const char *const short_months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec"};
  static const char *const week_days[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
  static const char *const short_week_days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  Tokens e = split(remove_extra_spaces(resolve_nickname(crontab)), ' ');
  if (e.size() == 5) e.insert(e.begin(), "0");
  if (e.size() < 6) e.resize(6);  // not reached after the field count check
  if (e[3] == "?") e[3] = "*";
  if (e[5] == "?") e[5] = "*";
  e[4] = replace_names(replace_names(e[4], months, 12, 1), short_months, 12, 1);
  e[5] = replace_names(replace_names(e[5], week_days, 7, 0), short_week_days, 7, 0);
  static const char *const stars[6] = {"0-59", "0-59", "0-23", "1-31", "1-12", "0-6"};
  for (int i = 0; i < 6; i++) e[i] = convert_asterisk(e[i], stars[i]);
  for (int i = 0; i < 6; i++) e[i] = convert_range(e[i], kBounds[i]);
  Fields f;
  for (size_t i = 0; i < e.size(); i++) f.push_back(normalize(e[i]));
  // Day-of-week 7 (Sunday) is 0, after the ranges (so that 5-7 survives); duplicates dropped.
  Tokens dow;
  std::set<std::string> seen;
  for (auto v : f[5]) {
    if (v == "7") v = "0";
    else if (!v.empty() && v[0] == '7' && !all_digits(v)) v = "0" + v.substr(1);
    if (seen.insert(v).second) dow.push_back(v);
  }
  f[5] = dow;
  return f;
}

bool valid_values(const Tokens &values, long long min, long long max) {
  static const std::regex ok("^(?:\\d+|\\*|\\*/\\d+)$");
  for (const auto &v : values) {
    long long n;
    if ((leading_int(v, &n) && (n < min || n > max)) || !std::regex_match(v, ok)) return false;
  }
  return true;
}
bool invalid_day_of_month(const Tokens &values) {
  static const std::regex w_token("^(\\d{1,2}|L)W$"), offset_token("^L-(\\d{1,2})$");
  Tokens days;
  for (const auto &v : values) {
    std::smatch m;
    if (v == "L") continue;
    if (std::regex_match(v, m, w_token)) {
      if (m[1].str() == "L") continue;
      long long target = to_int(m[1].str());
      if (target < 1 || target > 31) days.push_back(v);
      continue;
    }
    if (std::regex_match(v, m, offset_token)) {
      long long n = to_int(m[1].str());
      if (n < 1 || n > 30) days.push_back(v);
      continue;
    }
    days.push_back(v);
  }
  return !valid_values(days, 1, 31);
}
bool invalid_w_modifier(const std::string &raw) {
  static const std::regex w("^(\\d{1,2}|L)W$", std::regex::icase);
  if (lower(raw).find('w') == std::string::npos) return false;
  for (const auto &tok : split(raw, ',')) {
    std::string v = trim(tok);
    if (lower(v).find('w') != std::string::npos && !std::regex_match(v, w)) return true;
  }
  return false;
}
bool invalid_week_day(const Tokens &values) {
  static const std::regex nth("^([0-7])#([1-5])$"), last("^[0-7]L$");
  Tokens days;
  for (const auto &v : values)
    if (!std::regex_match(v, nth) && !std::regex_match(v, last)) days.push_back(v);
  return !valid_values(days, 0, 7);
}
bool impossible_day_of_month(const Tokens &days, const Tokens &months) {
  static const int max_days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (const auto &d : days)
    if (!all_digits(d)) return false;
  for (const auto &m : months) {
    long long month = to_int(m);
    if (month < 1 || month > 12) continue;
    for (const auto &d : days)
      if (to_int(d) <= max_days[month]) return false;
  }
  return true;
}

}  // namespace

std::string problem(const std::string &pattern) {
  static const std::regex allowed("^[a-zA-Z0-9\\-*/,#? ]+$");
  std::string resolved = resolve_nickname(pattern);
  if (!std::regex_match(resolved, allowed)) return "pattern includes illegal characters!";
  Tokens raw = split(remove_extra_spaces(resolved), ' ');
  if (raw.size() != 5 && raw.size() != 6) return "expected 5 or 6 fields but got " + std::to_string(raw.size());
  Tokens p = raw;
  if (p.size() == 5) p.insert(p.begin(), "0");
  Fields f = convert_expression(resolved);
  if (!valid_values(f[0], 0, 59)) return p[0] + " is a invalid expression for second";
  if (!valid_values(f[1], 0, 59)) return p[1] + " is a invalid expression for minute";
  if (!valid_values(f[2], 0, 23)) return p[2] + " is a invalid expression for hour";
  if (invalid_day_of_month(f[3]) || invalid_w_modifier(p[3])) return p[3] + " is a invalid expression for day of month";
  if (!valid_values(f[4], 1, 12)) return p[4] + " is a invalid expression for month";
  if (invalid_week_day(f[5])) return p[5] + " is a invalid expression for week day";
  if (impossible_day_of_month(f[3], f[4])) return p[3] + " " + p[4] + " is an impossible day of month for the given month";
  return "";
}

void validate(const char *pattern) {
  if (!pattern) throw Error(sqlstate::null_value, "schedule must not be null");
  std::string why = problem(pattern);
  if (!why.empty())
    throw Error(sqlstate::invalid_value, std::string("invalid cron schedule \"") + pattern + "\"", "DBOS: " + why + (why.back() == '!' ? "" : "."),
                "Give 5 or 6 fields ([second] minute hour day-of-month month day-of-week), e.g. '*/5 * * * *', "
                "or @hourly, @daily, @weekly, @monthly, @yearly.");
}


// ---- TimeMatcher (crontab.js), for backfill ----------------------------------------------------
namespace {

constexpr long long kHourMs = 3600000LL, kDayMs = 24 * kHourMs;
constexpr int kMaxSearchDays = 366 * 100;

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12; day may overflow).
long long days_from_civil(long long y, long long m, long long d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
void civil_from_days(long long z, int *y, int *m, int *d) {
  z += 719468;
  long long era = (z >= 0 ? z : z - 146096) / 146097;
  long long doe = z - era * 146097;
  long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  long long yy = yoe + era * 400;
  long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  long long mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yy + (*m <= 2));
}
// Date.UTC(year, month - 1, day, h, mi, s)
long long utc_ms(long long y, long long m, long long d, long long h = 0, long long mi = 0, long long s = 0) {
  return days_from_civil(y, m, d) * kDayMs + h * kHourMs + mi * 60000 + s * 1000;
}
int weekday_of(int y, int m, int d) {
  long long days = days_from_civil(y, m, d);
  return (int)(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
}
int last_day_of_month(int y, int m) {
  int yy, mm, dd;
  civil_from_days(days_from_civil(y, m + 1, 1) - 1, &yy, &mm, &dd);
  return dd;
}
int nearest_weekday(int y, int m, int target) {
  int last = last_day_of_month(y, m);
  if (target < 1 || target > last) return -1;
  int wd = weekday_of(y, m, target);
  if (wd == 6) return target == 1 ? target + 2 : target - 1;
  if (wd == 0) return target == last ? target - 2 : target + 1;
  return target;
}
bool is_number(const std::string &v) { return all_digits(v); }

bool matches_day_of_month(const Tokens &field, int y, int m, int day) {
  static const std::regex w_token("^(\\d{1,2}|L)W$"), offset_token("^L-(\\d{1,2})$");
  for (const auto &v : field) {
    if (is_number(v)) {
      if (to_int(v) == day) return true;
      continue;
    }
    if (v == "L" && day == last_day_of_month(y, m)) return true;
    std::smatch mt;
    if (std::regex_match(v, mt, w_token)) {
      int target = mt[1].str() == "L" ? last_day_of_month(y, m) : (int)to_int(mt[1].str());
      if (nearest_weekday(y, m, target) == day) return true;
    }
    if (std::regex_match(v, mt, offset_token)) {
      long long target = last_day_of_month(y, m) - to_int(mt[1].str());
      if (target >= 1 && target == day) return true;
    }
  }
  return false;
}
bool matches_day_of_week(const Tokens &field, int y, int m, int day) {
  static const std::regex nth("^([0-7])#([1-5])$"), last("^([0-7])L$");
  int wd = weekday_of(y, m, day);
  for (const auto &v : field) {
    if (is_number(v)) {
      if (to_int(v) == wd) return true;
      continue;
    }
    std::smatch mt;
    if (std::regex_match(v, mt, nth)) {
      if (to_int(mt[1].str()) % 7 == wd && (day - 1) / 7 + 1 == to_int(mt[2].str())) return true;
      continue;
    }
    if (std::regex_match(v, mt, last) && to_int(mt[1].str()) % 7 == wd && day + 7 > last_day_of_month(y, m))
      return true;
  }
  return false;
}

class Matcher {
 public:
  Matcher(const std::string &pattern, WallFn wall, void *ctx) : wall_(wall), ctx_(ctx) {
    Fields f = convert_expression(pattern);
    auto ints = [](const Tokens &t) {
      std::vector<long long> out;
      for (const auto &v : t) out.push_back(to_int(v));
      std::sort(out.begin(), out.end());
      return out;
    };
    seconds_ = ints(f[0]), minutes_ = ints(f[1]), hours_ = ints(f[2]);
    days_ = f[3], dow_ = f[5];
    for (const auto &v : f[4]) months_.push_back(to_int(v));
  }
  bool match(long long ms) const {
    WallClock w = wall(ms);
    return has(seconds_, w.second) && has(minutes_, w.minute) && has(hours_, w.hour) && runs_this_day(w.year, w.month, w.day);
  }
  long long next_wakeup(long long base) {
    WallClock w = wall(base);
    int y = w.year, m = w.month, d = w.day;
    for (int i = 0; i < kMaxSearchDays; i++) {
      if (runs_this_day(y, m, d)) {
        long long next;
        if (first_match_on_day(y, m, d, base, &next)) return next;
      }
      civil_from_days(days_from_civil(y, m, d) + 1, &y, &m, &d);
    }
    return base + kMaxSearchDays * kDayMs;
  }

 private:
  WallClock wall(long long ms) const {
    WallClock w;
    wall_(ms, ctx_, &w);
    w.hour %= 24;
    return w;
  }
  long long offset_at(long long ms) const {
    WallClock w = wall(ms);
    long long floored = (ms >= 0 ? ms / 1000 : (ms - 999) / 1000) * 1000;
    return utc_ms(w.year, w.month, w.day, w.hour, w.minute, w.second) - floored;
  }
  static bool has(const std::vector<long long> &v, long long x) { return std::find(v.begin(), v.end(), x) != v.end(); }
  bool runs_this_day(int y, int m, int d) const {
    return has(months_, m) && matches_day_of_month(days_, y, m, d) && matches_day_of_week(dow_, y, m, d);
  }
  void offsets_for_day(long long day_start) {
    if (cached_ && cached_day_ == day_start) return;
    long long lo = day_start - 14 * kHourMs, hi = day_start + kDayMs + 12 * kHourMs;
    before_ = offset_at(lo);
    after_ = offset_at(hi);
    if (before_ != after_) {
      while (hi - lo > 1000) {
        long long mid = lo + ((hi - lo) / 2000) * 1000;
        if (offset_at(mid) == before_) lo = mid;
        else hi = mid;
      }
    }
    transition_ = hi;
    cached_ = true;
    cached_day_ = day_start;
  }
  bool first_match_on_day(int y, int m, int d, long long base, long long *out) {
    long long day_start = utc_ms(y, m, d);
    offsets_for_day(day_start);
    long long min_off = std::min(before_, after_), max_off = std::max(before_, after_);
    const long long inf = std::numeric_limits<long long>::max();
    long long best = inf;
    for (long long hour : hours_) {
      long long hour_start = day_start + hour * kHourMs;
      if (best != inf && hour_start - max_off >= best) break;
      if (hour_start + kHourMs - min_off <= base) continue;
      for (long long minute : minutes_) {
        long long minute_start = hour_start + minute * 60000;
        if (best != inf && minute_start - max_off >= best) break;
        if (minute_start + 60000 - min_off <= base) continue;
        for (long long second : seconds_) {
          long long local = minute_start + second * 1000;
          if (best != inf && local - max_off >= best) break;
          long long with_before = local - before_;
          if (with_before > base && with_before < best && with_before < transition_) best = with_before;
          long long with_after = local - after_;
          if (with_after > base && with_after < best && with_after >= transition_) best = with_after;
        }
      }
    }
    if (best == inf) return false;
    *out = best;
    return true;
  }

  WallFn wall_;
  void *ctx_;
  std::vector<long long> seconds_, minutes_, hours_, months_;
  Tokens days_, dow_;
  bool cached_ = false;
  long long cached_day_ = 0, before_ = 0, after_ = 0, transition_ = 0;
};

}  // namespace

long occurrences(const char *pattern, long long start_ms, long long end_ms, WallFn wall, void *ctx, long long *out,
                 long max) {
  Matcher matcher(pattern, wall, ctx);
  long n = 0;
  long long current = start_ms;
  while (current < end_ms) {
    long long next = matcher.next_wakeup(current);
    if (!matcher.match(next)) {
      current = next;
      continue;
    }
    if (next >= end_ms) break;
    if (n == max) return -1;
    out[n++] = next;
    current = next;
  }
  return n;
}

}  // namespace dbos_client::cron
