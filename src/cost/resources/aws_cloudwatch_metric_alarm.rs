//! `aws_cloudwatch_metric_alarm`: CloudWatch charges per alarm metric per month, at the standard-resolution
//! price when the alarm's period is 60 seconds or more and at the high-resolution price below that.
//!
//! - An alarm on one metric (`metric_name`, `period`) is one alarm metric.
//! - A metric math alarm (`metric_query`) counts one alarm metric per query that has a `metric` block (the
//!   expression queries, e.g. `m2/m1*100`, cost nothing); it is high resolution when any of those metrics has
//!   a period under 60 seconds. This is how Infracost prices them.
//! - An anomaly detection alarm (`comparison_operator` `LessThanLowerOrGreaterThanUpperThreshold`,
//!   `LessThanLowerThreshold` or `GreaterThanUpperThreshold`) counts three alarm metrics per metric (the metric
//!   and the band's two bounds).
//!
//! Not modelled: Metrics Insights query alarms (a `SELECT` expression, charged per metric analyzed) and
//! `metric_query` without a `metric` block (a `SEARCH` expression): "not priced". The account's 10 free
//! alarm metrics are not deducted.

use super::Model;
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_cloudwatch_metric_alarm",
    usage: &[],
    price,
};

/// Comparison operators of anomaly detection alarms (the threshold is a band, `threshold_metric_id`).
const ANOMALY_DETECTION: &[&str] = &[
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
];

/// Periods under this many seconds make an alarm high resolution.
const STANDARD_PERIOD: i64 = 60;

