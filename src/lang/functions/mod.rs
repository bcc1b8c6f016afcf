//! TEMPORARY bootstrap of the function library: replaced by the full library (branch `funcs`).
use infra_provider::Value;
use std::collections::BTreeMap;

pub struct FuncContext<'a> {
    pub base_dir: &'a std::path::Path,
    pub render_template: Option<&'a dyn Fn(&str, &BTreeMap<String, Value>) -> Result<Value, String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FuncError {
    pub message: String,
    pub arg: Option<usize>,
}

pub fn call(name: &str, args: Vec<Value>, _ctx: &FuncContext) -> Result<Value, FuncError> {
    if args.iter().any(|a| !a.is_wholly_known()) {
        return Ok(Value::Unknown);
    }
    match name {
        "length" => Ok(Value::int(match &args[0] {
            Value::List(x) | Value::Set(x) => x.len() as i64,
            Value::Map(m) => m.len() as i64,
            Value::String(s) => s.chars().count() as i64,
            _ => 0,
        })),
        "upper" => Ok(Value::string(args[0].as_str().unwrap_or("").to_uppercase())),
        "jsonencode" => Ok(Value::string(args[0].to_json().to_string())),
        "toset" => Ok(Value::set(args[0].as_list().unwrap_or(&[]).to_vec())),
        _ => Err(FuncError {
            message: "not available".into(),
            arg: None,
        }),
    }
}

pub fn exists(name: &str) -> bool {
    names().contains(&name)
}

pub fn names() -> &'static [&'static str] {
    &["length", "upper", "jsonencode", "toset"]
}
