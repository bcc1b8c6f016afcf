//! `infra cost refresh-prices` rebuilds the bundled catalog from the providers' price lists: DigitalOcean's
//! `GET /v2/sizes` (the test double behind Prism) and the AWS Price List API (a local fake answering in its
//! real format, since moto has none). The rebuilt catalog reproduces the bundled one, price for price.

use infra_testkit::digitalocean::DoApi;
use infra_testkit::price_list::PriceListFake;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn bundled(name: &str) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("prices");
    serde_json::from_str(&std::fs::read_to_string(root.join(name)).unwrap()).unwrap()
}

/// The Price List unit AWS writes for a catalog unit.
fn price_list_unit(unit: &str) -> &'static str {
    match unit {
        "hour" => "Hrs",
        "vCPU-hour" => "hours",
        "GB-hour" => "GB-Hours",
        "GB-month" => "GB-Mo",
        "IOPS-month" => "IOPS-Mo",
        "MBps-month" => "MiBps-Mo",
        "GB" => "GB",
        "LCU-hour" => "LCU-Hrs",
        "NLCU-hour" => "NLCU-Hrs",
        "request" => "Requests",
        "secret-month" => "Secrets",
        "parameter-month" => "Parameters",
        "alarm-metric-month" => "Alarms",
        "hosted-zone-month" => "HostedZone",
        "resource-month" => "CloudMapResource",
        "query" => "Queries",
        "invocation" => "Invocations",
        other => panic!("no Price List unit for catalog unit {other}"),
    }
}

fn region_prefix(region: &str) -> &'static str {
    match region {
        "us-east-1" => "USE1-",
        "sa-east-1" => "SAE1-",
        _ => "XXX1-",
    }
}

/// A Price List product document as AWS writes it: on-demand term with `price` per `unit`, and a reserved
/// term at another price that must not be taken.
fn product(sku: &str, service: &str, attributes: &serde_json::Map<String, Value>, price: &str, unit: &str) -> Value {
    let family = attributes.get("productFamily").cloned().unwrap_or(json!("Storage"));
    let mut attrs = attributes.clone();
    attrs.remove("productFamily");
    attrs.insert("servicecode".into(), json!(service));
    json!({
        "product": { "productFamily": family, "attributes": attrs, "sku": sku },
        "serviceCode": service,
        "terms": {
            "OnDemand": { format!("{sku}.JRTCKXETXF"): {
                "offerTermCode": "JRTCKXETXF", "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
                "priceDimensions": { format!("{sku}.JRTCKXETXF.6YS6EN2CT7"): {
                    "rateCode": format!("{sku}.JRTCKXETXF.6YS6EN2CT7"), "description": "on demand",
                    "beginRange": "0", "endRange": "Inf", "unit": unit, "pricePerUnit": { "USD": price },
                    "appliesTo": []
                }},
                "termAttributes": {}
            }},
            "Reserved": { format!("{sku}.4NA7Y494T4"): {
                "offerTermCode": "4NA7Y494T4", "sku": sku, "effectiveDate": "2026-11-01T00:00:00Z",
                "priceDimensions": { format!("{sku}.4NA7Y494T4.6YS6EN2CT7"): {
                    "rateCode": format!("{sku}.4NA7Y494T4.6YS6EN2CT7"), "description": "reserved",
                    "beginRange": "0", "endRange": "Inf", "unit": unit, "pricePerUnit": { "USD": "0.0000001" },
                    "appliesTo": []
                }},
                "termAttributes": { "LeaseContractLength": "1yr", "PurchaseOption": "No Upfront" }
            }}
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z"
    })
}

/// The products a Price List API would hold for the bundled AWS files: one per entry (its usage type with
/// the region prefix AWS writes), and for each a decoy in another region at another price.
fn products_for_bundled_catalog() -> Vec<Value> {
    let mut out = Vec::new();
    let mut n = 0;
    for region in ["us-east-1", "sa-east-1"] {
        let file = bundled(&format!("aws/{region}.json"));
        for e in file["entries"].as_array().unwrap() {
            let sel = &e["source"]["aws"];
            let service = sel["service_code"].as_str().unwrap();
            let mut attrs = sel["filters"].as_object().unwrap().clone();
            if let Some(u) = attrs.get("usagetype").and_then(Value::as_str) {
                attrs.insert("usagetype".into(), json!(format!("{}{u}", region_prefix(region))));
            }
            let unit = price_list_unit(e["unit"].as_str().unwrap());
            let price = e["price"].as_str().unwrap();
            n += 1;
            out.push(product(&format!("SKU{n:05}"), service, &attrs, price, unit));
            let mut elsewhere = attrs.clone();
            elsewhere.insert("regionCode".into(), json!("eu-west-3"));
            if let Some(u) = elsewhere.get("usagetype").and_then(Value::as_str) {
                let base = u.split_once('-').map(|x| x.1).unwrap_or(u).to_string();
                elsewhere.insert("usagetype".into(), json!(format!("EUW3-{base}")));
            }
            n += 1;
            out.push(product(&format!("SKU{n:05}"), service, &elsewhere, "999.99", unit));
        }
    }
    out
}

/// A catalog file without what a refresh may change besides prices: the date read and the notes that a
/// figure was not confirmed.
fn comparable(mut v: Value) -> Value {
    for e in v["entries"].as_array_mut().unwrap() {
        let e = e.as_object_mut().unwrap();
        e.remove("read_on");
        e.remove("note");
    }
    v
}

#[test]
fn refresh_prices_rebuilds_the_bundled_catalog_from_both_price_lists() {
    let fake = PriceListFake::start(products_for_bundled_catalog(), 2);
    let api = DoApi::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prices");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_infra"));
    cmd.arg("cost")
        .arg("refresh-prices")
        .arg("--out")
        .arg(&out)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", fake.url())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_REGION")
        .env_remove("AWS_PROFILE");
    for (k, v) in api.env() {
        cmd.env(k, v);
    }
    let run = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stdout}\n{stderr}");
    for name in ["aws/us-east-1.json", "aws/sa-east-1.json", "digitalocean.json"] {
        let rebuilt: Value = serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap();
        let (got, want) = (comparable(rebuilt.clone()), comparable(bundled(name)));
        let (got_entries, want_entries) = (got["entries"].as_array().unwrap(), want["entries"].as_array().unwrap());
        assert_eq!(got_entries.len(), want_entries.len(), "{name}: number of entries");
        for (g, w) in got_entries.iter().zip(want_entries) {
            assert_eq!(g, w, "{name}: entry {}", w["key"]);
        }
        assert_eq!(got, want, "{name}");
        let today = &humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10];
        let first = &rebuilt["entries"][0];
        assert_eq!(
            first["read_on"],
            json!(today),
            "{name}: entries carry the date they were read"
        );
        assert!(stdout.contains(&format!("{name}: ")), "{stdout}");
    }
    assert!(stdout.contains("0 changed"), "{stdout}");
    // One GetProducts query per AWS entry (with pagination), each with the entry's filters, never a
    // whole-service download.
    let requests = fake.requests();
    let firsts = requests.iter().filter(|r| r.get("NextToken").is_none()).count();
    assert_eq!(firsts, 108 + 50, "one query per AWS entry");
    assert!(
        requests
            .iter()
            .all(|r| r["Filters"].as_array().is_some_and(|f| !f.is_empty()))
    );
    // The rebuilt catalog is a catalog `infra cost --catalog` accepts.
    infra::cost::Catalog::from_dir(&out).unwrap();
}