fn price(p: &mut Pricer<'_>) {
    let queries = match p.get("metric_query") {
        Attr::Unknown => {
            p.unknown("metric_query");
            return;
        }
        Attr::Known(v) => v.as_list().map_or(0, <[_]>::len),
        Attr::Null => 0,
    };
    let (metrics, high_resolution) = if queries == 0 {
        let Some(period) = p.num_or_unknown("period", Decimal::from(STANDARD_PERIOD)) else {
            return;
        };
        (1usize, period < Decimal::from(STANDARD_PERIOD))
    } else {
        let mut metrics = 0usize;
        let mut high_resolution = false;
        let mut period_unknown = false;
        for i in 0..queries {
            let expression = match p.get(&format!("metric_query.{i}.expression")) {
                Attr::Known(v) => v.as_str().unwrap_or_default(),
                _ => "",
            };
            if expression.trim_start().to_ascii_uppercase().starts_with("SELECT") {
                p.not_priced("Metrics Insights query alarms (a SELECT expression in metric_query) are not modelled");
                return;
            }
            match p.get(&format!("metric_query.{i}.metric")) {
                Attr::Unknown => {
                    p.unknown("metric_query");
                    return;
                }
                Attr::Known(v) if v.as_list().is_some_and(|m| !m.is_empty()) => {
                    metrics += 1;
                    let path = format!("metric_query.{i}.metric.0.period");
                    match p.get(&path) {
                        Attr::Known(_) => {
                            if p.num_opt(&path).is_some_and(|s| s < Decimal::from(STANDARD_PERIOD)) {
                                high_resolution = true;
                            }
                        }
                        Attr::Unknown => period_unknown = true,
                        Attr::Null => {}
                    }
                }
                _ => {}
            }
        }
        if metrics == 0 {
            p.not_priced(
                "metric_query has no metric block (a SEARCH expression); the cost model cannot count its metrics",
            );
            return;
        }
        if period_unknown && !high_resolution {
            p.unknown("metric_query period (it decides the alarm's resolution)");
            return;
        }
        (metrics, high_resolution)
    };
    let anomaly = ANOMALY_DETECTION.contains(&p.str_or("comparison_operator", ""));
    let quantity = metrics * if anomaly { 3 } else { 1 };
    let mut details = Vec::new();
    if anomaly {
        details.push("anomaly detection, 3 per metric".to_string());
    }
    if queries > 0 {
        let s = if metrics == 1 { "" } else { "s" };
        details.push(format!("{metrics} metric{s} in metric_query"));
    }
    let (key, resolution) = if high_resolution {
        ("cloudwatch/alarm/high-resolution", "high resolution")
    } else {
        ("cloudwatch/alarm/standard", "standard resolution")
    };
    details.push(resolution.to_string());
    let what = if quantity == 1 { "Alarm metric" } else { "Alarm metrics" };
    p.fixed(
        "alarm-metrics",
        format!("{what} ({})", details.join(", ")),
        key,
        Decimal::from(quantity),
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lines, one, one_in};
    use crate::cost::Status;
    use infra_provider::Value;

    fn metric(name: &str, period: i64) -> Value {
        Value::List(vec![Value::map([
            ("metric_name", Value::string(name)),
            ("namespace", Value::string("AWS/ApplicationELB")),
            ("period", Value::int(period)),
            ("stat", Value::string("Sum")),
        ])])
    }

    fn query(id: &str, expression: Option<&str>, metric: Option<Value>) -> Value {
        Value::map([
            ("id", Value::string(id)),
            ("expression", Value::opt_string(expression)),
            ("metric", metric.unwrap_or(Value::List(vec![]))),
        ])
    }

    fn alarm(pairs: &[(&str, Value)]) -> Value {
        let mut attrs = vec![
            ("alarm_name", Value::string("api-5xx")),
            ("comparison_operator", Value::string("GreaterThanThreshold")),
            ("evaluation_periods", Value::int(2)),
        ];
        attrs.extend(pairs.iter().cloned());
        Value::map(attrs)
    }

    #[test]
    fn one_metric_at_a_period_of_a_minute_or_more_is_one_standard_alarm_metric() {
        let r = one(
            "aws_cloudwatch_metric_alarm.cpu",
            alarm(&[
                ("metric_name", Value::string("CPUUtilization")),
                ("period", Value::int(300)),
            ]),
        );
        assert_eq!(r.status, Status::Priced);
        // 1 × $0.10.
        assert_eq!(
            lines(&r),
            vec![("Alarm metric (standard resolution)".to_string(), "0.10".to_string())]
        );
        assert_eq!(r.components[0].price.key, "cloudwatch/alarm/standard");
        assert_eq!(r.components[0].unit, "alarm-metric-month");
        // Exactly 60 seconds is still standard resolution.
        let r = one("aws_cloudwatch_metric_alarm.cpu", alarm(&[("period", Value::int(60))]));
        assert_eq!(r.monthly.to_plain_string(), "0.10");
    }

    #[test]
    fn a_period_under_a_minute_is_a_high_resolution_alarm_metric() {
        // 1 × $0.30.
        let r = one("aws_cloudwatch_metric_alarm.fast", alarm(&[("period", Value::int(10))]));
        assert_eq!(
            lines(&r),
            vec![("Alarm metric (high resolution)".to_string(), "0.30".to_string())]
        );
        assert_eq!(r.components[0].price.key, "cloudwatch/alarm/high-resolution");
        // São Paulo prices come from its own file.
        let r = one_in(
            "sa-east-1",
            "aws_cloudwatch_metric_alarm.fast",
            alarm(&[("period", Value::int(10))]),
        );
        assert_eq!(r.components[0].price.file, "prices/aws/sa-east-1.json");
        assert_eq!(r.monthly.to_plain_string(), "0.45");
    }

    #[test]
    fn metric_math_counts_each_metric_of_the_query_not_the_expressions() {
        // The 5xx rate of the API: e1 = m2/m1*100 over two metrics → 2 × $0.10.
        let queries = Value::set(vec![
            query("e1", Some("m2/m1*100"), None),
            query("m1", None, Some(metric("RequestCount", 60))),
            query("m2", None, Some(metric("HTTPCode_Target_5XX_Count", 60))),
        ]);
        let r = one("aws_cloudwatch_metric_alarm.rate", alarm(&[("metric_query", queries)]));
        assert_eq!(
            lines(&r),
            vec![(
                "Alarm metrics (2 metrics in metric_query, standard resolution)".to_string(),
                "0.20".to_string()
            )]
        );
        // One metric at 30 seconds makes the alarm high resolution: 2 × $0.30.
        let queries = Value::set(vec![
            query("e1", Some("m2/m1*100"), None),
            query("m1", None, Some(metric("RequestCount", 30))),
            query("m2", None, Some(metric("HTTPCode_Target_5XX_Count", 60))),
        ]);
        let r = one("aws_cloudwatch_metric_alarm.rate", alarm(&[("metric_query", queries)]));
        assert_eq!(r.monthly.to_plain_string(), "0.60");
    }

    #[test]
    fn anomaly_detection_counts_three_alarm_metrics_per_metric() {
        let queries = Value::set(vec![
            query("e1", Some("ANOMALY_DETECTION_BAND(m1)"), None),
            query("m1", None, Some(metric("CPUUtilization", 300))),
        ]);
        let r = one(
            "aws_cloudwatch_metric_alarm.anomaly",
            alarm(&[
                ("comparison_operator", Value::string("GreaterThanUpperThreshold")),
                ("threshold_metric_id", Value::string("e1")),
                ("metric_query", queries),
            ]),
        );
        // 3 × $0.10.
        assert_eq!(
            lines(&r),
            vec![(
                "Alarm metrics (anomaly detection, 3 per metric, 1 metric in metric_query, standard resolution)"
                    .to_string(),
                "0.30".to_string()
            )]
        );
        assert_eq!(r.components[0].quantity.unwrap().to_string(), "3");
    }

    #[test]
    fn unknown_periods_and_unmodelled_queries_are_said_so() {
        let r = one("aws_cloudwatch_metric_alarm.x", alarm(&[("period", Value::Unknown)]));
        assert_eq!(r.status, Status::Unknown("period known only after apply".into()));
        assert!(r.monthly.is_zero());
        let insights = Value::set(vec![Value::map([
            ("id", Value::string("q1")),
            (
                "expression",
                Value::string("SELECT AVG(CPUUtilization) FROM SCHEMA(\"AWS/EC2\", InstanceId)"),
            ),
            ("period", Value::int(60)),
        ])]);
        let r = one("aws_cloudwatch_metric_alarm.x", alarm(&[("metric_query", insights)]));
        assert!(
            matches!(&r.status, Status::NotPriced(m) if m.contains("Metrics Insights")),
            "{:?}",
            r.status
        );
        let search = Value::set(vec![query(
            "e1",
            Some("SEARCH('{AWS/EC2,InstanceId} CPUUtilization', 'Average')"),
            None,
        )]);
        let r = one("aws_cloudwatch_metric_alarm.x", alarm(&[("metric_query", search)]));
        assert!(
            matches!(&r.status, Status::NotPriced(m) if m.contains("SEARCH")),
            "{:?}",
            r.status
        );
    }
}
