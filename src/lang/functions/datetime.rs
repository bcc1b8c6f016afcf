//! Date and time functions: `formatdate timeadd timecmp timestamp`.
//!
//! Timestamps are RFC 3339 strings (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00+02:00`, optional
//! fractional seconds), parsed as strictly as Terraform does (`T` and `Z` upper case, two-digit
//! fields). `timeadd` and `timestamp` print RFC 3339 without fractional seconds, keeping the input's
//! UTC offset and writing `Z` for UTC. Durations are Go durations: a sign, then number-unit pairs
//! with units `ns us µs ms s m h` (`1h30m`, `-2.5h`). `formatdate` supports Terraform's format
//! letters (`YYYY YY MMMM MMM MM M DD D EEEE EEE hh h HH H AA aa mm m ss s ZZZZZ ZZZZ ZZZ Z`) and
//! `'literal'` text.
//!
//! `timestamp()` returns the current time (Terraform returns unknown during plan; the evaluator
//! decides which to use).

use super::{Call, Fail, Spec, Ty, arg_err, fail, func, p};
use infra_provider::Value;
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) static SPECS: &[Spec] = &[
    func(
        "formatdate",
        &[p("format", Ty::String), p("time", Ty::String)],
        formatdate,
    ),
    func(
        "timeadd",
        &[p("timestamp", Ty::String), p("duration", Ty::String)],
        timeadd,
    ),
    func(
        "timecmp",
        &[p("timestamp_a", Ty::String), p("timestamp_b", Ty::String)],
        timecmp,
    ),
    func("timestamp", &[], timestamp),
];

/// An instant with the UTC offset it was written in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Time {
    /// Seconds since the Unix epoch (UTC).
    secs: i64,
    nanos: u32,
    /// Offset east of UTC, in seconds.
    offset: i32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Local calendar fields of a [`Time`].
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 = Sunday.
    weekday: u32,
}

impl Time {
    #[allow(clippy::too_many_arguments)]
    fn from_fields(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32, offset: i32) -> Time {
        let local = days_from_civil(y, mo, d) * 86400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
        Time {
            secs: local - i64::from(offset),
            nanos,
            offset,
        }
    }

    fn fields(&self) -> Fields {
        let local = self.secs + i64::from(self.offset);
        let days = local.div_euclid(86400);
        let rem = local.rem_euclid(86400) as u32;
        let (year, month, day) = civil_from_days(days);
        Fields {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem / 60 % 60,
            second: rem % 60,
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    fn offset_string(&self, colon: bool, z_for_utc: bool) -> String {
        if self.offset == 0 && z_for_utc {
            return "Z".into();
        }
        let sign = if self.offset < 0 { '-' } else { '+' };
        let abs = self.offset.unsigned_abs();
        let (h, m) = (abs / 3600, abs / 60 % 60);
        if colon {
            format!("{sign}{h:02}:{m:02}")
        } else {
            format!("{sign}{h:02}{m:02}")
        }
    }

    /// RFC 3339 without fractional seconds, as Go's `time.RFC3339` layout prints.
    pub(crate) fn rfc3339(&self) -> String {
        let f = self.fields();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            f.year,
            f.month,
            f.day,
            f.hour,
            f.minute,
            f.second,
            self.offset_string(true, true)
        )
    }

    fn nanos_total(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    fn add_nanos(&self, d: i128) -> Time {
        let t = self.nanos_total() + d;
        Time {
            secs: t.div_euclid(1_000_000_000) as i64,
            nanos: t.rem_euclid(1_000_000_000) as u32,
            offset: self.offset,
        }
    }
}

const BAD: &str = "not a valid RFC3339 timestamp";

/// A cursor over a timestamp, producing errors in Terraform's words.
struct Scan<'a> {
    s: &'a str,
    i: usize,
}

impl Scan<'_> {
    fn rest(&self) -> &str {
        &self.s[self.i..]
    }

