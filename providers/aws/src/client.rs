//! [`AwsClient`]: the configured provider every resource type works with. It holds one shared
//! [`SdkConfig`](aws_types::SdkConfig) and builds each service client lazily, the first time a resource
//! type needs it, with the [`ApiCallLogger`] interceptor, the `endpoints { }` override of that service and
//! that service's adaptive concurrency limit ([`crate::limit`]).
//! It also knows the region, partition, provider `default_tags` and (lazily, through STS) the account ID.
//!
//! During a refresh the types read with a client that also knows the [`Refresh`]
//! ([`AwsClient::for_refresh`]), through which they share calls (see [`crate::refresh`]).

use crate::config::AwsConfig;
use crate::errors::aws_err;
use crate::interceptor::ApiCallLogger;
use crate::limit::LimitedHttpClient;
use crate::resend::{ForbidResend, NoBlindResend};
use aws_smithy_runtime::client::retries::RetryPartition;
use aws_smithy_runtime::client::retries::TokenBucket;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::SdkConfig;
use infra_provider::{AdaptiveLimit, ProviderError, Refresh, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use tokio::sync::OnceCell;

/// The configured AWS provider (see the module documentation): its services, and the refresh it reads
/// for, if any. Cloning shares the services.
#[derive(Clone)]
pub struct AwsClient {
    services: Arc<Services>,
    refresh: Option<Arc<Refresh>>,
}

impl std::ops::Deref for AwsClient {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl AwsClient {
    pub(crate) fn new(sdk: SdkConfig, region: String, config: AwsConfig) -> AwsClient {
        AwsClient {
            services: Arc::new(Services::new(sdk, region, config)),
            refresh: None,
        }
    }

    /// The same client, reading for this refresh.
    pub fn for_refresh(&self, refresh: Arc<Refresh>) -> AwsClient {
        AwsClient {
            services: self.services.clone(),
            refresh: Some(refresh),
        }
    }

    /// The refresh this client reads for; `None` outside a refresh (reads after a create, imports).
    pub fn refresh(&self) -> Option<&Refresh> {
        self.refresh.as_deref()
    }
}

/// The configured services, region, provider settings and account of an [`AwsClient`].
pub struct Services {
    sdk: SdkConfig,
    region: String,
    config: AwsConfig,
    /// The HTTPS client every service's [`LimitedHttpClient`] sends through.
    http: SharedHttpClient,
    account_id: OnceCell<String>,
    identity: OnceCell<CallerIdentity>,
    ec2: OnceLock<aws_sdk_ec2::Client>,
    ssm: OnceLock<aws_sdk_ssm::Client>,
    secretsmanager: OnceLock<aws_sdk_secretsmanager::Client>,
    sts: OnceLock<aws_sdk_sts::Client>,
    rds: OnceLock<aws_sdk_rds::Client>,
    ecr: OnceLock<aws_sdk_ecr::Client>,
    ecs: OnceLock<aws_sdk_ecs::Client>,
    iam: OnceLock<aws_sdk_iam::Client>,
    logs: OnceLock<aws_sdk_cloudwatchlogs::Client>,
    efs: OnceLock<aws_sdk_efs::Client>,
    s3: OnceLock<aws_sdk_s3::Client>,
    elbv2: OnceLock<aws_sdk_elasticloadbalancingv2::Client>,
    pricing: OnceLock<aws_sdk_pricing::Client>,
    tagging: OnceLock<aws_sdk_resourcegroupstagging::Client>,
    servicediscovery: OnceLock<aws_sdk_servicediscovery::Client>,
    scheduler: OnceLock<aws_sdk_scheduler::Client>,
    cloudwatch: OnceLock<aws_sdk_cloudwatch::Client>,
}

/// Defines a lazy getter for one service client: shared SDK config, call logger, endpoint override.
macro_rules! service_client {
    ($(#[$doc:meta])* $name:ident, $krate:ident, $key:literal) => {
        $(#[$doc])*
        pub fn $name(&self) -> &$krate::Client {
            self.$name.get_or_init(|| {
                let mut b = $krate::config::Builder::from(&self.sdk)
                    .interceptor(ApiCallLogger)
                    .interceptor(NoBlindResend)
                    .retry_classifier(ForbidResend)
                    .retry_partition(self.retry_partition($key))
                    .http_client(self.limited_http($key));
                if let Some(url) = self.config.endpoints.get($key) {
                    b = b.endpoint_url(url);
                }
                $krate::Client::from_conf(b.build())
            })
        }
    };
}

/// Who the credentials are (STS `GetCallerIdentity`).
#[derive(Clone, Debug)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

impl Services {
    /// Each service endpoint retries in its own partition: its own client-side rate limit (adaptive
    /// mode), and no shared retry quota, so that one throttled service does not stop retries of others.
    fn retry_partition(&self, service: &str) -> RetryPartition {
        RetryPartition::custom(format!("infra-{}-{service}", self.region))
            .token_bucket(TokenBucket::unlimited())
            .build()
    }

    /// The HTTP client of one service: the shared client behind that endpoint's own adaptive
    /// concurrency limit (see [`crate::limit`]).
    fn limited_http(&self, service: &str) -> LimitedHttpClient {
        LimitedHttpClient::new(
            self.http.clone(),
            AdaptiveLimit::for_endpoint(format!("{service}.{}", self.region)),
        )
    }

    fn new(sdk: SdkConfig, region: String, config: AwsConfig) -> Services {
        Services {
            sdk,
            region,
            config,
            http: crate::limit::base_client(),
            account_id: OnceCell::new(),
            identity: OnceCell::new(),
            ec2: OnceLock::new(),
            ssm: OnceLock::new(),
            secretsmanager: OnceLock::new(),
            sts: OnceLock::new(),
            rds: OnceLock::new(),
            ecr: OnceLock::new(),
            ecs: OnceLock::new(),
            iam: OnceLock::new(),
            logs: OnceLock::new(),
            efs: OnceLock::new(),
            s3: OnceLock::new(),
            elbv2: OnceLock::new(),
            pricing: OnceLock::new(),
            tagging: OnceLock::new(),
            servicediscovery: OnceLock::new(),
            scheduler: OnceLock::new(),
            cloudwatch: OnceLock::new(),
        }
    }

    service_client!(
        /// EC2 (VPC networking).
        ec2, aws_sdk_ec2, "ec2"
    );
    service_client!(
        /// Systems Manager (parameters).
        ssm, aws_sdk_ssm, "ssm"
    );
    service_client!(
        /// Secrets Manager.
        secretsmanager, aws_sdk_secretsmanager, "secretsmanager"
    );
    service_client!(
        /// STS (caller identity).
        sts, aws_sdk_sts, "sts"
    );
    service_client!(
        /// RDS.
        rds, aws_sdk_rds, "rds"
    );
    service_client!(
        /// ECR.
        ecr, aws_sdk_ecr, "ecr"
    );
    service_client!(
        /// ECS.
        ecs, aws_sdk_ecs, "ecs"
    );
    service_client!(
        /// IAM.
        iam, aws_sdk_iam, "iam"
    );
    service_client!(
        /// CloudWatch Logs.
        logs, aws_sdk_cloudwatchlogs, "logs"
    );
    service_client!(
        /// EFS.
        efs, aws_sdk_efs, "efs"
    );
    service_client!(
        /// Elastic Load Balancing v2.
        elbv2, aws_sdk_elasticloadbalancingv2, "elbv2"
    );
    service_client!(
        /// The Resource Groups Tagging API (tags of many resources in one call).
        tagging, aws_sdk_resourcegroupstagging, "resourcegroupstaggingapi"
    );
    service_client!(
        /// Cloud Map (service discovery namespaces and services).
        servicediscovery, aws_sdk_servicediscovery, "servicediscovery"
    );
    service_client!(
        /// EventBridge Scheduler.
        scheduler, aws_sdk_scheduler, "scheduler"
    );
    service_client!(
        /// CloudWatch (metric alarms).
        cloudwatch, aws_sdk_cloudwatch, "cloudwatch"
    );

    /// S3, path-style when `s3_use_path_style` is set.
    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            let mut b = aws_sdk_s3::config::Builder::from(&self.sdk)
                .interceptor(ApiCallLogger)
                .interceptor(NoBlindResend)
                .retry_classifier(ForbidResend)
                .retry_partition(self.retry_partition("s3"))
                .http_client(self.limited_http("s3"))
                .force_path_style(self.config.s3_use_path_style);
            if let Some(url) = self.config.endpoints.get("s3") {
                b = b.endpoint_url(url);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        })
    }

    /// The Price List API. It only exists in a few regions; us-east-1 serves every region's prices.
    pub fn pricing(&self) -> &aws_sdk_pricing::Client {
        self.pricing.get_or_init(|| {
            let mut b = aws_sdk_pricing::config::Builder::from(&self.sdk)
                .interceptor(ApiCallLogger)
                .region(aws_config::Region::new("us-east-1"));
            if let Some(url) = self.config.endpoints.get("pricing") {
                b = b.endpoint_url(url);
            }
            aws_sdk_pricing::Client::from_conf(b.build())
        })
    }

    /// The shared SDK configuration (credentials, region, retries), for clients built elsewhere (the S3
    /// state backend, the KMS key provider).
    pub fn sdk(&self) -> &SdkConfig {
        &self.sdk
    }

    /// The configured region, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`, …).
    pub fn partition(&self) -> &'static str {
        crate::data_sources::partition::partition_of(&self.region).0
    }

    /// The provider's `default_tags { tags = {...} }`.
    pub fn default_tags(&self) -> &BTreeMap<String, String> {
        &self.config.default_tags
    }

    /// The account ID of the credentials, from STS `GetCallerIdentity` (called at most once).
    pub async fn account_id(&self) -> Result<String> {
        if self.config.skip_requesting_account_id && !self.account_id.initialized() {
            return Err(ProviderError::config(
                "the account ID is needed here but skip_requesting_account_id is set in the provider block",
            ));
        }
        self.account_id
            .get_or_try_init(|| async { Ok(self.caller_identity().await?.account) })
            .await
            .cloned()
    }

    /// Who the credentials are, from STS `GetCallerIdentity` (called at most once).
    pub async fn caller_identity(&self) -> Result<CallerIdentity> {
        self.identity
            .get_or_try_init(|| async {
                let out = self
                    .sts()
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(aws_err("reading the caller identity"))?;
                identity(out)
            })
            .await
            .cloned()
    }

    /// Validates the credentials with STS `GetCallerIdentity`, remembering who they are.
    /// The endpoint a service's calls go to: the `endpoints { }` block, else the SDK's standard
    /// `AWS_ENDPOINT_URL_<SERVICE>` / `AWS_ENDPOINT_URL` variables, else AWS's regional endpoint.
    pub fn endpoint_of(&self, service: &str) -> String {
        if let Some(url) = self.config.endpoints.get(service) {
            return url.clone();
        }
        let var = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
        std::env::var(var)
            .or_else(|_| std::env::var("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|_| format!("https://{service}.{}.amazonaws.com", self.region))
    }

    pub(crate) async fn validate_credentials(&self) -> Result<()> {
        // Fewer attempts than other calls: an endpoint that cannot be reached should fail in seconds.
        let out = self
            .sts()
            .get_caller_identity()
            .customize()
            .config_override(
                aws_sdk_sts::config::Builder::default()
                    .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(6)),
            )
            .send()
            .await
            .map_err(|e| {
                let service_answered = matches!(e, aws_smithy_runtime_api::client::result::SdkError::ServiceError(_));
                let mut e = crate::errors::api_error(e);
                e.kind = infra_provider::ErrorKind::Config;
                e.message = if service_answered {
                    format!("validating the AWS credentials: {}", e.message)
                } else {
                    format!(
                        "validating the AWS credentials: could not reach STS at {}: {}",
                        self.endpoint_of("sts"),
                        e.message
                    )
                };
                e
            })?;
        let id = identity(out)?;
        let _ = self.account_id.set(id.account.clone());
        let _ = self.identity.set(id);
        Ok(())
    }

    /// An ARN in this region and partition.
    pub fn arn(&self, service: &str, account: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{account}:{resource}",
            self.partition(),
            self.region
        )
    }
}

fn identity(out: aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput) -> Result<CallerIdentity> {
    Ok(CallerIdentity {
        account: out
            .account
            .ok_or_else(|| ProviderError::new("STS GetCallerIdentity returned no account"))?,
        arn: out.arn.unwrap_or_default(),
        user_id: out.user_id.unwrap_or_default(),
    })
}
