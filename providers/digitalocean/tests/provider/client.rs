//! The API client: 429s are ridden out, pagination is followed, errors carry the API's code, message
//! and request id, and the token never appears in them.

use crate::common::{ctx, s, setup};
use infra_provider::{ErrorKind, Value};
use std::time::Instant;

#[tokio::test]
async fn a_storm_of_429s_is_ridden_out() {
    let env = setup().await;
    let control = env.api.control();
    control.rate_limit(5, 0);
    let t = "digitalocean_tag";
    let created = env
        .client
        .create(
            &ctx("digitalocean_tag.a"),
            t,
            &env.plan_create(t, vec![("name", s("storm"))]),
        )
        .await;
    let created = created.expect("the create succeeds after five 429s");
    assert_eq!(created.get_str("name"), Some("storm"));
    let log = env.requests();
    assert_eq!(
        log.iter().filter(|r| r.as_str() == "POST /v2/tags").count(),
        6,
        "five refused, one accepted: {log:?}"
    );
}

#[tokio::test]
async fn rate_limited_answers_lower_the_limit_on_requests_in_flight_and_successes_raise_it_again() {
    let env = setup().await;
    let client = infra_digitalocean::client::Client::new(
        &env.api.api_endpoint,
        infra_digitalocean::client::Token::new(env.api.token.clone()),
    )
    .unwrap();
    let start = client.limit().limit();
    env.api.control().rate_limit(3, 0);
    client
        .call(reqwest::Method::GET, "/v2/regions", &[], None)
        .await
        .expect("read after three 429s");
    let lowered = client.limit().limit();
    assert!(lowered < start, "three 429s lowered the limit: {start} -> {lowered}");
    for _ in 0..2 * start {
        client
            .call(reqwest::Method::GET, "/v2/regions", &[], None)
            .await
            .unwrap();
    }
    assert!(client.limit().limit() > lowered, "successes raised it again");
    assert_eq!(client.limit().in_flight(), 0);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let env = setup().await;
    env.api.control().rate_limit(2, 1);
    let started = Instant::now();
    let v = env
        .client
        .read_data("digitalocean_regions", &Value::empty_map())
        .await
        .expect("read after waiting");
    assert!(!v.get_list("regions").is_empty());
    assert!(
        started.elapsed().as_millis() >= 1900,
        "waited retry-after twice: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn errors_carry_the_api_error_and_never_the_token() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    let planned = env.plan_create(
        t,
        vec![
            ("name", s("bad-1")),
            ("image", s("ubuntu-24-04-x64")),
            ("region", s("nyc3")),
            ("size", s("s-99vcpu-1tb")),
        ],
    );
    let e = env
        .client
        .create(&ctx("digitalocean_droplet.bad"), t, &planned)
        .await
        .expect_err("invalid size");
    assert_eq!(e.code.as_deref(), Some("unprocessable_entity"));
    assert!(e.message.contains("invalid size"), "{e}");
    assert!(e.request_id.as_deref().is_some_and(|r| r.len() == 36), "{e:?}");
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(&env.api.token), "the token leaked: {shown}");
    assert!(shown.contains("request id"), "{shown}");

    let e = env
        .client
        .import("digitalocean_vpc", "5a4981aa-9653-4bd1-bef5-d6bff52042e4")
        .await;
    assert!(matches!(e, Ok(None)), "a missing object imports as nothing: {e:?}");
    let e = env
        .client
        .read_data(
            "digitalocean_vpc",
            &Value::map([("id", s("5a4981aa-9653-4bd1-bef5-d6bff52042e4"))]),
        )
        .await
        .expect_err("not found");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.code.as_deref(), Some("not_found"));
    assert!(!format!("{e} {e:?}").contains(&env.api.token));
}

#[tokio::test]
async fn pagination_is_followed_across_pages() {
    let env = setup().await;
    // 205 tags, made directly on the double (quick), then read back through the provider.
    let direct = &env.api.double_url;
    for i in 0..205 {
        let (st, _) = crate::common::raw(
            direct,
            &env.api.token,
            "POST",
            "/v2/tags",
            Some(serde_json::json!({"name": format!("t{i:03}")})),
        )
        .await;
        assert_eq!(st, 201);
    }
    let t = "digitalocean_tag";
    let priors: Vec<Value> = ["t000", "t204", "gone"]
        .iter()
        .map(|n| Value::map([("id", s(n))]))
        .collect();
    let before = env.requests().len();
    let got = env.client.read(t, &priors).await;
    assert_eq!(got[0].as_ref().unwrap().as_ref().unwrap().get_str("name"), Some("t000"));
    assert_eq!(
        got[1].as_ref().unwrap().as_ref().unwrap().get_str("name"),
        Some("t204"),
        "found on page 2"
    );
    assert!(got[2].as_ref().unwrap().is_none());
    let log = env.requests()[before..].to_vec();
    assert_eq!(log.len(), 2, "two pages of 200: {log:?}");
    assert!(log[1].contains("page=2") && log[1].contains("per_page=200"), "{log:?}");
}

#[tokio::test]
async fn configuration_needs_a_token_and_an_http_endpoint() {
    let p = infra_digitalocean::provider();
    assert_eq!(p.name(), "digitalocean");
    assert!(p.schema().provider.attributes["token"].sensitive);
    let e = p
        .configure(&Value::map([("token", s("x")), ("api_endpoint", s("ftp://example"))]))
        .await
        .err()
        .expect("a non-http endpoint is refused");
    assert_eq!(e.kind, ErrorKind::Config);
}

#[tokio::test]
async fn server_errors_are_retried_boundedly_and_only_when_safe() {
    let env = setup().await;
    let control = env.api.control();
    // A GET is retried through two 503s.
    control.server_error(2, 503);
    let v = env
        .client
        .read_data("digitalocean_regions", &Value::empty_map())
        .await
        .expect("read after retries");
    assert!(!v.get_list("regions").is_empty());
    assert_eq!(env.requests().len(), 3);
    // A create is not retried after a server error: it might have been done.
    control.server_error(1, 500);
    let t = "digitalocean_tag";
    let e = env
        .client
        .create(
            &ctx("digitalocean_tag.x"),
            t,
            &env.plan_create(t, vec![("name", s("x"))]),
        )
        .await;
    let e = e.expect_err("no retry of a POST");
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert_eq!(
        env.requests().iter().filter(|r| r.as_str() == "POST /v2/tags").count(),
        1
    );
    // The retries are bounded: six attempts, then the error.
    control.server_error(50, 502);
    let before = env.requests().len();
    let e = env
        .client
        .read_data("digitalocean_regions", &Value::empty_map())
        .await
        .expect_err("gives up");
    assert_eq!(e.code.as_deref(), Some("server_error"));
    assert!(e.message.contains("HTTP 502"), "{e}");
    assert_eq!(
        env.requests().len() - before,
        infra_digitalocean::client::MAX_ATTEMPTS as usize
    );
    control.server_error(0, 500);
}
