//! `aws_scheduler_schedule`: EventBridge Scheduler charges per invocation. The monthly invocations are the
//! usage figure `monthly_invocations` when the usage file gives one; otherwise they are derived from
//! `schedule_expression`, over a month of 730 hours (the month of every hourly price):
//!
//! - `rate(N minutes|hours|days)`: 43,800 minutes ÷ N, 730 hours ÷ N, or 30.42 days ÷ N (`rate(5 minutes)` is
//!   8,760 a month);
//! - `cron(minutes hours day-of-month month day-of-week year)`: the minutes × hours matched per day, times the
//!   days matched per month — every day 30.42, each day of the week 30.42 ÷ 7, each listed day of the month,
//!   `L`, `W`, `#` and `xL` once — times the share of the months matched (`cron(0 3 * * ? *)` is 30.42 a month);
//! - `at(...)`: one invocation, once.
//!
//! An expression the model does not understand (a year other than `*`, a malformed field) leaves the
//! invocations to the usage file, with a note. A `DISABLED` schedule invokes nothing and is free unless the
//! usage file says otherwise. Retries, `start_date`/`end_date` and time zones are not taken into account, and
//! the 14 million free invocations a month of the account are not deducted (list prices).

use super::{Model, UsageKey};
use crate::cost::estimate::{Attr, Pricer, fmt_quantity};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_scheduler_schedule",
    usage: &[UsageKey {
        key: "monthly_invocations",
        description: "invocations per month (default: derived from schedule_expression)",
    }],
    price,
};

const KEY: &str = "scheduler/invocation";
const USAGE: &str = "monthly_invocations";

fn price(p: &mut Pricer<'_>) {
    if p.usage_value(USAGE).is_some() {
        p.usage_or("invocations", "Invocations", KEY, USAGE, Decimal::ZERO);
        return;
    }
    if p.str_or("state", "ENABLED").eq_ignore_ascii_case("DISABLED") {
        p.free("a disabled schedule invokes nothing");
        return;
    }
    let expression = match p.get("schedule_expression") {
        Attr::Known(v) => v.as_str().unwrap_or_default(),
        Attr::Unknown => {
            p.unknown("schedule_expression");
            return;
        }
        Attr::Null => "",
    };
    match monthly_invocations(expression) {
        Some(n) => {
            let name = if expression.trim_start().starts_with("at(") {
                format!("Invocation (one-time, {})", expression.trim())
            } else {
                format!("Invocations ({}: {} a month)", expression.trim(), fmt_quantity(n))
            };
            p.usage_or("invocations", name, KEY, USAGE, n);
        }
        None => {
            p.note(format!(
                "schedule_expression {expression:?} is not one the cost model can count; set `{USAGE}` in a usage file"
            ));
            p.usage("invocations", "Invocations", KEY, USAGE, Decimal::ONE);
        }
    }
}

/// Days in a month of 730 hours.
fn days_per_month() -> Decimal {
    Decimal::from(730) / Decimal::from(24)
}