#[test]
fn a_price_change_is_reported_and_a_missing_product_names_the_entry() {
    // sa-east-1's Secrets Manager price moved; and with no product for an entry nothing is written.
    let mut products = products_for_bundled_catalog();
    let secret = products
        .iter_mut()
        .find(|p| {
            p["serviceCode"] == "AWSSecretsManager"
                && p.pointer("/product/attributes/regionCode") == Some(&json!("sa-east-1"))
        })
        .unwrap();
    let dims = secret
        .pointer_mut("/terms/OnDemand")
        .unwrap()
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    let dim = dims["priceDimensions"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    dim["pricePerUnit"]["USD"] = json!("0.5000000000");
    let fake = PriceListFake::start(products, 100);
    let dir = tempfile::tempdir().unwrap();
    let run = |fake: &PriceListFake| {
        Command::new(env!("CARGO_BIN_EXE_infra"))
            .args(["cost", "refresh-prices", "--provider", "aws", "--out", "p"])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("AWS_ENDPOINT_URL", fake.url())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap()
    };
    let r = run(&fake);
    let stdout = String::from_utf8_lossy(&r.stdout).to_string();
    assert!(r.status.success(), "{stdout}{}", String::from_utf8_lossy(&r.stderr));
    assert!(
        stdout.contains("p/aws/sa-east-1.json: 50 prices, 1 changed"),
        "{stdout}"
    );
    assert!(stdout.contains("-> 0.5"), "{stdout}");
    assert!(
        !dir.path().join("p/digitalocean.json").exists(),
        "only the provider asked for"
    );

    let empty = PriceListFake::start(Vec::new(), 100);
    std::fs::remove_dir_all(dir.path().join("p")).unwrap();
    let r = run(&empty);
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(
        stderr.contains("rds/instance/postgres/db.t4g.micro/single-az: no AmazonRDS product matches"),
        "{stderr}"
    );
    assert!(!dir.path().join("p").exists(), "nothing written");
}
