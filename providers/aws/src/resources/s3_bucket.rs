//! `aws_s3_bucket`: an S3 general purpose bucket (its name, tags and object lock switch; versioning,
//! lifecycle and public access block are their own types). `id` is the bucket name. A bucket given no
//! `bucket` gets a unique name from `bucket_prefix` (or `terraform-`), derived from the create's client
//! token so an interrupted create retries with the same name.
//!
//! Deleting with `force_destroy` first deletes every object version and delete marker (bypassing
//! governance-mode retention), then the bucket, then waits until S3 no longer finds it.
//!
//! Batched read: one `ListBuckets` call answers which buckets exist (and their region) for all of them,
//! and the refresh's Resource Groups Tagging API sweep ([`crate::tagging`], shared with the other types)
//! their tags; a bucket that API does not answer for is read with `GetBucketTagging`. `object_lock_enabled` cannot be turned off once
//! on, so a refresh keeps the known value; only a bucket read without one (import, adoption) costs a
//! `GetObjectLockConfiguration` call. Reads right after a write use `HeadBucket` + `GetBucketTagging`.
//! Import ID: the bucket name.

use crate::client::AwsClient;
use crate::errors::{aws_err, code_of};
use crate::s3::{bucket_arn, get_tags, is_no_bucket, put_tags};
use crate::tagging::tags_by_arn;
use crate::tags;
use crate::values::{ReadResults, all_failed, complete, partial_object, prior_for, str_attr, unique_name};
use async_trait::async_trait;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, ObjectLockEnabled,
};
use infra_provider::{
    Attribute, Block, Check, OpContext, PlanRequest, Poll, ProviderError, ResourceType, Result, Schema, TAG_ADDRESS,
    TAG_LINEAGE, Timeouts, Type, Value, wait_for,
};
use std::collections::{BTreeMap, HashMap};

pub struct S3Bucket;

/// Most keys one `DeleteObjects` call takes.
const DELETE_BATCH: usize = 1000;

/// `Check::Fn` for `bucket`: 3 to 63 lower-case letters, digits, dots and hyphens.
fn bucket_name(v: &Value) -> std::result::Result<(), String> {
    match v.as_str() {
        Some(b) if b.len() < 3 || b.len() > 63 || b.chars().any(|ch| ch.is_ascii_uppercase() || ch == '_') => Err(
            format!("invalid S3 bucket name {b:?}: 3 to 63 lower-case letters, digits, dots and hyphens"),
        ),
        _ => Ok(()),
    }
}

fn block() -> Block {
    Block::new()
        .id()
        .attr(
            "bucket",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Fn(bucket_name))
                .conflicts_with(&["bucket_prefix"]),
        )
        .attr(
            "bucket_prefix",
            Attribute::optional_computed(Type::String)
                .force_new()
                .check(Check::Length(0, 37))
                .conflicts_with(&["bucket"]),
        )
        .attr("force_destroy", Attribute::optional(Type::Bool).default(false))
        // Deprecated by Terraform in favour of aws_s3_bucket_acl, still valid: a canned ACL put with
        // PutBucketAcl. Like Terraform's, the read keeps the configured value (S3 answers grants).
        .attr(
            "acl",
            Attribute::optional_computed(Type::String).one_of(&[
                "private",
                "public-read",
                "public-read-write",
                "aws-exec-read",
                "authenticated-read",
                "bucket-owner-read",
                "bucket-owner-full-control",
                "log-delivery-write",
            ]),
        )
        .attr(
            "object_lock_enabled",
            Attribute::optional_computed(Type::Bool).force_new(),
        )
        .attr("arn", Attribute::computed(Type::String))
        .attr("bucket_domain_name", Attribute::computed(Type::String))
        .attr("bucket_regional_domain_name", Attribute::computed(Type::String))
        .attr("hosted_zone_id", Attribute::computed(Type::String))
        .attr("region", Attribute::computed(Type::String))
        .tags()
}