/// Average invocations per month of a schedule expression, rounded to the hundredth; `None` when it is not
/// understood.
pub(crate) fn monthly_invocations(expression: &str) -> Option<Decimal> {
    let e = expression.trim();
    let inner = |prefix: &str| {
        e.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .map(str::trim)
    };
    let n = if let Some(at) = inner("at(") {
        if at.is_empty() {
            return None;
        }
        Decimal::ONE
    } else if let Some(rate) = inner("rate(") {
        let mut parts = rate.split_whitespace();
        let value: u32 = parts.next()?.parse().ok().filter(|v| *v > 0)?;
        let unit = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let per_month = match unit {
            "minute" | "minutes" => Decimal::from(730 * 60),
            "hour" | "hours" => Decimal::from(730),
            "day" | "days" => days_per_month(),
            _ => return None,
        };
        per_month / Decimal::from(value)
    } else if let Some(cron) = inner("cron(") {
        cron_per_month(cron)?
    } else {
        return None;
    };
    Some(n.round_dp(2).normalize())
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn cron_per_month(cron: &str) -> Option<Decimal> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minutes, hours, day_of_month, month, day_of_week, year] = fields.as_slice() else {
        return None;
    };
    if *year != "*" {
        return None;
    }
    let minutes = Decimal::from(values(minutes, 0, 59, &[])?.len());
    let hours = Decimal::from(values(hours, 0, 23, &[])?.len());
    let months = Decimal::from(values(month, 1, 12, MONTHS)?.len()) / Decimal::from(12);
    let days = match (*day_of_month, *day_of_week) {
        ("?", "?") => return None,
        ("?", "*") | ("*", "?") => days_per_month(),
        ("?", dow) => {
            let mut once = 0u32;
            let mut weekly = Vec::new();
            for part in dow.split(',') {
                if part.contains('#') || (part.len() > 1 && part.ends_with('L')) {
                    // The n-th or the last such weekday of the month.
                    let day = part.split(['#', 'L']).next()?;
                    values(day, 1, 7, WEEKDAYS)?;
                    once += 1;
                } else {
                    weekly.push(part);
                }
            }
            let per_week = if weekly.is_empty() {
                0
            } else {
                values(&weekly.join(","), 1, 7, WEEKDAYS)?.len()
            };
            Decimal::from(once) + Decimal::from(per_week) * days_per_month() / Decimal::from(7)
        }
        (dom, "?") => {
            let mut once = 0u32;
            let mut listed = Vec::new();
            for part in dom.split(',') {
                if part == "L" || part == "LW" || part.ends_with('W') {
                    if let Some(day) = part.strip_suffix('W').filter(|d| !d.is_empty() && *d != "L") {
                        values(day, 1, 31, &[])?;
                    }
                    once += 1;
                } else {
                    listed.push(part);
                }
            }
            let days = if listed.is_empty() {
                0
            } else {
                values(&listed.join(","), 1, 31, &[])?.len()
            };
            Decimal::from(once + u32::try_from(days).ok()?)
        }
        _ => return None,
    };
    Some(minutes * hours * days * months)
}

