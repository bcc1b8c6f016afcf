//! A lock held by another process blocks a second command at once, naming the holder; `--lock-timeout`
//! waits for it; `force-unlock` releases it; a lock left by a killed process is taken over.

use crate::support::World;
use std::time::Duration;

/// Holds the lock as a running `infra` would: the lock file with its holder, and the OS lock on it for as
/// long as the returned file lives.
#[must_use]
fn hold_lock(w: &World, id: &str, pid: u32) -> std::fs::File {
    write_lock(w, id, pid, "runner-7");
    let f = std::fs::File::options()
        .read(true)
        .write(true)
        .open(w.path().join("state/cfg/default.tfstate.json.lock"))
        .unwrap();
    f.lock().unwrap();
    f
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// Writes a lock file without holding it: what a killed `infra` leaves behind.
fn write_lock(w: &World, id: &str, pid: u32, host: &str) {
    let lock = w.path().join("state/cfg/default.tfstate.json.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(
        &lock,
        serde_json::json!({
            "ID": id, "Operation": "apply", "Who": format!("ci@{host}"), "Host": host, "Pid": pid,
            "Version": "0.1.0", "Created": "2026-11-22T10:00:00Z", "Path": "state/cfg/default.tfstate.json"
        })
        .to_string(),
    )
    .unwrap();
}

#[test]
fn a_held_lock_blocks_plan_and_apply() {
    let w = World::aws();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.60.0.0/16\"\n}\n",
    )]);
    let held = hold_lock(&w, "lock-1234", 4242);
    for args in [&["plan"][..], &["apply", "--auto-approve"][..]] {
        let r = w.infra(args);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains("is locked by another operation"), "{}", r.stderr);
        assert!(
            r.stderr.contains("lock-1234") && r.stderr.contains("ci@runner-7") && r.stderr.contains("apply"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("infra force-unlock lock-1234"), "{}", r.stderr);
    }
    assert!(!w.state_file("default").exists(), "nothing was applied");

    // With a timeout, the command waits for the holder to finish.
    let lock = w.path().join("state/cfg/default.tfstate.json.lock");
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        std::fs::remove_file(lock).unwrap();
        drop(held);
    });
    let r = w.infra(&["apply", "--auto-approve", "--lock-timeout", "30s"]);
    releaser.join().unwrap();
    assert!(r.ok().contains("Apply complete!"), "{}", r.all());

    // force-unlock needs the right ID.
    let _held = hold_lock(&w, "lock-5678", 4242);
    let r = w.infra(&["force-unlock", "wrong-id"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("lock-5678"), "{}", r.stderr);
    w.infra(&["force-unlock", "lock-5678"]).ok();
    w.infra(&["plan"]).ok();
}

#[test]
fn a_lock_left_by_a_killed_process_is_taken_over() {
    let w = World::aws();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.61.0.0/16\"\n}\n",
    )]);
    write_lock(&w, "dead-lock", 999_999, &this_host());
    let r = w.infra(&["apply", "--auto-approve"]);
    assert!(r.ok().contains("Apply complete!"), "{}", r.all());
    assert!(
        r.stderr.contains("took over lock dead-lock of an earlier apply"),
        "{}",
        r.stderr
    );
    assert!(
        !w.path().join("state/cfg/default.tfstate.json.lock").exists(),
        "released at the end"
    );
}

#[test]
fn plan_with_lock_false_reads_while_someone_holds_the_lock() {
    let w = World::aws();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.61.0.0/16\"\n}\n",
    )]);
    let held = hold_lock(&w, "lock-5678", 4343);
    let r = w.infra(&["plan", "--lock=false"]);
    assert!(r.ok().contains("Plan: 1 to add"), "{}", r.all());
    let r = w.infra(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 1, "apply always takes the lock: {}", r.all());
    drop(held);
}
