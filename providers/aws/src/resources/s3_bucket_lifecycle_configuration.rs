//! `aws_s3_bucket_lifecycle_configuration`: the lifecycle rules of a bucket (expiration, transitions,
//! noncurrent version handling, aborting incomplete multipart uploads), written as a whole with
//! `PutBucketLifecycleConfiguration`. `id` is the bucket name (or `bucket,expected_bucket_owner`).
//! After a write the provider waits until S3 reads back the same rule IDs, and after a delete until it
//! reads no configuration (S3 reads lag a moment behind writes), as Terraform does.
//!
//! Values the API fills in (a rule without filter gets an empty one, prefixes come back as `""`) are
//! `optional + computed` and read as S3 reports them, except that an empty filter S3 reports for a rule
//! configured without one reads as no filter, so applying and planning again shows no change.
//!
//! Reads: one `GetBucketLifecycleConfiguration` per bucket; S3 has no batch form (made concurrently in
//! a refresh). Import ID: the bucket name, or `bucket,expected_bucket_owner`.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::s3::{is_no_bucket, wait_visible};
use crate::values::{complete, id_of, str_attr};
use async_trait::async_trait;
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration, NoncurrentVersionTransition, Tag,
    Transition, TransitionDefaultMinimumObjectSize, TransitionStorageClass,
};
use infra_provider::{
    Attribute, Block, Check, Invalid, NestedBlock, OpContext, ProviderError, ResourceType, Result, Schema, Timeouts,
    Type, Value,
};

pub struct S3BucketLifecycleConfiguration;

fn single(b: Block) -> NestedBlock {
    NestedBlock::list(b).max(1)
}

fn filter_block() -> Block {
    Block::new()
        .attr("object_size_greater_than", Attribute::optional_computed(Type::Number))
        .attr("object_size_less_than", Attribute::optional_computed(Type::Number))
        .attr("prefix", Attribute::optional_computed(Type::String))
        .block(
            "tag",
            single(
                Block::new()
                    .attr("key", Attribute::required(Type::String))
                    .attr("value", Attribute::required(Type::String)),
            ),
        )
        .block(
            "and",
            single(
                Block::new()
                    .attr("object_size_greater_than", Attribute::optional_computed(Type::Number))
                    .attr("object_size_less_than", Attribute::optional_computed(Type::Number))
                    .attr("prefix", Attribute::optional_computed(Type::String))
                    .attr("tags", Attribute::optional(Type::string_map())),
            ),
        )
}

/// Storage classes a transition moves objects to.
const STORAGE_CLASSES: &[&str] = &[
    "GLACIER",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
];

