//! An apply killed at an arbitrary instant is rerun without orphans or duplicates: whatever the first run
//! created is found (by state, or by its ownership tags) and nothing is created twice.

use crate::support::World;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn config() -> String {
    let mut s = String::from(
        r#"
resource "aws_vpc" "main" {
  cidr_block = "10.80.0.0/16"
}

resource "aws_subnet" "s" {
  count      = 8
  vpc_id     = aws_vpc.main.id
  cidr_block = cidrsubnet("10.80.0.0/16", 8, count.index)
}

resource "aws_security_group" "g" {
  count       = 6
  name        = "crash-${count.index}"
  description = "crash test"
  vpc_id      = aws_vpc.main.id
}
"#,
    );
    s.push_str("resource \"aws_internet_gateway\" \"igw\" {\n  vpc_id = aws_vpc.main.id\n}\n");
    s
}

async fn count(w: &World, lineage: &str) -> (usize, usize, usize) {
    let ec2 = w.ec2().await;
    let f = || {
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:infra:lineage")
            .values(lineage)
            .build()
    };
    let vpcs = ec2.describe_vpcs().filters(f()).send().await.unwrap().vpcs().len();
    let subnets = ec2
        .describe_subnets()
        .filters(f())
        .send()
        .await
        .unwrap()
        .subnets()
        .len();
    let groups = ec2
        .describe_security_groups()
        .filters(f())
        .send()
        .await
        .unwrap()
        .security_groups()
        .len();
    (vpcs, subnets, groups)
}

#[tokio::test]
async fn killed_applies_are_rerun_without_duplicates() {
    // Kill at several points: after the first, the fourth and the tenth operation started.
    for kill_after in [1usize, 4, 10] {
        let w = World::aws();
        w.write(&[("main.tf", &config())]);
        let mut child = w
            .command(&["apply", "--auto-approve", "--parallelism", "3"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let mut started = 0;
        for line in BufReader::new(out).lines() {
            let line = line.unwrap();
            if line.ends_with("Creating...") {
                started += 1;
                if started == kill_after {
                    // SAFETY: signalling a child process we own.
                    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
                    break;
                }
            }
        }
        let _ = child.wait();
        // Whatever state the kill left is a valid state.
        let st = w.state_json("default");
        let lineage = st["lineage"].as_str().unwrap().to_string();
        // The rerun finishes the job.
        let r = w.infra(&["apply", "--auto-approve"]);
        assert!(r.ok().contains("Apply complete!"), "{}", r.all());
        assert_eq!(
            w.infra(&["plan", "--detailed-exitcode"]).code,
            0,
            "nothing left to do after the rerun (killed after {kill_after})"
        );
        assert_eq!(
            count(&w, &lineage).await,
            (1, 8, 6),
            "exactly one of everything (killed after {kill_after})"
        );
        let resources = w.state_json("default")["resources"].as_array().unwrap().len();
        assert_eq!(resources, 16);
        assert!(
            !w.state_json("default").to_string().contains("\"creating\""),
            "no intent left behind"
        );
    }
}