    /// `n` digits, or `None` when the next characters are not that.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let rest = self.rest();
        if rest.len() < n || !rest.as_bytes()[..n].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = rest[..n].parse().ok();
        self.i += n;
        v
    }

    fn field(&mut self, n: usize, what: &str) -> Result<u32, String> {
        if self.rest().is_empty() {
            return Err(format!("{BAD}: end of string before {what}"));
        }
        let rest = self.rest().to_string();
        self.digits(n)
            .ok_or_else(|| format!("{BAD}: cannot use {rest:?} as {what}"))
    }

    fn lit(&mut self, c: char) -> Result<(), String> {
        match self.rest().chars().next() {
            Some(x) if x == c => {
                self.i += 1;
                Ok(())
            }
            _ if c == 'T' => Err(format!("{BAD}: missing required time introducer 'T'")),
            None => Err(format!("{BAD}: end of string where {:?} is expected", c.to_string())),
            Some(_) => Err(format!(
                "{BAD}: found {:?} where {:?} is expected",
                self.rest(),
                c.to_string()
            )),
        }
    }
}

/// Parses an RFC 3339 timestamp as strictly as Terraform does, with its error messages.
pub(crate) fn parse_rfc3339(s: &str) -> Result<Time, String> {
    let mut sc = Scan { s, i: 0 };
    let year = sc.field(4, "year")?;
    if sc.rest().as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return Err(format!("{BAD}: cannot use {s:?} as year"));
    }
    sc.lit('-')?;
    let month = sc.field(2, "month")?;
    if !(1..=12).contains(&month) {
        return Err(format!("{BAD}: cannot use {:?} as month", sc.rest()));
    }
    sc.lit('-')?;
    let day = sc.field(2, "day of month")?;
    if day < 1 || day > days_in_month(i64::from(year), month) {
        return Err(format!("{BAD}: day out of range"));
    }
    sc.lit('T')?;
    if sc.rest().is_empty() {
        return Err(format!("{BAD}: end of string before hour"));
    }
    let hour = sc
        .digits(2)
        .ok_or_else(|| format!("{BAD}: hour must have exactly two digits"))?;
    if hour > 23 {
        return Err(format!("{BAD}: hour must be between 0 and 23 inclusive"));
    }
    sc.lit(':')?;
    if sc.rest().is_empty() {
        return Err(format!("{BAD}: end of string before minute"));
    }
    let minute = sc
        .digits(2)
        .ok_or_else(|| format!("{BAD}: minute must have exactly two digits"))?;
    if minute > 59 {
        return Err(format!("{BAD}: cannot use {:?} as minute", &s[sc.i - 2..]));
    }
    sc.lit(':')?;
    let second = sc.field(2, "second")?;
    if second > 59 {
        return Err(format!("{BAD}: cannot use {:?} as second", &s[sc.i - 2..]));
    }
    let mut nanos = 0u32;
    if sc.rest().starts_with(',') {
        return Err(format!("{BAD}: cannot use \",\" as timestamp segment"));
    }
    if sc.rest().starts_with('.') {
        sc.i += 1;
        let frac: String = sc.rest().chars().take_while(char::is_ascii_digit).collect();
        if frac.is_empty() {
            return Err(format!("{BAD}: cannot use {:?} as second", &s[sc.i - 1..]));
        }
        sc.i += frac.len();
        let mut padded = frac.chars().take(9).collect::<String>();
        while padded.len() < 9 {
            padded.push('0');
        }
        nanos = padded.parse().expect("digits");
    }
    let rest = sc.rest();
    let bad_offset = || format!("{BAD}: cannot use {rest:?} as UTC offset");
    let offset = match rest.as_bytes().first() {
        Some(b'Z') if rest.len() == 1 => 0,
        Some(b'+' | b'-') if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let h: i32 = rest[1..3].parse().map_err(|_| bad_offset())?;
            let m: i32 = rest[4..6].parse().map_err(|_| bad_offset())?;
            if h >= 24 || m >= 60 {
                return Err(bad_offset());
            }
            let o = h * 3600 + m * 60;
            if rest.starts_with('-') { -o } else { o }
        }
        None => return Err(format!("{BAD}: end of string before UTC offset")),
        _ => return Err(bad_offset()),
    };
    Ok(Time::from_fields(
        i64::from(year),
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset,
    ))
}

