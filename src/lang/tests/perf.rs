//! Performance sanity without timing: references into big collections must walk borrowed values.
//!
//! A counting global allocator (per thread, so other tests running in parallel do not disturb the
//! count) measures how many allocations one evaluation makes. Copying a 10,000-element collection
//! would take at least 10,000 allocations (every element is an object holding a string); a borrowed
//! walk takes a handful, whatever the collection's size.

use crate::addrs::ResourceAddr;
use crate::config::Config;
use crate::lang::ast::parse_expr;
use crate::scope::ModuleScope;
use infra_provider::Value;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (out, ALLOCATIONS.with(Cell::get) - before)
}

const N: usize = 10_000;

fn big_list() -> Value {
    Value::List(
        (0..N)
            .map(|i| Value::map([("id", Value::string(format!("i-{i}"))), ("n", Value::int(i as i64))]))
            .collect(),
    )
}

fn scope() -> ModuleScope {
    let mut cfg = Config {
        dir: PathBuf::from("."),
        ..Default::default()
    };
    let d = cfg.load_sources(vec![(
        "main.tf".into(),
        r#"
variable "big" {}
locals {
  big = flatten([for a in range(100) : [for b in range(100) : { id = "i-${a * 100 + b}", n = a * 100 + b }]])
}
resource "fake_network" "big" {
  count      = 10000
  cidr_block = "10.0.0.0/16"
}
"#
        .into(),
    )]);
    assert!(!d.has_errors(), "{d:?}");
    let mut s = ModuleScope::new(
        Arc::new(cfg),
        BTreeMap::from([("big".to_string(), big_list())]),
        "default",
    );
    s.set_resource(ResourceAddr::managed("fake_network", "big"), big_list());
    s
}

#[test]
fn references_into_big_collections_do_not_copy_them() {
    let s = scope();
    let cases = [
        ("fake_network.big[9999].id", Value::string("i-9999")),
        ("var.big[9999].id", Value::string("i-9999")),
        ("local.big[9999].id", Value::string("i-9999")),
        ("fake_network.big[5000].n + 1", Value::int(5001)),
        (
            "\"${fake_network.big[1].id}-${local.big[2].id}\"",
            Value::string("i-1-i-2"),
        ),
    ];
    // The local is evaluated once and cached; that first evaluation builds the collection.
    s.evaluator().eval(&parse_expr(0, "local.big[0]").unwrap()).unwrap();
    for (text, want) in cases {
        let e = parse_expr(0, text).unwrap();
        let mut ev = s.evaluator();
        let (got, allocs) = allocations_during(|| ev.eval(&e).unwrap());
        assert_eq!(got, want, "{text}");
        assert!(
            allocs < 50,
            "{text}: {allocs} allocations for one reference into a {N}-element collection"
        );
    }
}

#[test]
fn splat_allocates_per_result_not_per_copy() {
    let s = scope();
    let e = parse_expr(0, "fake_network.big[*].id").unwrap();
    let mut ev = s.evaluator();
    let (got, allocs) = allocations_during(|| ev.eval(&e).unwrap());
    assert_eq!(got.as_list().map(<[Value]>::len), Some(N));
    // One string per result element plus the result list; copying the objects would add N maps and
    // 2N more strings.
    assert!(allocs < N + 100, "{allocs} allocations for a splat over {N} instances");
}
