//! A local fake of the AWS Price List Query API, answering `GetProducts` in its real wire format.
//!
//! moto has no Price List API, so `infra cost refresh-prices` is tested against this: a server holding a
//! list of product documents (as the real API writes them: `product.productFamily`, `product.attributes`,
//! `product.sku`, `serviceCode`, `terms.OnDemand…priceDimensions…pricePerUnit.USD`). A request is the AWS
//! JSON 1.1 protocol (`POST /`, `X-Amz-Target: AWSPriceListService.GetProducts`, body with `ServiceCode`,
//! `Filters` of `{Type: TERM_MATCH, Field, Value}`, `FormatVersion`, `MaxResults`, `NextToken`); the answer
//! holds the matching products as JSON strings in `PriceList`, a page at a time with a `NextToken`.
//! Filters match a product attribute (or `productFamily` / `sku`) case-insensitively, as the real API does.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

struct Shared {
    products: Vec<Value>,
    page_size: usize,
    requests: Mutex<Vec<Value>>,
}

/// The fake, serving on a loopback port for the life of the process.
pub struct PriceListFake {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl PriceListFake {
    /// Serves `products`, at most `page_size` per page (fewer than AWS's 100, to exercise pagination).
    pub fn start(products: Vec<Value>, page_size: usize) -> PriceListFake {
        let shared = Arc::new(Shared {
            products,
            page_size: page_size.max(1),
            requests: Mutex::new(Vec::new()),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the Price List fake");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = shared.clone();
        std::thread::Builder::new()
            .name("price-list-fake".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio runtime for the Price List fake");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                    let app = axum::Router::new().fallback(serve).with_state(state);
                    let _ = axum::serve(listener, app).await;
                });
            })
            .expect("spawn the Price List fake");
        PriceListFake { addr, shared }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bodies of the `GetProducts` requests received so far.
    pub fn requests(&self) -> Vec<Value> {
        self.shared.requests.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn reply(status: StatusCode, body: Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", uuid_like())
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    format!("00000000-0000-4000-8000-{:012x}", N.fetch_add(1, Ordering::Relaxed))
}

fn error(code: &str, message: &str) -> Response<Body> {
    reply(StatusCode::BAD_REQUEST, json!({ "__type": code, "message": message }))
}

/// The value a filter field names in a product document.
fn field<'a>(product: &'a Value, name: &str) -> Option<&'a str> {
    match name {
        "productFamily" | "sku" => product.pointer(&format!("/product/{name}")),
        _ => product.pointer("/product/attributes").and_then(|a| a.get(name)),
    }
    .and_then(Value::as_str)
}

async fn serve(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response<Body> {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    if target != "AWSPriceListService.GetProducts" {
        return error("UnknownOperationException", &format!("unknown operation {target:?}"));
    }
    let Ok(req) = serde_json::from_str::<Value>(&body) else {
        return error("SerializationException", "the body is not JSON");
    };
    shared
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(req.clone());
    let Some(service) = req.get("ServiceCode").and_then(Value::as_str) else {
        return error("InvalidParameterException", "ServiceCode is required");
    };
    let mut filters = Vec::new();
    for f in req.get("Filters").and_then(Value::as_array).into_iter().flatten() {
        let (Some(t), Some(k), Some(v)) = (
            f.get("Type").and_then(Value::as_str),
            f.get("Field").and_then(Value::as_str),
            f.get("Value").and_then(Value::as_str),
        ) else {
            return error("InvalidParameterException", "a filter needs Type, Field and Value");
        };
        if t != "TERM_MATCH" {
            return error(
                "InvalidParameterException",
                &format!("filter type {t} is not supported here"),
            );
        }
        filters.push((k.to_string(), v.to_string()));
    }
    if req
        .get("FormatVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v != "aws_v1")
    {
        return error("InvalidParameterException", "FormatVersion must be aws_v1");
    }
    let max = req
        .get("MaxResults")
        .and_then(Value::as_u64)
        .map(|m| m as usize)
        .unwrap_or(100)
        .clamp(1, 100)
        .min(shared.page_size);
    let start = match req.get("NextToken").and_then(Value::as_str) {
        None => 0,
        Some(t) => match t.strip_prefix("page-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return error("InvalidNextTokenException", "the next token is not valid"),
        },
    };
    let matching: Vec<&Value> = shared
        .products
        .iter()
        .filter(|p| p.get("serviceCode").and_then(Value::as_str) == Some(service))
        .filter(|p| {
            filters
                .iter()
                .all(|(k, v)| field(p, k).is_some_and(|have| have.eq_ignore_ascii_case(v)))
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(max)
        .map(|p| Value::String(p.to_string()))
        .collect();
    let mut body = json!({ "FormatVersion": "aws_v1", "PriceList": page });
    if start + max < matching.len() {
        body["NextToken"] = json!(format!("page-{}", start + max));
    }
    reply(StatusCode::OK, body)
}