/// Route 53 hosted zone IDs of the S3 website endpoints, by region.
const HOSTED_ZONES: &[(&str, &str)] = &[
    ("af-south-1", "Z83WF9RJE8B12"),
    ("ap-east-1", "ZNB98KWMFR0R6"),
    ("ap-northeast-1", "Z2M4EHUR26P7ZW"),
    ("ap-northeast-2", "Z3W03O7B5YMIYP"),
    ("ap-northeast-3", "Z2YQB5RD63NC85"),
    ("ap-south-1", "Z11RGJOFQNVJUP"),
    ("ap-southeast-1", "Z3O0J2DXBE1FTB"),
    ("ap-southeast-2", "Z1WCIGYICN2BYD"),
    ("ca-central-1", "Z1QDHH18159H29"),
    ("eu-central-1", "Z21DNDUVLTQW6Q"),
    ("eu-north-1", "Z3BAZG2TWCNX0D"),
    ("eu-south-1", "Z30OZKI7KPW7MI"),
    ("eu-west-1", "Z1BKCTXD74EZPE"),
    ("eu-west-2", "Z3GKZC51ZF0DB4"),
    ("eu-west-3", "Z3R1K369G5AVDG"),
    ("me-south-1", "Z1MPMWCPA7YB62"),
    ("sa-east-1", "Z7KQH4QJS55SO"),
    ("us-east-1", "Z3AQBSTGFYJSTF"),
    ("us-east-2", "Z2O1EMRO9K5GLX"),
    ("us-gov-east-1", "Z2NIFVYYW2VKV1"),
    ("us-gov-west-1", "Z31GFT0UA1I2HV"),
    ("us-west-1", "Z2F56UZL2M1ACD"),
    ("us-west-2", "Z3BJ6K6RIION7M"),
];

fn hosted_zone_id(region: &str) -> Value {
    Value::opt_string(HOSTED_ZONES.iter().find(|(r, _)| *r == region).map(|(_, z)| *z))
}

fn dns_suffix(c: &AwsClient) -> &'static str {
    if c.partition() == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// What one read learned about a bucket.
struct Found {
    name: String,
    region: String,
    tags: Vec<(String, String)>,
    object_lock: bool,
}

fn flatten(c: &AwsClient, f: &Found, prior: &Value) -> Value {
    let suffix = dns_suffix(c);
    let prefix = match str_attr(prior, "bucket_prefix") {
        Some(p) if f.name.starts_with(&p) => Value::string(p),
        _ => Value::Null,
    };
    let mut obj = Value::map([
        ("id", Value::string(&f.name)),
        ("bucket", Value::string(&f.name)),
        ("bucket_prefix", prefix),
        (
            "force_destroy",
            crate::values::carry(prior, "force_destroy", Value::Bool(false)),
        ),
        ("acl", crate::values::carry(prior, "acl", Value::Null)),
        ("object_lock_enabled", Value::Bool(f.object_lock)),
        ("arn", Value::string(bucket_arn(c, &f.name))),
        ("bucket_domain_name", Value::string(format!("{}.s3.{suffix}", f.name))),
        (
            "bucket_regional_domain_name",
            Value::string(format!("{}.s3.{}.{suffix}", f.name, f.region)),
        ),
        ("hosted_zone_id", hosted_zone_id(&f.region)),
        ("region", Value::string(&f.region)),
    ]);
    tags::set_read_tags(c, &mut obj, prior, f.tags.clone());
    complete(&block(), obj)
}

/// Puts the planned canned ACL, when there is one.
async fn put_acl(c: &AwsClient, bucket: &str, planned: &Value) -> Result<()> {
    let Some(acl) = planned.get_str("acl") else {
        return Ok(());
    };
    c.s3()
        .put_bucket_acl()
        .bucket(bucket)
        .acl(aws_sdk_s3::types::BucketCannedAcl::from(acl))
        .send()
        .await
        .map_err(aws_err(format!(
            "setting the ACL of S3 bucket {bucket} (s3:PutBucketAcl)"
        )))?;
    Ok(())
}

async fn object_lock_enabled(c: &AwsClient, bucket: &str) -> Result<bool> {
    match c.s3().get_object_lock_configuration().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .object_lock_configuration()
            .and_then(|o| o.object_lock_enabled())
            .is_some_and(|e| *e == ObjectLockEnabled::Enabled)),
        Err(e) => {
            let e = aws_err(format!("reading the object lock configuration of S3 bucket {bucket}"))(e);
            if code_of(&e) == "ObjectLockConfigurationNotFoundError" {
                Ok(false)
            } else {
                Err(e)
            }
        }
    }
}

