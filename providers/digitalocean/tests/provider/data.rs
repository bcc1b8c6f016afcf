//! Data sources.

use crate::common::{ctx, s, setup};
use infra_provider::Value;

#[tokio::test]
async fn sizes_filter_and_sort_with_list_prices() {
    let env = setup().await;
    let config = Value::map([
        (
            "filter",
            Value::set(vec![Value::map([
                ("key", s("vcpus")),
                ("values", Value::string_list(["2"])),
            ])]),
        ),
        (
            "sort",
            Value::List(vec![Value::map([("key", s("price_monthly")), ("direction", s("asc"))])]),
        ),
    ]);
    let v = env
        .client
        .read_data("digitalocean_sizes", &config)
        .await
        .expect("sizes");
    let sizes = v.get_list("sizes");
    let slugs: Vec<&str> = sizes.iter().filter_map(|x| x.get_str("slug")).collect();
    assert_eq!(
        slugs[..3],
        ["s-2vcpu-2gb", "s-2vcpu-2gb-amd", "s-2vcpu-4gb"],
        "{slugs:?}"
    );
    assert_eq!(sizes[0].get_f64("price_monthly"), Some(18.0));
    assert_eq!(sizes[2].get_f64("price_hourly"), Some(0.03571));
    assert!(
        sizes
            .windows(2)
            .all(|w| w[0].get_f64("price_monthly") <= w[1].get_f64("price_monthly"))
    );
    let bad = Value::map([("sort", Value::List(vec![Value::map([("key", s("colour"))])]))]);
    assert!(env.client.read_data("digitalocean_sizes", &bad).await.is_err());
}

#[tokio::test]
async fn regions_and_vpc_lookups() {
    let env = setup().await;
    let config = Value::map([(
        "filter",
        Value::set(vec![Value::map([
            ("key", s("slug")),
            ("values", Value::string_list(["fra1", "ams3"])),
        ])]),
    )]);
    let v = env
        .client
        .read_data("digitalocean_regions", &config)
        .await
        .expect("regions");
    assert_eq!(v.get_list("regions").len(), 2);

    let t = "digitalocean_vpc";
    let vpc = env
        .client
        .create(
            &ctx("digitalocean_vpc.lookup"),
            t,
            &env.plan_create(t, vec![("name", s("lookup")), ("region", s("lon1"))]),
        )
        .await
        .unwrap();
    let by_name = env
        .client
        .read_data(t, &Value::map([("name", s("lookup"))]))
        .await
        .expect("by name");
    assert_eq!(by_name.get_str("id"), vpc.get_str("id"));
    let by_id = env
        .client
        .read_data(t, &Value::map([("id", s(vpc.get_str("id").unwrap()))]))
        .await
        .expect("by id");
    assert_eq!(by_id.get_str("ip_range"), vpc.get_str("ip_range"));
    assert!(
        env.client
            .read_data(t, &Value::map([("name", s("nope"))]))
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(env.client.read_data(t, &Value::empty_map()).await.is_err());
}
