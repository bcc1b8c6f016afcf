//! `aws_eip` against moto.

use crate::common::*;
use infra_provider::Value;

const T: &str = "aws_eip";

fn config(name: &str) -> Value {
    Value::map([
        ("domain", Value::from("vpc")),
        ("tags", Value::string_map([("Name", name)])),
    ])
}

#[tokio::test]
async fn eip_lifecycle() {
    let w = world().await;
    let a = create(&w, T, "aws_eip.a", &config("a")).await;
    let b = create(&w, T, "aws_eip.b", &config("b")).await;
    let c = create(&w, T, "aws_eip.c", &config("c")).await;
    assert!(id(&a).starts_with("eipalloc-"), "{a:?}");
    assert_eq!(a.get_str("allocation_id"), Some(id(&a).as_str()));
    assert_eq!(a.get_str("domain"), Some("vpc"));
    let ip = a.get_str("public_ip").unwrap().to_string();
    assert_eq!(
        a.get_str("public_dns"),
        Some(format!("ec2-{}.compute-1.amazonaws.com", ip.replace('.', "-")).as_str())
    );
    assert!(a.get_str("arn").unwrap().ends_with(&format!(":elastic-ip/{}", id(&a))));
    assert_ownership_tags_hidden(&w, &a, &ec2_tags(&w, &id(&a)).await, "aws_eip.a").await;
    assert_no_diff(&w, T, &a, &config("a"));

    // Batched read: one DescribeAddresses; one released out of band.
    w.aws
        .ec2()
        .release_address()
        .allocation_id(id(&b))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[c.clone(), b.clone(), a.clone()]).await;
    let made = calls.take();
    assert_eq!(made, vec![("EC2".to_string(), "DescribeAddresses".to_string())]);
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    let a2 = update(&w, T, "aws_eip.a", &a, &config("renamed")).await;
    assert_eq!(
        a2.get_string_map("tags").get("Name").map(String::as_str),
        Some("renamed")
    );
    assert_eq!(a2.get_str("public_ip"), Some(ip.as_str()));
    assert_eq!(
        ec2_tags(&w, &id(&a)).await.get("Name").map(String::as_str),
        Some("renamed")
    );

    // Another domain replaces it.
    let (_, replace) = plan(&w, T, Some(&a2), &config("a").with("domain", Value::from("standard"))).unwrap();
    assert_eq!(replace, vec![infra_provider::Path::attr("domain")]);

    let imported = w.client.import(T, &id(&c)).await.unwrap().unwrap();
    assert_eq!(imported.get_str("public_ip"), c.get_str("public_ip"));

    w.client.delete(&ctx("aws_eip.a"), T, &a2).await.unwrap();
    assert_eq!(read(&w, T, &a2).await, None);
    w.client.delete(&ctx("aws_eip.a"), T, &a2).await.unwrap();
}

#[tokio::test]
async fn eip_find_created() {
    let w = world().await;
    let (planned, _) = plan(&w, T, None, &config("x")).unwrap();
    let x = ctx("aws_eip.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert_eq!(
        w.client.find_created(&x, T, &planned).await.unwrap().as_ref(),
        Some(&made)
    );
    assert!(
        w.client
            .find_created(&ctx("aws_eip.y"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );
}