/// A YAML timestamp (`2001-12-14t21:59:43.10-05:00`, `2001-12-14 21:59:43.10`, `2002-12-14`) as
/// the RFC 3339 string Terraform's `yamldecode` produces, or `None` when `s` is not one.
pub(crate) fn parse_yaml_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    fn num(s: &str, i: &mut usize, min: usize, max: usize) -> Option<u32> {
        let n = s[*i..].bytes().take(max).take_while(u8::is_ascii_digit).count();
        if n < min {
            return None;
        }
        let v = s[*i..*i + n].parse().ok()?;
        *i += n;
        Some(v)
    }
    let mut i = 0;
    let year = num(s, &mut i, 4, 4)?;
    i += 1;
    let month = num(s, &mut i, 1, 2)?;
    (s.as_bytes().get(i) == Some(&b'-')).then_some(())?;
    i += 1;
    let day = num(s, &mut i, 1, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(i64::from(year), month) {
        return None;
    }
    if i == s.len() {
        return Some(Time::from_fields(i64::from(year), month, day, 0, 0, 0, 0, 0).rfc3339());
    }
    let zoned = match b[i] {
        b'T' | b't' => {
            i += 1;
            true
        }
        b' ' => {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            false
        }
        _ => return None,
    };
    let hour = num(s, &mut i, 1, 2)?;
    (b.get(i) == Some(&b':')).then_some(())?;
    i += 1;
    let minute = num(s, &mut i, 1, 2)?;
    (b.get(i) == Some(&b':')).then_some(())?;
    i += 1;
    let second = num(s, &mut i, 1, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = if zoned {
        let rest = &s[i..];
        match rest.as_bytes().first() {
            Some(b'Z') if rest.len() == 1 => 0,
            Some(b'+' | b'-') if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
                let h: i32 = rest[1..3].parse().ok()?;
                let m: i32 = rest[4..6].parse().ok()?;
                let o = h * 3600 + m * 60;
                if rest.starts_with('-') { -o } else { o }
            }
            _ => return None,
        }
    } else if i == s.len() {
        0
    } else {
        return None;
    };
    Some(Time::from_fields(i64::from(year), month, day, hour, minute, second, 0, offset).rfc3339())
}

/// Parses a Go duration (`1h30m`, `-1.5s`, `300ms`) into nanoseconds.
pub(crate) fn parse_duration(orig: &str) -> Result<i128, String> {
    let invalid = || format!("time: invalid duration {orig:?}");
    let mut s = orig;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let mut num_len = int_len;
        let mut frac_len = 0;
        if s[num_len..].starts_with('.') {
            num_len += 1;
            frac_len = s[num_len..].bytes().take_while(u8::is_ascii_digit).count();
            num_len += frac_len;
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let value: f64 = s[..num_len].parse().map_err(|_| invalid())?;
        s = &s[num_len..];
        let unit_len = s
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map(|(i, _)| i)
            .unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        let unit = &s[..unit_len];
        let scale: f64 = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(format!("time: unknown unit {unit:?} in duration {orig:?}")),
        };
        total += value * scale;
        s = &s[unit_len..];
    }
    if total > 9.3e18 {
        return Err(invalid());
    }
    let n = total.round() as i128;
    Ok(if neg { -n } else { n })
}

