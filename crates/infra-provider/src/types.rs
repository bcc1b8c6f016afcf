//! Type constraints (`string`, `list(object({...}))`, ...) and the conversions Terraform applies when a
//! value is assigned to a typed slot: `"5"` → `5` for a number, `true` → `"true"` for a string, a tuple to
//! a list, an object to a map, and so on.

use crate::value::{Number, Value};
use std::collections::BTreeMap;
use std::fmt;

/// A type constraint.
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    /// `any`: accepts every value unchanged.
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, ObjectAttr>),
    Tuple(Vec<Type>),
}

/// One attribute of an object type; `optional(T, default)` attributes may be omitted.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectAttr {
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn string_list() -> Type {
        Type::list(Type::String)
    }
    pub fn string_set() -> Type {
        Type::set(Type::String)
    }
    pub fn string_map() -> Type {
        Type::map(Type::String)
    }
    /// An object type whose attributes are all required.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(
            attrs
                .into_iter()
                .map(|(k, ty)| {
                    (
                        k.into(),
                        ObjectAttr {
                            ty,
                            optional: false,
                            default: None,
                        },
                    )
                })
                .collect(),
        )
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => write!(f, "any"),
            Type::String => write!(f, "string"),
            Type::Number => write!(f, "number"),
            Type::Bool => write!(f, "bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                write!(f, "tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{t}")?;
                }
                write!(f, "])")
            }
            Type::Object(attrs) => {
                write!(f, "object({{")?;
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    if a.optional {
                        write!(f, "{k} = optional({})", a.ty)?;
                    } else {
                        write!(f, "{k} = {}", a.ty)?;
                    }
                }
                write!(f, "}})")
            }
        }
    }
}

/// Why a value does not fit a type; `path` says where inside the value.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversionError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Converts `v` to type `ty` the way Terraform does on assignment. Null and unknown convert to anything.
/// Marks are kept.
pub fn convert(v: Value, ty: &Type) -> Result<Value, ConversionError> {
    convert_at(v, ty, "")
}

fn err(path: &str, message: String) -> ConversionError {
    ConversionError {
        path: path.to_string(),
        message,
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Map(_) => "object".into(),
        Value::List(_) => "tuple".into(),
        other => other.type_name().into(),
    }
}

fn convert_at(v: Value, ty: &Type, path: &str) -> Result<Value, ConversionError> {
    if let Value::Sensitive(inner) = v {
        return convert_at(*inner, ty, path).map(Value::mark);
    }
    if matches!(v, Value::Null | Value::Unknown) || *ty == Type::Any {
        return Ok(v);
    }
    match ty {
        Type::Any => Ok(v),
        Type::String => match v {
            Value::String(_) => Ok(v),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            Value::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(err(path, format!("string required, but have {}", describe(&other)))),
        },
        Type::Number => match v {
            Value::Number(_) => Ok(v),
            Value::String(ref s) => match s.trim().parse::<f64>() {
                Ok(n) if s.trim() == s && !s.is_empty() => Ok(Value::Number(Number(n))),
                _ => Err(err(path, format!("a number is required, but have string {s:?}"))),
            },
            other => Err(err(path, format!("number required, but have {}", describe(&other)))),
        },
        Type::Bool => match v {
            Value::Bool(_) => Ok(v),
            Value::String(ref s) if s == "true" => Ok(Value::Bool(true)),
            Value::String(ref s) if s == "false" => Ok(Value::Bool(false)),
            other => Err(err(path, format!("bool required, but have {}", describe(&other)))),
        },
        Type::List(elem) | Type::Set(elem) => {
            let items = match v {
                Value::List(items) | Value::Set(items) => items,
                other => {
                    let what = if matches!(ty, Type::List(_)) { "list" } else { "set" };
                    return Err(err(
                        path,
                        format!("{what} of {elem} required, but have {}", describe(&other)),
                    ));
                }
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(convert_at(item, elem, &format!("{path}[{i}]"))?);
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::set(out)
            } else {
                Value::List(out)
            })
        }
        Type::Map(elem) => match v {
            Value::Map(m) => {
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    let p = format!("{path}[{k:?}]");
                    out.insert(k, convert_at(item, elem, &p)?);
                }
                Ok(Value::Map(out))
            }
            other => Err(err(
                path,
                format!("map of {elem} required, but have {}", describe(&other)),
            )),
        },
        Type::Tuple(elems) => match v {
            Value::List(items) | Value::Set(items) => {
                if items.len() != elems.len() {
                    return Err(err(
                        path,
                        format!("tuple of {} elements required, but have {}", elems.len(), items.len()),
                    ));
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, (item, t)) in items.into_iter().zip(elems).enumerate() {
                    out.push(convert_at(item, t, &format!("{path}[{i}]"))?);
                }
                Ok(Value::List(out))
            }
            other => Err(err(path, format!("tuple required, but have {}", describe(&other)))),
        },
        Type::Object(attrs) => match v {
            Value::Map(mut m) => {
                let mut out = BTreeMap::new();
                for (name, attr) in attrs {
                    let p = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    match m.remove(name) {
                        Some(Value::Null) | None if attr.optional => {
                            out.insert(
                                name.clone(),
                                attr.default
                                    .clone()
                                    .map(|d| convert_at(d, &attr.ty, &p))
                                    .transpose()?
                                    .unwrap_or(Value::Null),
                            );
                        }
                        Some(item) => {
                            out.insert(name.clone(), convert_at(item, &attr.ty, &p)?);
                        }
                        None => return Err(err(path, format!("attribute {name:?} is required"))),
                    }
                }
                // Terraform drops attributes an object type does not declare.
                Ok(Value::Map(out))
            }
            other => Err(err(path, format!("object required, but have {}", describe(&other)))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_convert_to_numbers_and_back() {
        assert_eq!(convert(Value::from("5"), &Type::Number).unwrap(), Value::int(5));
        assert_eq!(convert(Value::int(5), &Type::String).unwrap(), Value::from("5"));
        assert!(convert(Value::from("five"), &Type::Number).is_err());
    }

    #[test]
    fn optional_object_attributes_take_defaults() {
        let ty = Type::Object(BTreeMap::from([
            (
                "cpu".to_string(),
                ObjectAttr {
                    ty: Type::Number,
                    optional: false,
                    default: None,
                },
            ),
            (
                "memory".to_string(),
                ObjectAttr {
                    ty: Type::Number,
                    optional: true,
                    default: Some(Value::int(512)),
                },
            ),
        ]));
        let v = convert(Value::map([("cpu", Value::int(256))]), &ty).unwrap();
        assert_eq!(v.get_i64("memory"), Some(512));
        let e = convert(Value::map([("memory", Value::int(1))]), &ty).unwrap_err();
        assert!(e.message.contains("\"cpu\" is required"), "{e}");
    }

    #[test]
    fn nested_errors_name_the_path() {
        let ty = Type::map(Type::Number);
        let e = convert(Value::map([("a", Value::from("x"))]), &ty).unwrap_err();
        assert_eq!(e.path, "[\"a\"]");
    }

    #[test]
    fn marks_survive_conversion() {
        let v = convert(Value::from("1").mark(), &Type::Number).unwrap();
        assert!(v.is_marked());
    }
}