/// The known `object_lock_enabled` of a prior, else the cloud's.
async fn lock_of(c: &AwsClient, bucket: &str, prior: &Value) -> Result<bool> {
    match prior.get_bool("object_lock_enabled") {
        Some(b) => Ok(b),
        None => object_lock_enabled(c, bucket).await,
    }
}

/// The region of a bucket from `HeadBucket`; `None` when it does not exist.
async fn head(c: &AwsClient, bucket: &str) -> Result<Option<String>> {
    match c.s3().head_bucket().bucket(bucket).send().await {
        Ok(out) => Ok(Some(
            out.bucket_region()
                .filter(|r| !r.is_empty())
                .unwrap_or(c.region())
                .to_string(),
        )),
        Err(e) => {
            let e = aws_err(format!("reading S3 bucket {bucket}"))(e);
            if e.is_not_found() || is_no_bucket(&e) {
                Ok(None)
            } else {
                Err(e)
            }
        }
    }
}

/// One bucket, read directly (after a write, on import): `HeadBucket`, `GetBucketTagging`.
async fn read_one(c: &AwsClient, bucket: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = prior_for(prior, bucket);
    let Some(region) = head(c, bucket).await? else {
        return Ok(None);
    };
    let tags = match get_tags(c, bucket).await {
        Ok(t) => t,
        Err(e) if is_no_bucket(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let object_lock = lock_of(c, bucket, &prior).await?;
    let f = Found {
        name: bucket.to_string(),
        region,
        tags,
        object_lock,
    };
    Ok(Some(flatten(c, &f, &prior)))
}

/// Many buckets: `ListBuckets` once, tags through the Tagging API (see the module documentation).
async fn read_buckets(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let mut listed: HashMap<String, String> = HashMap::new();
    let mut token: Option<String> = None;
    loop {
        let out = c
            .s3()
            .list_buckets()
            .set_continuation_token(token.take())
            .send()
            .await
            .map_err(aws_err("listing S3 buckets"))?;
        for b in out.buckets() {
            if let Some(name) = b.name() {
                let region = b.bucket_region().filter(|r| !r.is_empty()).unwrap_or(c.region());
                listed.insert(name.to_string(), region.to_string());
            }
        }
        match out.continuation_token().filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    let mut wanted: Vec<(&Value, String)> = Vec::new();
    for p in priors {
        if let Some(id) = str_attr(p, "id")
            && listed.contains_key(&id)
            && !wanted.iter().any(|(_, w)| *w == id)
        {
            wanted.push((p, id));
        }
    }
    let arns: Vec<String> = wanted.iter().map(|(_, b)| bucket_arn(c, b)).collect();
    let mut tagged = if arns.is_empty() {
        HashMap::new()
    } else {
        tags_by_arn(c, &arns).await?
    };
    let reads = wanted.iter().zip(&arns).map(|((prior, bucket), arn)| {
        let known = tagged.remove(arn);
        async move {
            let tags = match known {
                Some(t) => t,
                None => match get_tags(c, bucket).await {
                    Ok(t) => t,
                    Err(e) if is_no_bucket(&e) => return Ok(None),
                    Err(e) => return Err(e),
                },
            };
            let object_lock = match lock_of(c, bucket, prior).await {
                Ok(l) => l,
                Err(e) if is_no_bucket(&e) => return Ok(None),
                Err(e) => return Err(e),
            };
            Ok(Some((tags, object_lock)))
        }
    });
    let details = futures::future::join_all(reads).await;
    let mut results = ReadResults::new();
    for ((prior, bucket), d) in wanted.iter().zip(details) {
        if let Some((tags, object_lock)) = d? {
            let f = Found {
                name: bucket.clone(),
                region: listed[bucket].clone(),
                tags,
                object_lock,
            };
            results.insert(bucket.clone(), flatten(c, &f, prior));
        }
    }
    Ok(results)
}

/// True for a bucket [`find_created`](S3Bucket::find_created) found without any tags.
fn untagged(found: &Value) -> bool {
    found.get("tags_all").is_none_or(Value::is_null)
}

/// The name a create uses: `bucket`, else a unique name from `bucket_prefix` and the client token.
fn name_for(planned: &Value, ctx: &OpContext) -> String {
    match str_attr(planned, "bucket") {
        Some(b) => b,
        None => unique_name(
            Some(str_attr(planned, "bucket_prefix").as_deref().unwrap_or("terraform-")),
            &ctx.client_token,
        ),
    }
}

/// Deletes every object version and delete marker of a bucket.
async fn empty_bucket(c: &AwsClient, bucket: &str) -> Result<()> {
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let out = c
            .s3()
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(aws_err(format!("listing object versions of S3 bucket {bucket}")))?;
        let mut ids: Vec<ObjectIdentifier> = Vec::new();
        for v in out.versions() {
            if let Some(k) = v.key() {
                ids.push(
                    ObjectIdentifier::builder()
                        .key(k)
                        .set_version_id(v.version_id().map(str::to_string))
                        .build()
                        .map_err(|e| ProviderError::new(format!("building an object identifier: {e}")))?,
                );
            }
        }
        for m in out.delete_markers() {
            if let Some(k) = m.key() {
                ids.push(
                    ObjectIdentifier::builder()
                        .key(k)
                        .set_version_id(m.version_id().map(str::to_string))
                        .build()
                        .map_err(|e| ProviderError::new(format!("building an object identifier: {e}")))?,
                );
            }
        }
        for chunk in ids.chunks(DELETE_BATCH) {
            let del = Delete::builder()
                .set_objects(Some(chunk.to_vec()))
                .quiet(true)
                .build()
                .map_err(|e| ProviderError::new(format!("building a delete request: {e}")))?;
            let res = c
                .s3()
                .delete_objects()
                .bucket(bucket)
                .delete(del)
                .bypass_governance_retention(true)
                .send()
                .await
                .map_err(aws_err(format!("deleting objects of S3 bucket {bucket}")))?;
            if let Some(err) = res.errors().first() {
                return Err(ProviderError::api(
                    err.code().unwrap_or("Unknown"),
                    format!(
                        "deleting objects of S3 bucket {bucket}: {} object(s) could not be deleted: {}",
                        res.errors().len(),
                        err.message().unwrap_or_default()
                    ),
                ));
            }
        }
        if out.is_truncated() == Some(true) {
            key_marker = out.next_key_marker().map(str::to_string);
            version_marker = out.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() && version_marker.is_none() {
                break;
            }
        } else {
            break;
        }
    }
    Ok(())
}

#[async_trait]
impl ResourceType<AwsClient> for S3Bucket {
    fn name(&self) -> &'static str {
        "aws_s3_bucket"
    }

    fn schema(&self) -> Schema {
        Schema::new(block()).timeouts(Timeouts::minutes(20, 20, 60))
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        let set = |k: &str| req.config.get(k).is_some_and(|v| !v.is_null());
        if set("bucket") && set("bucket_prefix") {
            return Err(ProviderError::invalid("only one of bucket or bucket_prefix may be set"));
        }
        if req.prior.is_none() && !set("object_lock_enabled") {
            req.planned.set_attr("object_lock_enabled", Value::Bool(false));
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        let id = str_attr(prior, "id").ok_or_else(|| ProviderError::invalid("the object has no id"))?;
        read_one(c, &id, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_buckets(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = name_for(planned, ctx);
        let mut req = c.s3().create_bucket().bucket(&name);
        if c.region() != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(c.region()))
                    .build(),
            );
        }
        if planned.get_bool("object_lock_enabled") == Some(true) {
            req = req.object_lock_enabled_for_bucket(true);
        }
        req.send()
            .await
            .map_err(aws_err(format!("creating S3 bucket {name}")))?;
        let rest = async {
            // The bucket may take a moment to be visible everywhere.
            wait_for(ctx, "bucket visible", || async {
                Ok(match head(c, &name).await? {
                    Some(_) => Poll::Ready(()),
                    None => Poll::Pending("not found yet".into()),
                })
            })
            .await?;
            // The ACL before the tags: a bucket found untagged is finished with both (see `unfinished`).
            put_acl(c, &name, planned).await?;
            put_tags(c, &name, &tags::for_create(c, ctx, planned)).await?;
            read_one(c, &name, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("S3 bucket {name} vanished after create")))
        };
        rest.await.map_err(|e| {
            e.with_partial(partial_object(
                &block(),
                &planned.clone().with("bucket", Value::string(&name)),
                &name,
            ))
        })
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let name = crate::values::id_of(prior)?;
        if !tags::changes(c, prior, planned).is_empty() {
            // S3 replaces the whole tag set: keep the ownership tags the bucket has.
            let current: BTreeMap<String, String> = get_tags(c, &name).await?.into_iter().collect();
            let mut want = tags::desired(c, planned);
            for (k, v) in current {
                if tags::is_internal(&k) {
                    want.insert(k, v);
                }
            }
            put_tags(c, &name, &want).await?;
        }
        if crate::values::changed(prior, planned, "acl") {
            put_acl(c, &name, planned).await?;
        }
        let _ = ctx;
        read_one(c, &name, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("S3 bucket {name} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let name = crate::values::id_of(prior)?;
        let force = prior.get_bool("force_destroy") == Some(true);
        wait_for(ctx, "bucket deletion", || async {
            match c.s3().delete_bucket().bucket(&name).send().await {
                Ok(_) => {}
                Err(e) => {
                    let e = aws_err(format!("deleting S3 bucket {name}"))(e);
                    if is_no_bucket(&e) {
                        return Ok(Poll::Ready(()));
                    }
                    if code_of(&e) == "BucketNotEmpty" && force {
                        empty_bucket(c, &name).await?;
                        return Ok(Poll::Pending("emptying".into()));
                    }
                    if code_of(&e) == "BucketNotEmpty" {
                        let mut e = e;
                        e.message = format!(
                            "{} (set force_destroy = true to delete the objects with the bucket)",
                            e.message
                        );
                        return Err(e);
                    }
                    return Err(e);
                }
            }
            Ok(match head(c, &name).await? {
                None => Poll::Ready(()),
                Some(_) => Poll::Pending("still visible".into()),
            })
        })
        .await
    }

    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        read_one(c, id, &Value::map([("id", Value::string(id))])).await
    }

    /// The create is `CreateBucket`, then `PutBucketTagging` (its tags and the ownership tags). A found
    /// bucket with no tags at all is one whose create stopped in between (the create always puts at
    /// least the ownership tags): [`find_created`](Self::find_created) marks it with a null `tags_all`
    /// (a read always has a map there), and finishing it puts the tags.
    fn unfinished(&self, found: &Value, _planned: &Value) -> Vec<String> {
        if untagged(found) {
            vec!["tag it (its tags and the ownership tags)".to_string()]
        } else {
            Vec::new()
        }
    }

    async fn finish_create(&self, c: &AwsClient, ctx: &OpContext, found: &Value, planned: &Value) -> Result<Value> {
        let name = crate::values::id_of(found)?;
        let prior = planned.clone().with("bucket", Value::string(&name));
        if untagged(found) {
            put_acl(c, &name, planned).await?;
            put_tags(c, &name, &tags::for_create(c, ctx, planned)).await?;
            return read_one(c, &name, &prior)
                .await?
                .ok_or_else(|| ProviderError::not_found(format!("S3 bucket {name} not found")));
        }
        self.update(c, ctx, found, &prior).await
    }

    /// By name: the name is derived from the client token (or given), so the interrupted create asked
    /// for this same name. A bucket of that name is adopted when it carries this operation's ownership
    /// tags, or has no tags at all (the create stopped before tagging it; see
    /// [`unfinished`](Self::unfinished)). Only reads.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let name = name_for(planned, ctx);
        if head(c, &name).await?.is_none() {
            return Ok(None);
        }
        let tags: BTreeMap<String, String> = get_tags(c, &name).await?.into_iter().collect();
        let owned = tags.get(TAG_ADDRESS) == Some(&ctx.address) && tags.get(TAG_LINEAGE) == Some(&ctx.lineage);
        if !owned && !tags.is_empty() {
            return Ok(None);
        }
        let prior = planned.clone().with("bucket", Value::string(&name));
        let mut found = read_one(c, &name, &prior.with("object_lock_enabled", Value::Null)).await?;
        if let Some(v) = found.as_mut().filter(|_| !owned) {
            v.set_attr("tags_all", Value::Null);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::hosted_zone_id;
    use infra_provider::Value;

    #[test]
    fn hosted_zones_by_region() {
        assert_eq!(hosted_zone_id("us-east-1"), Value::from("Z3AQBSTGFYJSTF"));
        assert_eq!(hosted_zone_id("eu-west-1"), Value::from("Z1BKCTXD74EZPE"));
        assert_eq!(hosted_zone_id("xx-nowhere-1"), Value::Null);
    }
}
