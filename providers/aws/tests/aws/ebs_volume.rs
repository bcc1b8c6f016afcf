use crate::common::*;
use infra_provider::{Path, Value};

fn vol(size: i64) -> Value {
    Value::map([
        ("availability_zone", Value::from("us-east-1a")),
        ("size", Value::from(size)),
        ("type", Value::from("gp3")),
    ])
}

#[tokio::test]
async fn ebs_volume_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage")])]).await;
    let mut data = vol(10);
    data.set_attr("tags", Value::string_map([("Name", "data")]));
    let v1 = create(&w, "aws_ebs_volume", "aws_ebs_volume.data", &data).await;
    assert!(id(&v1).starts_with("vol-"), "{v1:?}");
    assert_eq!(v1.get_i64("size"), Some(10));
    assert_eq!(v1.get_str("type"), Some("gp3"));
    assert!(v1.get_str("arn").unwrap().contains(":volume/vol-"));
    assert_eq!(
        v1.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_no_diff(&w, "aws_ebs_volume", &v1, &data);
    let cloud = ec2_tags(&w, &id(&v1)).await;
    assert_ownership_tags_hidden(&w, &v1, &cloud, "aws_ebs_volume.data").await;

    let v2 = create(&w, "aws_ebs_volume", "aws_ebs_volume.logs", &vol(5)).await;
    let gone = create(&w, "aws_ebs_volume", "aws_ebs_volume.gone", &vol(1)).await;
    w.aws.ec2().delete_volume().volume_id(id(&gone)).send().await.unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_ebs_volume", &[v2.clone(), gone.clone(), v1.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&v2));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&v1));
    assert_eq!(made.len(), 1, "one DescribeVolumes: {made:?}");

    // Size grows in place through ModifyVolume; tags in place.
    let mut data2 = vol(20);
    data2.set_attr("tags", Value::string_map([("owner", "ops")]));
    let v1b = update(&w, "aws_ebs_volume", "aws_ebs_volume.data", &v1, &data2).await;
    assert_eq!(v1b.get_i64("size"), Some(20));
    assert_eq!(v1b.get_string_map("tags").keys().collect::<Vec<_>>(), vec!["owner"]);
    assert_eq!(read(&w, "aws_ebs_volume", &v1b).await.as_ref(), Some(&v1b));
    assert_no_diff(&w, "aws_ebs_volume", &v1b, &data2);

    // A new zone replaces.
    let mut other = data2.clone();
    other.set_attr("availability_zone", Value::from("us-east-1b"));
    let (_, replace) = plan(&w, "aws_ebs_volume", Some(&v1b), &other).unwrap();
    assert_eq!(replace, vec![Path::attr("availability_zone")]);

    // Import and find_created (by ownership tags).
    let imported = w.client.import("aws_ebs_volume", &id(&v2)).await.unwrap().unwrap();
    assert_eq!(imported.get_i64("size"), Some(5));
    let (planned, _) = plan(&w, "aws_ebs_volume", None, &vol(5)).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_ebs_volume.logs"), "aws_ebs_volume", &planned)
        .await
        .unwrap()
        .expect("adopted");
    assert_eq!(id(&found), id(&v2));
    assert!(
        w.client
            .find_created(&ctx("aws_ebs_volume.never"), "aws_ebs_volume", &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Delete with a final snapshot; already gone is success.
    let mut v2f = v2.clone();
    v2f.set_attr("final_snapshot", Value::Bool(true));
    w.client
        .delete(&ctx("aws_ebs_volume.logs"), "aws_ebs_volume", &v2f)
        .await
        .unwrap();
    assert!(read(&w, "aws_ebs_volume", &v2).await.is_none());
    let snaps = w.aws.ec2().describe_snapshots().owner_ids("self").send().await.unwrap();
    assert!(
        snaps
            .snapshots()
            .iter()
            .any(|s| s.volume_id() == Some(id(&v2).as_str())),
        "final snapshot taken"
    );
    w.client
        .delete(&ctx("aws_ebs_volume.logs"), "aws_ebs_volume", &v2)
        .await
        .unwrap();
}