fn formatdate(c: &Call) -> Result<Value, Fail> {
    let t = parse_rfc3339(c.str(1)).map_err(|e| arg_err(1, e))?;
    let f = t.fields();
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let chars: Vec<char> = c.str(0).chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if ch == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            // A quoted literal up to the closing quote; '' inside is an escaped quote.
            let mut j = i + 1;
            let mut lit = String::new();
            let mut closed = false;
            while j < chars.len() {
                if chars[j] == '\'' {
                    if chars.get(j + 1) == Some(&'\'') {
                        lit.push('\'');
                        j += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                lit.push(chars[j]);
                j += 1;
            }
            if !closed {
                return Err(arg_err(0, "unterminated literal '"));
            }
            out.push_str(&lit);
            i = j + 1;
            continue;
        }
        if !ch.is_ascii_alphabetic() {
            out.push(ch);
            i += 1;
            continue;
        }
        let n = chars[i..].iter().take_while(|c| **c == ch).count();
        let tok: String = chars[i..i + n].iter().collect();
        i += n;
        let bad = |why: &str| arg_err(0, format!("invalid date format verb {tok:?}: {why}"));
        match (ch, n) {
            ('Y', 2) => out.push_str(&format!("{:02}", f.year % 100)),
            ('Y', 4) => out.push_str(&format!("{:04}", f.year)),
            ('Y', _) => return Err(bad("year must either be \"YY\" or \"YYYY\"")),
            ('M', 1) => out.push_str(&f.month.to_string()),
            ('M', 2) => out.push_str(&format!("{:02}", f.month)),
            ('M', 3) => out.push_str(&MONTHS[f.month as usize - 1][..3]),
            ('M', 4) => out.push_str(MONTHS[f.month as usize - 1]),
            ('M', _) => return Err(bad("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            ('D', 1) => out.push_str(&f.day.to_string()),
            ('D', 2) => out.push_str(&format!("{:02}", f.day)),
            ('D', _) => return Err(bad("day of month must either be \"D\" or \"DD\"")),
            ('E', 3) => out.push_str(&DAYS[f.weekday as usize][..3]),
            ('E', 4) => out.push_str(DAYS[f.weekday as usize]),
            ('E', _) => return Err(bad("day of week must either be \"EEE\" or \"EEEE\"")),
            ('h', 1) => out.push_str(&f.hour.to_string()),
            ('h', 2) => out.push_str(&format!("{:02}", f.hour)),
            ('h', _) => return Err(bad("24-hour must either be \"h\" or \"hh\"")),
            ('H', k) => {
                let h12 = if f.hour % 12 == 0 { 12 } else { f.hour % 12 };
                match k {
                    1 => out.push_str(&h12.to_string()),
                    2 => out.push_str(&format!("{h12:02}")),
                    _ => return Err(bad("12-hour must either be \"H\" or \"HH\"")),
                }
            }
            ('A' | 'a', 2) => {
                let pm = f.hour >= 12;
                out.push_str(match (ch, pm) {
                    ('A', false) => "AM",
                    ('A', true) => "PM",
                    (_, false) => "am",
                    (_, true) => "pm",
                });
            }
            ('A' | 'a', _) => return Err(bad(&format!("must be \"{ch}{ch}\""))),
            ('m', 1) => out.push_str(&f.minute.to_string()),
            ('m', 2) => out.push_str(&format!("{:02}", f.minute)),
            ('m', _) => return Err(bad("minute must either be \"m\" or \"mm\"")),
            ('s', 1) => out.push_str(&f.second.to_string()),
            ('s', 2) => out.push_str(&format!("{:02}", f.second)),
            ('s', _) => return Err(bad("second must either be \"s\" or \"ss\"")),
            ('Z', 1) => out.push_str(&t.offset_string(true, true)),
            ('Z', 3) => {
                let s = t.offset_string(false, false);
                out.push_str(if s == "+0000" { "UTC" } else { &s });
            }
            ('Z', 4) => out.push_str(&t.offset_string(false, false)),
            ('Z', 5) => out.push_str(&t.offset_string(true, false)),
            ('Z', _) => return Err(bad("timezone must be Z, ZZZZ, or ZZZZZ")),
            _ => return Err(arg_err(0, format!("invalid date format verb {tok:?}"))),
        }
    }
    Ok(Value::String(out))
}

fn timeadd(c: &Call) -> Result<Value, Fail> {
    let t = parse_rfc3339(c.str(0)).map_err(fail)?;
    let d = parse_duration(c.str(1)).map_err(fail)?;
    Ok(Value::String(t.add_nanos(d).rfc3339()))
}

fn timecmp(c: &Call) -> Result<Value, Fail> {
    let a = parse_rfc3339(c.str(0)).map_err(|e| arg_err(0, e))?;
    let b = parse_rfc3339(c.str(1)).map_err(|e| arg_err(1, e))?;
    Ok(Value::int(match a.nanos_total().cmp(&b.nanos_total()) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

/// The current time as Terraform's `timestamp()` prints it.
pub(crate) fn now_rfc3339() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Time {
        secs: d.as_secs() as i64,
        nanos: 0,
        offset: 0,
    }
    .rfc3339()
}

fn timestamp(_: &Call) -> Result<Value, Fail> {
    Ok(Value::String(now_rfc3339()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok};
    use super::{parse_duration, parse_rfc3339};
    use infra_provider::Value;

    #[test]
    fn formatdate_documented_examples() {
        let cases = [
            ("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z", "02 Jan 2018 23:12 UTC"),
            (
                "EEEE, DD-MMM-YY hh:mm:ss ZZZ",
                "2018-01-02T23:12:01Z",
                "Tuesday, 02-Jan-18 23:12:01 UTC",
            ),
            (
                "EEE, DD MMM YYYY hh:mm:ss ZZZ",
                "2018-01-02T23:12:01-08:00",
                "Tue, 02 Jan 2018 23:12:01 -0800",
            ),
            ("MMM DD, YYYY", "2018-01-02T23:12:01Z", "Jan 02, 2018"),
            ("HH:mmaa", "2018-01-02T23:12:01Z", "11:12pm"),
            ("H:m:s AA", "2018-01-02T00:02:03Z", "12:2:3 AM"),
            ("M/D/YY", "2018-01-02T23:12:01Z", "1/2/18"),
            ("MMMM", "2018-09-02T23:12:01Z", "September"),
            ("Z ZZZZ ZZZZZ", "2018-01-02T23:12:01+05:30", "+05:30 +0530 +05:30"),
            ("Z", "2018-01-02T23:12:01Z", "Z"),
            ("'Date:' YYYY-MM-DD", "2024-02-29T00:00:00Z", "Date: 2024-02-29"),
            ("h 'o''clock'", "2024-02-29T07:00:00Z", "7 o'clock"),
            ("''", "2024-02-29T07:00:00Z", "'"),
            (
                "YYYY-MM-DD'T'hh:mm:ssZ",
                "2017-11-22T00:00:00.123Z",
                "2017-11-22T00:00:00Z",
            ),
        ];
        for (fmt, ts, want) in cases {
            assert_eq!(
                call_ok("formatdate", vec![fmt.into(), ts.into()]),
                Value::from(want),
                "formatdate({fmt:?}, {ts:?})"
            );
        }
    }

    #[test]
    fn formatdate_errors() {
        let e = call_err("formatdate", vec!["YYY".into(), "2018-01-02T23:12:01Z".into()]);
        assert_eq!(e.arg, Some(0));
        assert!(
            e.message
                .contains("invalid date format verb \"YYY\": year must either be \"YY\" or \"YYYY\""),
            "{}",
            e.message
        );
        for (fmt, want) in [
            (
                "Y",
                r#"invalid date format verb "Y": year must either be "YY" or "YYYY""#,
            ),
            (
                "YYYYY",
                r#"invalid date format verb "YYYYY": year must either be "YY" or "YYYY""#,
            ),
            ("A", r#"invalid date format verb "A": must be "AA""#),
            ("a", r#"invalid date format verb "a": must be "aa""#),
            ("'", "unterminated literal '"),
            ("'blah blah", "unterminated literal '"),
        ] {
            let e = call_err("formatdate", vec![fmt.into(), "2018-01-02T23:12:01Z".into()]);
            assert!(e.message.contains(want), "{fmt}: {}", e.message);
        }
        let e = call_err("formatdate", vec!["'abc".into(), "2018-01-02T23:12:01Z".into()]);
        assert!(e.message.contains("unterminated literal '"), "{}", e.message);
        let e = call_err("formatdate", vec!["YYYY".into(), "2018-01-02".into()]);
        assert_eq!(e.arg, Some(1));
        assert!(
            e.message.contains("missing required time introducer 'T'"),
            "{}",
            e.message
        );
        let e = call_err("formatdate", vec!["q".into(), "2018-01-02T23:12:01Z".into()]);
        assert!(e.message.contains("invalid date format verb \"q\""), "{}", e.message);
    }

    #[test]
    fn timeadd_and_timecmp() {
        let cases = [
            ("2017-11-22T00:00:00Z", "10m", "2017-11-22T00:10:00Z"),
            ("2017-11-22T00:00:00Z", "-1h", "2017-11-21T23:00:00Z"),
            ("2017-11-22T00:00:00Z", "1h30m", "2017-11-22T01:30:00Z"),
            ("2017-11-22T00:00:00+02:00", "25h", "2017-11-23T01:00:00+02:00"),
            ("2024-02-28T12:00:00Z", "24h", "2024-02-29T12:00:00Z"),
            ("2023-12-31T23:59:59.5Z", "0.5s", "2024-01-01T00:00:00Z"),
            ("2017-11-22T00:00:00Z", "0", "2017-11-22T00:00:00Z"),
            ("2017-11-22T00:00:00Z", "1.5h", "2017-11-22T01:30:00Z"),
        ];
        for (ts, d, want) in cases {
            assert_eq!(
                call_ok("timeadd", vec![ts.into(), d.into()]),
                Value::from(want),
                "timeadd({ts}, {d})"
            );
        }
        let e = call_err("timeadd", vec!["2017-11-22T00:00:00Z".into(), "1x".into()]);
        assert!(
            e.message.contains("time: unknown unit \"x\" in duration \"1x\""),
            "{}",
            e.message
        );
        let e = call_err("timeadd", vec!["2017-11-22T00:00:00Z".into(), "1".into()]);
        assert!(e.message.contains("missing unit in duration"), "{}", e.message);
        let e = call_err("timeadd", vec!["2017-11-22".into(), "1h".into()]);
        assert!(e.message.contains("not a valid RFC3339 timestamp"), "{}", e.message);

        let cmp = |a: &str, b: &str| call_ok("timecmp", vec![a.into(), b.into()]);
        assert_eq!(cmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z"), Value::int(0));
        assert_eq!(cmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00Z"), Value::int(-1));
        assert_eq!(cmp("2017-11-22T01:00:00Z", "2017-11-22T00:00:00Z"), Value::int(1));
        assert_eq!(cmp("2017-11-22T01:00:00Z", "2017-11-22T00:00:00-01:00"), Value::int(0));
        assert_eq!(cmp("2017-11-22T00:00:00.5Z", "2017-11-22T00:00:00Z"), Value::int(1));
        let e = call_err("timecmp", vec!["2017-11-22T00:00:00Z".into(), "nope".into()]);
        assert_eq!(e.arg, Some(1));
        assert!(
            e.message
                .starts_with("Invalid value for \"timestamp_b\" parameter: not a valid RFC3339 timestamp"),
            "{}",
            e.message
        );
    }

    #[test]
    fn parse_errors_match_terraform() {
        let cases = [
            ("", "end of string before year"),
            ("2017-01-02", "missing required time introducer 'T'"),
            ("2017-12-02t00:00:00Z", "missing required time introducer 'T'"),
            ("2017:01:02", r#"found ":01:02" where "-" is expected"#),
            ("2017", r#"end of string where "-" is expected"#),
            ("2017-01-02T", "end of string before hour"),
            ("2017-01-02T00", r#"end of string where ":" is expected"#),
            ("2017-01-02T00:00:00", "end of string before UTC offset"),
            ("2017-01-02T26:00:00Z", "hour must be between 0 and 23 inclusive"),
            ("2017-13-02T00:00:00Z", r#"cannot use "-02T00:00:00Z" as month"#),
            ("2017-02-31T00:00:00Z", "day out of range"),
            (
                r#""2017-12-02T00:00:00Z""#,
                r#"cannot use "\"2017-12-02T00:00:00Z\"" as year"#,
            ),
            ("2-12-02T00:00:00Z", r#"cannot use "2-12-02T00:00:00Z" as year"#),
            ("2000-01-01T1:12:34Z", "hour must have exactly two digits"),
            ("2000-01-01T01:1:34Z", "minute must have exactly two digits"),
            ("2000-01-01T01:01:1Z", r#"cannot use "1Z" as second"#),
            ("2000-01-01T00:00:00,000Z", r#"cannot use "," as timestamp segment"#),
            ("2000-01-01T00:00:00+24:00", r#"cannot use "+24:00" as UTC offset"#),
            ("2000-01-01T00:00:00+00:60", r#"cannot use "+00:60" as UTC offset"#),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_rfc3339(input).unwrap_err(),
                format!("not a valid RFC3339 timestamp: {want}"),
                "{input:?}"
            );
        }
    }

    /// cty's own formatdate table, at 2006-01-02T15:04:05Z.
    #[test]
    fn formatdate_upstream_table() {
        let cases = [
            ("", ""),
            ("YYYY-MM-DD", "2006-01-02"),
            ("EEE, MMM D ''YY", "Mon, Jan 2 '06"),
            ("hh:mm:ss", "15:04:05"),
            ("H 'o''clock' AA", "3 o'clock PM"),
            ("H 'o''clock'", "3 o'clock"),
            ("hh:mm:ssZZZZ", "15:04:05+0000"),
            ("hh:mm:ssZZZZZ", "15:04:05+00:00"),
            ("MMMM", "January"),
            ("EEEE", "Monday"),
            ("aa", "pm"),
            ("YYYY-MM-DD'T'hh:mm:ssZ", "2006-01-02T15:04:05Z"),
            ("DD MMM YYYY hh:mm ZZZ", "02 Jan 2006 15:04 UTC"),
            ("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "Monday, 02-Jan-06 15:04:05 UTC"),
            ("EEE, DD MMM YYYY hh:mm:ss ZZZ", "Mon, 02 Jan 2006 15:04:05 UTC"),
        ];
        for (fmt, want) in cases {
            assert_eq!(
                call_ok("formatdate", vec![fmt.into(), "2006-01-02T15:04:05Z".into()]),
                Value::from(want),
                "{fmt:?}"
            );
        }
    }

    #[test]
    fn strict_parsing() {
        assert!(parse_rfc3339("2017-11-22T00:00:00Z").is_ok());
        for bad in [
            "2017-11-22t00:00:00Z",
            "2017-11-22T00:00:00z",
            "2017-13-22T00:00:00Z",
            "2017-02-30T00:00:00Z",
            "2017-11-22T24:00:00Z",
            "2017-11-22T1:00:00Z",
            "2017-11-22T00:00:00",
            "2017-11-22T00:00:00+0200",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad} should not parse");
        }
        assert_eq!(parse_duration("1h2m3s4ms5us6ns").unwrap(), 3_723_004_005_006);
        assert_eq!(parse_duration("-1.5h").unwrap(), -5_400_000_000_000);
        assert!(parse_duration("").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn timestamp_is_rfc3339_utc() {
        let v = call_ok("timestamp", vec![]);
        let s = v.as_str().unwrap();
        assert!(parse_rfc3339(s).is_ok(), "{s}");
        assert!(s.ends_with('Z') && s.len() == 20, "{s}");
    }
}