fn rule_block() -> Block {
    Block::new()
        .attr("id", Attribute::required(Type::String).check(Check::Length(1, 255)))
        .attr(
            "status",
            Attribute::required(Type::String).one_of(&["Enabled", "Disabled"]),
        )
        .attr("prefix", Attribute::optional_computed(Type::String))
        .block(
            "abort_incomplete_multipart_upload",
            single(Block::new().attr(
                "days_after_initiation",
                Attribute::optional(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
            )),
        )
        .block(
            "expiration",
            single(
                Block::new()
                    .attr("date", Attribute::optional(Type::String))
                    .attr("days", Attribute::optional_computed(Type::Number))
                    .attr("expired_object_delete_marker", Attribute::optional_computed(Type::Bool)),
            ),
        )
        .block("filter", single(filter_block()))
        .block(
            "noncurrent_version_expiration",
            single(
                Block::new()
                    .attr(
                        "newer_noncurrent_versions",
                        Attribute::optional(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
                    )
                    .attr(
                        "noncurrent_days",
                        Attribute::optional(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
                    ),
            ),
        )
        .block(
            "noncurrent_version_transition",
            NestedBlock::set(
                Block::new()
                    .attr(
                        "newer_noncurrent_versions",
                        Attribute::optional(Type::Number).check(Check::IntRange(1, i32::MAX as i64)),
                    )
                    .attr(
                        "noncurrent_days",
                        Attribute::optional(Type::Number).check(Check::IntRange(0, i32::MAX as i64)),
                    )
                    .attr(
                        "storage_class",
                        Attribute::required(Type::String).one_of(STORAGE_CLASSES),
                    ),
            ),
        )
        .block(
            "transition",
            NestedBlock::set(
                Block::new()
                    .attr("date", Attribute::optional(Type::String))
                    .attr(
                        "days",
                        Attribute::optional_computed(Type::Number).check(Check::IntRange(0, i32::MAX as i64)),
                    )
                    .attr(
                        "storage_class",
                        Attribute::required(Type::String).one_of(STORAGE_CLASSES),
                    ),
            ),
        )
}

fn block() -> Block {
    Block::new()
        .id()
        .attr("bucket", Attribute::required(Type::String).force_new())
        .attr("expected_bucket_owner", Attribute::optional(Type::String).force_new())
        .attr(
            "transition_default_minimum_object_size",
            Attribute::optional_computed(Type::String),
        )
        .block("rule", NestedBlock::list(rule_block()).min(1))
}

fn parse_id(id: &str) -> (String, Option<String>) {
    match id.split_once(',') {
        Some((b, o)) if !o.is_empty() => (b.to_string(), Some(o.to_string())),
        _ => (id.to_string(), None),
    }
}

fn make_id(bucket: &str, owner: Option<&str>) -> String {
    match owner {
        Some(o) => format!("{bucket},{o}"),
        None => bucket.to_string(),
    }
}

/// What S3 holds: the rules and the default minimum object size; `None` when there is no configuration.
type Current = (Vec<LifecycleRule>, Option<String>);

async fn get(c: &AwsClient, bucket: &str, owner: Option<&str>) -> Result<Option<Current>> {
    match c
        .s3()
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .set_expected_bucket_owner(owner.map(str::to_string))
        .send()
        .await
    {
        Ok(out) => Ok(Some((
            out.rules().to_vec(),
            out.transition_default_minimum_object_size()
                .map(|s| s.as_str().to_string()),
        ))),
        Err(e) => {
            let e = aws_err(format!("reading the lifecycle configuration of S3 bucket {bucket}"))(e);
            if is_no_bucket(&e) || code_of(&e) == "NoSuchLifecycleConfiguration" {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

// ---- reading ----

fn date_text(d: Option<&DateTime>, prior: Option<&str>) -> Value {
    let Some(d) = d else { return Value::Null };
    // Keep the configured text when it names the same instant.
    if let Some(p) = prior
        && DateTime::from_str(p, DateTimeFormat::DateTime).is_ok_and(|pd| pd == *d)
    {
        return Value::string(p);
    }
    Value::opt_string(d.fmt(DateTimeFormat::DateTime).ok())
}

fn opt_i64(n: Option<i64>) -> Value {
    n.map(Value::int).unwrap_or(Value::Null)
}

fn opt_i32(n: Option<i32>) -> Value {
    n.map(|n| Value::int(n as i64)).unwrap_or(Value::Null)
}

fn is_empty_filter(f: &LifecycleRuleFilter) -> bool {
    f.prefix().is_none_or(str::is_empty)
        && f.tag().is_none()
        && f.and().is_none()
        && f.object_size_greater_than().is_none()
        && f.object_size_less_than().is_none()
}

fn flatten_filter(f: Option<&LifecycleRuleFilter>, prior_rule: Option<&Value>) -> Value {
    let Some(f) = f else { return Value::List(vec![]) };
    let prior_has_filter = prior_rule.is_some_and(|p| !p.get_list("filter").is_empty());
    if is_empty_filter(f) && prior_rule.is_some() && !prior_has_filter {
        return Value::List(vec![]);
    }
    let tag = match f.tag() {
        Some(t) => Value::List(vec![Value::map([
            ("key", Value::string(t.key())),
            ("value", Value::string(t.value())),
        ])]),
        None => Value::List(vec![]),
    };
    let and = match f.and() {
        Some(a) => Value::List(vec![Value::map([
            ("object_size_greater_than", opt_i64(a.object_size_greater_than())),
            ("object_size_less_than", opt_i64(a.object_size_less_than())),
            ("prefix", Value::opt_string(a.prefix())),
            (
                "tags",
                if a.tags().is_empty() {
                    Value::Null
                } else {
                    Value::string_map(a.tags().iter().map(|t| (t.key(), t.value())))
                },
            ),
        ])]),
        None => Value::List(vec![]),
    };
    Value::List(vec![Value::map([
        ("object_size_greater_than", opt_i64(f.object_size_greater_than())),
        ("object_size_less_than", opt_i64(f.object_size_less_than())),
        ("prefix", Value::opt_string(f.prefix())),
        ("tag", tag),
        ("and", and),
    ])])
}

#[allow(deprecated)]
fn flatten_rule(r: &LifecycleRule, prior_rule: Option<&Value>) -> Value {
    let prior_exp = prior_rule.and_then(|p| p.get_block("expiration"));
    let expiration = match r.expiration() {
        Some(e) => Value::List(vec![Value::map([
            ("date", date_text(e.date(), prior_exp.and_then(|p| p.get_str("date")))),
            ("days", opt_i32(e.days())),
            (
                "expired_object_delete_marker",
                Value::opt_bool(e.expired_object_delete_marker()),
            ),
        ])]),
        None => Value::List(vec![]),
    };
    let prior_transitions = prior_rule.map(|p| p.get_list("transition")).unwrap_or(&[]);
    let transitions = r
        .transitions()
        .iter()
        .map(|t| {
            let class = t.storage_class().map(|s| s.as_str().to_string());
            let prior_date = prior_transitions
                .iter()
                .find(|p| p.get_str("storage_class") == class.as_deref())
                .and_then(|p| p.get_str("date"));
            Value::map([
                ("date", date_text(t.date(), prior_date)),
                ("days", opt_i32(t.days())),
                ("storage_class", Value::opt_string(class)),
            ])
        })
        .collect();
    let noncurrent_transitions = r
        .noncurrent_version_transitions()
        .iter()
        .map(|t| {
            Value::map([
                ("newer_noncurrent_versions", opt_i32(t.newer_noncurrent_versions())),
                ("noncurrent_days", opt_i32(t.noncurrent_days())),
                (
                    "storage_class",
                    Value::opt_string(t.storage_class().map(|s| s.as_str())),
                ),
            ])
        })
        .collect();
    let noncurrent_expiration = match r.noncurrent_version_expiration() {
        Some(n) => Value::List(vec![Value::map([
            ("newer_noncurrent_versions", opt_i32(n.newer_noncurrent_versions())),
            ("noncurrent_days", opt_i32(n.noncurrent_days())),
        ])]),
        None => Value::List(vec![]),
    };
    let abort = match r.abort_incomplete_multipart_upload() {
        Some(a) => Value::List(vec![Value::map([(
            "days_after_initiation",
            opt_i32(a.days_after_initiation()),
        )])]),
        None => Value::List(vec![]),
    };
    Value::map([
        ("id", Value::opt_string(r.id())),
        ("status", Value::string(r.status().as_str())),
        ("prefix", Value::opt_string(r.prefix())),
        ("abort_incomplete_multipart_upload", abort),
        ("expiration", expiration),
        ("filter", flatten_filter(r.filter(), prior_rule)),
        ("noncurrent_version_expiration", noncurrent_expiration),
        ("noncurrent_version_transition", Value::set(noncurrent_transitions)),
        ("transition", Value::set(transitions)),
    ])
}

fn flatten(id: &str, cur: &Current, prior: &Value) -> Value {
    let (bucket, owner) = parse_id(id);
    let prior_rules = prior.get_list("rule");
    let prior_rule = |rid: Option<&str>| prior_rules.iter().find(|p| p.get_str("id") == rid && rid.is_some());
    let mut rules: Vec<(usize, Value)> = cur
        .0
        .iter()
        .map(|r| {
            let pos = prior_rules
                .iter()
                .position(|p| r.id().is_some() && p.get_str("id") == r.id())
                .unwrap_or(usize::MAX);
            (pos, flatten_rule(r, prior_rule(r.id())))
        })
        .collect();
    // Keep the configured order of rules (S3 may answer in another).
    rules.sort_by_key(|(pos, _)| *pos);
    complete(
        &block(),
        Value::map([
            ("id", Value::string(id)),
            ("bucket", Value::string(bucket)),
            ("expected_bucket_owner", Value::opt_string(owner)),
            (
                "transition_default_minimum_object_size",
                Value::opt_string(cur.1.clone()),
            ),
            ("rule", Value::List(rules.into_iter().map(|(_, r)| r).collect())),
        ]),
    )
}

async fn read_id(c: &AwsClient, id: &str, prior: &Value) -> Result<Option<Value>> {
    let (bucket, owner) = parse_id(id);
    Ok(get(c, &bucket, owner.as_deref())
        .await?
        .map(|cur| flatten(id, &cur, prior)))
}

// ---- writing ----

fn int(v: &Value, k: &str) -> Option<i32> {
    v.get_i64(k).map(|n| n as i32)
}

fn date(v: &Value, k: &str) -> Result<Option<DateTime>> {
    match str_attr(v, k) {
        None => Ok(None),
        Some(s) => DateTime::from_str(&s, DateTimeFormat::DateTime)
            .map(Some)
            .map_err(|_| ProviderError::invalid(format!("{k} {s:?} is not an RFC 3339 date (2024-01-01T00:00:00Z)"))),
    }
}

fn tag(k: &str, v: &str) -> Result<Tag> {
    Tag::builder()
        .key(k)
        .value(v)
        .build()
        .map_err(|e| ProviderError::new(format!("building a tag: {e}")))
}

fn expand_filter(f: &Value) -> Result<LifecycleRuleFilter> {
    let mut b = LifecycleRuleFilter::builder()
        .set_object_size_greater_than(f.get_i64("object_size_greater_than"))
        .set_object_size_less_than(f.get_i64("object_size_less_than"))
        .set_prefix(f.get_str("prefix").map(str::to_string));
    if let Some(t) = f.get_block("tag") {
        b = b.tag(tag(
            t.get_str("key").unwrap_or_default(),
            t.get_str("value").unwrap_or_default(),
        )?);
    }
    if let Some(a) = f.get_block("and") {
        let tags = a
            .get_string_map("tags")
            .iter()
            .map(|(k, v)| tag(k, v))
            .collect::<Result<Vec<_>>>()?;
        b = b.and(
            LifecycleRuleAndOperator::builder()
                .set_prefix(a.get_str("prefix").map(str::to_string))
                .set_object_size_greater_than(a.get_i64("object_size_greater_than"))
                .set_object_size_less_than(a.get_i64("object_size_less_than"))
                .set_tags(if tags.is_empty() { None } else { Some(tags) })
                .build(),
        );
    }
    let built = b.build();
    // An entirely empty filter means "every object".
    if is_empty_filter(&built) && built.prefix().is_none() {
        return Ok(LifecycleRuleFilter::builder().prefix("").build());
    }
    Ok(built)
}

// The rule-level `prefix` is deprecated in S3's API but is still a Terraform argument, read and written as such.
#[allow(deprecated)]
fn expand_rule(r: &Value) -> Result<LifecycleRule> {
    let mut b = LifecycleRule::builder()
        .set_id(str_attr(r, "id"))
        .status(ExpirationStatus::from(r.get_str("status").unwrap_or("Enabled")));
    match (r.get_block("filter"), str_attr(r, "prefix")) {
        (Some(f), _) => b = b.filter(expand_filter(f)?),
        (None, Some(p)) => b = b.prefix(p),
        (None, None) => b = b.filter(LifecycleRuleFilter::builder().prefix("").build()),
    }
    if let Some(e) = r.get_block("expiration") {
        b = b.expiration(
            LifecycleExpiration::builder()
                .set_date(date(e, "date")?)
                .set_days(int(e, "days").filter(|d| *d > 0))
                .set_expired_object_delete_marker(e.get_bool("expired_object_delete_marker").filter(|m| *m))
                .build(),
        );
    }
    for t in r.get_list("transition") {
        b = b.transitions(
            Transition::builder()
                .set_date(date(t, "date")?)
                .set_days(int(t, "days"))
                .set_storage_class(t.get_str("storage_class").map(TransitionStorageClass::from))
                .build(),
        );
    }
    for t in r.get_list("noncurrent_version_transition") {
        b = b.noncurrent_version_transitions(
            NoncurrentVersionTransition::builder()
                .set_noncurrent_days(int(t, "noncurrent_days"))
                .set_newer_noncurrent_versions(int(t, "newer_noncurrent_versions"))
                .set_storage_class(t.get_str("storage_class").map(TransitionStorageClass::from))
                .build(),
        );
    }
    if let Some(n) = r.get_block("noncurrent_version_expiration") {
        b = b.noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .set_noncurrent_days(int(n, "noncurrent_days"))
                .set_newer_noncurrent_versions(int(n, "newer_noncurrent_versions"))
                .build(),
        );
    }
    if let Some(a) = r.get_block("abort_incomplete_multipart_upload") {
        b = b.abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .set_days_after_initiation(int(a, "days_after_initiation"))
                .build(),
        );
    }
    b.build()
        .map_err(|e| ProviderError::invalid(format!("lifecycle rule: {e}")))
}

fn rule_ids(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v.get_list("rule").iter().filter_map(|r| str_attr(r, "id")).collect();
    ids.sort();
    ids
}

async fn put(c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<String> {
    let bucket = str_attr(planned, "bucket").ok_or_else(|| ProviderError::invalid("bucket is required"))?;
    let owner = str_attr(planned, "expected_bucket_owner");
    let rules = planned
        .get_list("rule")
        .iter()
        .map(expand_rule)
        .collect::<Result<Vec<_>>>()?;
    let conf = BucketLifecycleConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| ProviderError::invalid(format!("lifecycle configuration: {e}")))?;
    c.s3()
        .put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .set_expected_bucket_owner(owner.clone())
        .set_transition_default_minimum_object_size(
            str_attr(planned, "transition_default_minimum_object_size")
                .map(|s| TransitionDefaultMinimumObjectSize::from(s.as_str())),
        )
        .lifecycle_configuration(conf)
        .send()
        .await
        .map_err(aws_err(format!(
            "setting the lifecycle configuration of S3 bucket {bucket}"
        )))?;
    let want = rule_ids(planned);
    wait_visible(
        ctx,
        "lifecycle configuration visible",
        || get(c, &bucket, owner.as_deref()),
        |got| {
            got.as_ref().is_some_and(|(rules, _)| {
                let mut ids: Vec<String> = rules.iter().filter_map(|r| r.id().map(str::to_string)).collect();
                ids.sort();
                ids == want
            })
        },
    )
    .await?;
    Ok(make_id(&bucket, owner.as_deref()))
}

#[async_trait]
impl ResourceType<AwsClient> for S3BucketLifecycleConfiguration {
    fn name(&self) -> &'static str {
        "aws_s3_bucket_lifecycle_configuration"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
            .timeouts(Timeouts::minutes(3, 3, 20))
            .terraform_version(1)
    }

    fn validate(&self, config: &Value) -> Vec<Invalid> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for r in config.get_list("rule") {
            if let Some(id) = r.get_str("id")
                && !seen.insert(id.to_string())
            {
                out.push(Invalid::at("rule", format!("two lifecycle rules have the id {id:?}")));
            }
            for t in r.get_list("transition").iter().chain(r.get_block("expiration")) {
                if let Some(d) = t.get_str("date")
                    && DateTime::from_str(d, DateTimeFormat::DateTime).is_err()
                {
                    out.push(Invalid::at(
                        "rule",
                        format!("date {d:?} is not an RFC 3339 date (2024-01-01T00:00:00Z)"),
                    ));
                }
            }
        }
        out
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_id(c, &id_of(prior)?, prior).await
    }

    /// No batch form exists: one `GetBucketLifecycleConfiguration` per bucket, made concurrently.
    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        let mut out = Vec::with_capacity(priors.len());
        for chunk in priors.chunks(16) {
            let reads: Vec<_> = chunk.iter().map(|p| self.read(c, p)).collect();
            out.extend(futures::future::join_all(reads).await);
        }
        out
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let id = put(c, ctx, planned).await?;
        read_id(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("lifecycle configuration {id} not found")))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, _prior: &Value, planned: &Value) -> Result<Value> {
        let id = put(c, ctx, planned).await?;
        read_id(c, &id, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("lifecycle configuration {id} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let (bucket, owner) = parse_id(&id_of(prior)?);
        match c
            .s3()
            .delete_bucket_lifecycle()
            .bucket(&bucket)
            .set_expected_bucket_owner(owner.clone())
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                let e = aws_err(format!("deleting the lifecycle configuration of S3 bucket {bucket}"))(e);
                if is_no_bucket(&e) || code_of(&e) == "NoSuchLifecycleConfiguration" {
                    return Ok(());
                }
                return Err(e);
            }
        }
        wait_visible(
            ctx,
            "lifecycle configuration deletion",
            || get(c, &bucket, owner.as_deref()),
            Option::is_none,
        )
        .await?;
        Ok(())
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_id(c, id, &Value::map([("id", Value::string(id))])).await
    }

    /// The write replaces the whole configuration: a configuration with exactly the planned rule IDs is
    /// what the interrupted create wrote, and is adopted.
    async fn find_created(&self, c: &AwsClient, _ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(bucket) = str_attr(planned, "bucket") else {
            return Ok(None);
        };
        let id = make_id(&bucket, planned.get_str("expected_bucket_owner"));
        match read_id(c, &id, planned).await? {
            Some(v) if rule_ids(&v) == rule_ids(planned) => Ok(Some(v)),
            _ => Ok(None),
        }
    }
}