/// The values a cron field matches between `min` and `max`: `*`, `n`, `a-b`, `*/s`, `a/s`, `a-b/s`, lists,
/// and names (`JAN`, `MON`) where `names` gives them (the first name is `min`).
fn values(field: &str, min: u32, max: u32, names: &[&str]) -> Option<Vec<u32>> {
    let number = |s: &str| -> Option<u32> {
        let n = match names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            Some(i) => min + u32::try_from(i).ok()?,
            None => s.parse().ok()?,
        };
        (min..=max).contains(&n).then_some(n)
    };
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (from, to) = match range {
            "*" => (min, max),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None if step > 1 => (number(r)?, max),
                None => {
                    let n = number(r)?;
                    (n, n)
                }
            },
        };
        if from > to {
            return None;
        }
        out.extend((from..=to).step_by(step as usize));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lines, one, one_in, with_usage};
    use super::monthly_invocations;
    use crate::cost::Status;
    use infra_provider::Value;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn n(s: &str) -> Option<Decimal> {
        Some(Decimal::from_str(s).unwrap())
    }

    fn schedule(expression: &str) -> Value {
        Value::map([
            ("name", Value::string("quality-cron")),
            ("schedule_expression", Value::string(expression)),
            ("state", Value::string("ENABLED")),
        ])
    }

    #[test]
    fn rates_cron_and_at_expressions_give_monthly_invocations() {
        assert_eq!(monthly_invocations("rate(5 minutes)"), n("8760"));
        assert_eq!(monthly_invocations("rate(1 minute)"), n("43800"));
        assert_eq!(monthly_invocations("rate(7 minutes)"), n("6257.14"));
        assert_eq!(monthly_invocations("rate(2 hours)"), n("365"));
        assert_eq!(monthly_invocations("rate(1 day)"), n("30.42"));
        // A fixed minute and hour: once a day.
        assert_eq!(monthly_invocations("cron(0 3 * * ? *)"), n("30.42"));
        // Every 15 minutes on weekdays: 4 × 24 × 5/7 of the month's days.
        assert_eq!(monthly_invocations("cron(0/15 * ? * MON-FRI *)"), n("2085.71"));
        // Twice a day, on the 1st and the 15th.
        assert_eq!(monthly_invocations("cron(0 6,18 1,15 * ? *)"), n("4"));
        // The last day of the month, and the first Monday, once each.
        assert_eq!(monthly_invocations("cron(30 23 L * ? *)"), n("1"));
        assert_eq!(monthly_invocations("cron(0 9 ? * 2#1 *)"), n("1"));
        // Only in January and July: half a time a month on average.
        assert_eq!(monthly_invocations("cron(0 0 1 JAN,JUL ? *)"), n("0.17"));
        assert_eq!(monthly_invocations("at(2026-12-01T03:00:00)"), n("1"));
        // Not understood: no guess.
        assert_eq!(monthly_invocations("cron(0 3 * * ? 2027)"), None);
        assert_eq!(monthly_invocations("cron(0 3 * * *)"), None);
        assert_eq!(monthly_invocations("cron(0 3 * * MON *)"), None);
        assert_eq!(monthly_invocations("cron(61 3 * * ? *)"), None);
        assert_eq!(monthly_invocations("rate(0 minutes)"), None);
        assert_eq!(monthly_invocations("rate(5 fortnights)"), None);
        assert_eq!(monthly_invocations("every day"), None);
    }

    #[test]
    fn a_rate_schedule_is_priced_from_its_expression() {
        let r = one("aws_scheduler_schedule.quality", schedule("rate(5 minutes)"));
        assert_eq!(r.status, Status::Priced);
        // 8,760 × $0.000001 = $0.00876 → $0.01.
        assert_eq!(
            lines(&r),
            vec![(
                "Invocations (rate(5 minutes): 8,760 a month)".to_string(),
                "0.01".to_string()
            )]
        );
        let c = &r.components[0];
        assert_eq!(c.quantity.unwrap().to_string(), "8760");
        assert_eq!(c.unit, "invocation");
        assert_eq!(c.price.key, "scheduler/invocation");
        assert_eq!(c.usage_key.as_deref(), Some("monthly_invocations"));
    }

    #[test]
    fn a_one_time_schedule_is_one_invocation() {
        let r = one("aws_scheduler_schedule.init", schedule("at(2026-12-01T03:00:00)"));
        assert_eq!(
            lines(&r),
            vec![(
                "Invocation (one-time, at(2026-12-01T03:00:00))".to_string(),
                "0.00".to_string()
            )]
        );
        assert_eq!(r.components[0].quantity.unwrap().to_string(), "1");
    }

    #[test]
    fn the_usage_file_overrides_the_expression() {
        // 20 million × $0.000001 = $20.00.
        let r = with_usage(
            "version: 0.1\nresource_usage:\n  aws_scheduler_schedule.quality:\n    monthly_invocations: 20000000\n",
            "aws_scheduler_schedule.quality",
            schedule("cron(0 3 * * ? *)"),
        );
        assert_eq!(lines(&r), vec![("Invocations".to_string(), "20.00".to_string())]);
    }

    #[test]
    fn disabled_unknown_and_unreadable_schedules() {
        let mut disabled = schedule("rate(1 minute)");
        disabled.set_attr("state", Value::string("DISABLED"));
        let r = one("aws_scheduler_schedule.off", disabled);
        assert_eq!(r.status, Status::Free);
        assert!(r.notes.iter().any(|n| n.contains("disabled")), "{:?}", r.notes);

        let mut unknown = schedule("x");
        unknown.set_attr("schedule_expression", Value::Unknown);
        let r = one("aws_scheduler_schedule.x", unknown);
        assert_eq!(
            r.status,
            Status::Unknown("schedule_expression known only after apply".into())
        );

        let r = one("aws_scheduler_schedule.x", schedule("cron(0 3 * * ? 2027)"));
        assert_eq!(r.status, Status::Priced);
        assert_eq!(lines(&r), vec![("Invocations".to_string(), "usage?".to_string())]);
        assert!(
            r.notes.iter().any(|n| n.contains("set `monthly_invocations`")),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn sao_paulo_has_no_scheduler_price_yet_and_says_so() {
        let r = one_in(
            "sa-east-1",
            "aws_scheduler_schedule.quality",
            schedule("rate(5 minutes)"),
        );
        assert_eq!(
            r.status,
            Status::NotPriced("prices/aws/sa-east-1.json has no price for scheduler/invocation".into())
        );
    }
}
