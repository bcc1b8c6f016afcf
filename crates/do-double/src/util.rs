//! Small helpers of the double: replies, error bodies in DigitalOcean's shape, pagination, timestamps.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// One answer of the API: status, optional JSON body, extra headers.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }
    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }
    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }
    pub fn accepted() -> Reply {
        Reply {
            status: 202,
            body: None,
            headers: Vec::new(),
        }
    }
    /// An error body `{id, message, request_id}` as the real API sends.
    pub fn error(status: u16, id: &str, message: impl Into<String>) -> Reply {
        Reply::json(
            status,
            json!({"id": id, "message": message.into(), "request_id": uuid::Uuid::new_v4().to_string()}),
        )
    }
    pub fn not_found() -> Reply {
        Reply::error(404, "not_found", "The resource you were accessing could not be found.")
    }
    pub fn unprocessable(message: impl Into<String>) -> Reply {
        Reply::error(422, "unprocessable_entity", message)
    }
}

/// Query parameters of a request (last value wins).
pub type Query = HashMap<String, String>;

/// Parses `a=1&b=x%20y`.
pub fn parse_query(q: Option<&str>) -> Query {
    let mut out = HashMap::new();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        out.insert(percent_decode(k), percent_decode(v));
    }
    out
}

/// Decodes `%XX` escapes and `+` in a query component or path segment.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits `items` into the page the query asks for and adds `links` and `meta` the way the API does.
/// `per_page` defaults to 20 and may not exceed 200 (422 otherwise, as the real API).
pub fn paginate(key: &str, items: Vec<Value>, query: &Query, base_url: &str, path: &str) -> Reply {
    let per_page = match query.get("per_page").map(|s| s.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) if (1..=200).contains(&n) => n,
        Some(_) => return Reply::unprocessable("per_page must be an integer between 1 and 200"),
    };
    let page = match query.get("page").map(|s| s.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return Reply::unprocessable("page must be a positive integer"),
    };
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let chunk: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    // Other query parameters (filters) are kept in the links, as the API does.
    let mut extra: Vec<(&String, &String)> = query
        .iter()
        .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
        .collect();
    extra.sort();
    let extra: String = extra.iter().map(|(k, v)| format!("&{k}={}", encode(v))).collect();
    let link = |p: usize| format!("{base_url}{path}?page={p}&per_page={per_page}{extra}");
    let mut pages = serde_json::Map::new();
    if page > 1 {
        pages.insert("first".into(), Value::String(link(1)));
        pages.insert("prev".into(), Value::String(link(page - 1)));
    }
    if page < last {
        pages.insert("next".into(), Value::String(link(page + 1)));
        pages.insert("last".into(), Value::String(link(last)));
    }
    Reply::ok(json!({key: chunk, "links": {"pages": pages}, "meta": {"total": total}}))
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The current time as RFC 3339 UTC with seconds (`2026-01-02T03:04:05Z`).
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch, now.
pub fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Formats seconds since the epoch as RFC 3339 UTC.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// A string field of a JSON body.
pub fn str_field<'a>(body: &'a Value, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// A list of strings field of a JSON body (absent or null → empty).
pub fn strings_field(body: &Value, key: &str) -> Vec<String> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn decodes_queries() {
        let q = parse_query(Some("tag_name=infra-ab%3Acd&page=2"));
        assert_eq!(q["tag_name"], "infra-ab:cd");
        assert_eq!(q["page"], "2");
    }
}
