//! Rendering snapshots (insta): one environment with quantities and unit prices, two environments side by
//! side, Markdown and JSON.

use super::acceptance::{docs_search_do, stage_and_prod};
use crate::{dio, est, obj, s};
use infra::cost::{render_markdown, render_table, to_json};
use infra_provider::Value;

#[test]
fn table_for_one_environment() {
    let e = docs_search_do();
    insta::assert_snapshot!(render_table(&[("production", &e)]));
}

#[test]
fn table_for_stage_and_prod_side_by_side() {
    let (stage, prod) = stage_and_prod();
    insta::assert_snapshot!(render_table(&[("stage", &stage), ("prod", &prod)]));
}

#[test]
fn markdown_for_stage_and_prod() {
    let (stage, prod) = stage_and_prod();
    insta::assert_snapshot!(render_markdown(&[("stage", &stage), ("prod", &prod)]));
}

#[test]
fn markdown_for_one_environment() {
    insta::assert_snapshot!(render_markdown(&[("production", &docs_search_do())]));
}

#[test]
fn json_carries_components_and_their_catalog_entries() {
    let e = docs_search_do();
    let j = to_json(&[("production", &e)]);
    assert_eq!(j["environments"][0]["total"], "41.00");
    assert_eq!(j["environments"][0]["providers"]["digitalocean"], "39.00");
    let droplet = &j["environments"][0]["resources"][1];
    assert_eq!(droplet["address"], "digitalocean_droplet.search");
    assert_eq!(droplet["components"][0]["price"]["key"], "droplet/s-2vcpu-4gb");
    assert_eq!(droplet["components"][0]["unit_price"], "24.00");
    insta::assert_snapshot!(serde_json::to_string_pretty(&j).unwrap());
}

#[test]
fn unknown_and_not_priced_resources_are_shown_with_reasons() {
    let e = est(&[
        dio("digitalocean_droplet.web", obj(&[("size", Value::Unknown)])),
        dio("digitalocean_spaces_bucket.assets", obj(&[("region", s("nyc3"))])),
        dio(
            "digitalocean_droplet.worker",
            obj(&[("size", s("s-1vcpu-1gb")), ("region", s("nyc3"))]),
        ),
    ]);
    let table = render_table(&[("production", &e)]);
    assert!(
        table.contains("digitalocean_droplet.web: partly priced: size known only after apply"),
        "{table}"
    );
    assert!(
        table.contains("digitalocean_spaces_bucket.assets: not priced: digitalocean_spaces_bucket has no price model"),
        "{table}"
    );
    insta::assert_snapshot!(table);
}
