//! The provider's configuration from the process environment: the SDK's standard variables
//! (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, credentials, region) and how an `endpoints { }`
//! block overrides them. A binary of its own, with a single test, because it changes the process
//! environment.

use infra_provider::{ErrorKind, Value};
use infra_testkit::Moto;

fn set(key: &str, value: &str) {
    // SAFETY: this binary runs a single test, which sets variables before it starts any SDK work; no
    // other thread reads the environment meanwhile.
    unsafe { std::env::set_var(key, value) }
}

fn unset(key: &str) {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(key) }
}

#[tokio::test(flavor = "current_thread")]
async fn configuration_from_the_environment() {
    let moto = Moto::start();
    let provider = infra_aws::provider();
    let nowhere = std::env::temp_dir().join("infra-aws-test-no-such-file");
    set("AWS_CONFIG_FILE", nowhere.to_str().unwrap());
    set("AWS_SHARED_CREDENTIALS_FILE", nowhere.to_str().unwrap());
    set("AWS_EC2_METADATA_DISABLED", "true");
    for k in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SSM",
    ] {
        unset(k);
    }

    // No region anywhere: a clear configuration error.
    let no_region = Value::map([
        ("access_key", Value::from("testing")),
        ("secret_key", Value::from("testing")),
        ("skip_credentials_validation", Value::Bool(true)),
    ]);
    let e = provider
        .configure(&no_region)
        .await
        .err()
        .expect("no region is an error");
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("region"), "{e}");

    // Everything from the standard variables.
    for (k, v) in moto.env() {
        set(&k, &v);
    }
    let client = provider
        .configure(&Value::empty_map())
        .await
        .expect("configured from the environment");
    let me = client
        .read_data("aws_caller_identity", &Value::empty_map())
        .await
        .unwrap();
    assert_eq!(me.get_str("account_id"), Some("123456789012"));

    // AWS_ENDPOINT_URL points nowhere; AWS_ENDPOINT_URL_SSM and the endpoints block point at moto.
    let closed = format!("http://127.0.0.1:{}", infra_testkit::free_port());
    set("AWS_ENDPOINT_URL", &closed);
    set("AWS_ENDPOINT_URL_SSM", &moto.endpoint());
    let config = Value::map([
        ("max_retries", Value::int(0)),
        (
            "endpoints",
            Value::List(vec![Value::map([
                ("sts", Value::string(moto.endpoint())),
                ("ec2", Value::string(moto.endpoint())),
            ])]),
        ),
    ]);
    let client = provider
        .configure(&config)
        .await
        .expect("STS through the endpoints block");
    let zones = client
        .read_data("aws_availability_zones", &Value::empty_map())
        .await
        .expect("EC2 through the endpoints block");
    assert!(!zones.get_strings("names").is_empty());
    let planned = Value::map([
        ("id", Value::Unknown),
        ("name", Value::from("/env/check")),
        ("type", Value::from("String")),
        ("value", Value::from("v")),
        ("insecure_value", Value::Null),
        ("tags", Value::Null),
        ("tags_all", Value::empty_map()),
    ]);
    let ctx = infra_provider::OpContext::new(
        "aws_ssm_parameter.env",
        "lineage",
        "token",
        std::time::Duration::from_secs(30),
    );
    let made = client
        .create(&ctx, "aws_ssm_parameter", &planned)
        .await
        .expect("SSM through AWS_ENDPOINT_URL_SSM");
    assert_eq!(made.get_str("value"), Some("v"));
    // Secrets Manager has neither: it goes to the closed AWS_ENDPOINT_URL and fails.
    let e = client
        .import(
            "aws_secretsmanager_secret",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf",
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("calling AWS failed"), "{e}");
}
