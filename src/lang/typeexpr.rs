//! Type constraint expressions of `variable` blocks: `string`, `list(object({ name = string, port =
//! optional(number, 80) }))`, `map(any)`, `tuple([string, number])`...

use super::ast::{Expr, ObjKey};
use crate::diag::Diagnostic;
use infra_provider::{ObjectAttr, Type};
use std::collections::BTreeMap;

/// Parses a type constraint expression.
pub fn parse_type(e: &Expr) -> Result<Type, Diagnostic> {
    parse(e, false)
}

fn invalid(e: &Expr, detail: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Some(e.span()), "Invalid type specification", detail)
}

fn parse(e: &Expr, in_object: bool) -> Result<Type, Diagnostic> {
    match e {
        Expr::Var(name, _) => match name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Any),
            "list" | "set" | "map" => Ok(match name.as_str() {
                // Bare collection keywords mean a collection of any (legacy form).
                "list" => Type::list(Type::Any),
                "set" => Type::set(Type::Any),
                _ => Type::map(Type::Any),
            }),
            other => Err(invalid(
                e,
                format!("The keyword {other:?} is not a valid type specification."),
            )),
        },
        Expr::Call { name, args, span, .. } => {
            let one = || -> Result<&Expr, Diagnostic> {
                match args.as_slice() {
                    [a] => Ok(a),
                    _ => Err(Diagnostic::error(
                        Some(*span),
                        "Invalid type specification",
                        format!("The {name}() type constructor requires one argument."),
                    )),
                }
            };
            match name.as_str() {
                "list" => Ok(Type::list(parse(one()?, false)?)),
                "set" => Ok(Type::set(parse(one()?, false)?)),
                "map" => Ok(Type::map(parse(one()?, false)?)),
                "tuple" => match one()? {
                    Expr::Tuple(items, _) => Ok(Type::Tuple(
                        items.iter().map(|i| parse(i, false)).collect::<Result<_, _>>()?,
                    )),
                    other => Err(invalid(
                        other,
                        "The tuple() type constructor requires a list of element types.",
                    )),
                },
                "object" => match one()? {
                    Expr::Object(items, _) => {
                        let mut attrs = BTreeMap::new();
                        for (k, v) in items {
                            let key = match k {
                                ObjKey::Name(n, _) => n.clone(),
                                ObjKey::Expr(ke) => {
                                    match ke.as_literal().and_then(|l| l.as_str().map(str::to_string)) {
                                        Some(s) => s,
                                        None => {
                                            return Err(invalid(
                                                ke,
                                                "Object attribute names must be identifiers or strings.",
                                            ));
                                        }
                                    }
                                }
                            };
                            attrs.insert(key, parse_object_attr(v)?);
                        }
                        Ok(Type::Object(attrs))
                    }
                    other => Err(invalid(
                        other,
                        "The object() type constructor requires an object of attribute types.",
                    )),
                },
                "optional" if !in_object => Err(Diagnostic::error(
                    Some(*span),
                    "Invalid type specification",
                    "Keyword \"optional\" is valid only as a modifier for object type attributes.",
                )),
                other => Err(Diagnostic::error(
                    Some(*span),
                    "Invalid type specification",
                    format!("Keyword {other:?} is not a valid type constructor."),
                )),
            }
        }
        other => Err(invalid(
            other,
            "A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).",
        )),
    }
}

fn parse_object_attr(e: &Expr) -> Result<ObjectAttr, Diagnostic> {
    if let Expr::Call { name, args, span, .. } = e
        && name == "optional"
    {
        let (ty, default) = match args.as_slice() {
            [t] => (parse(t, true)?, None),
            [t, d] => {
                let dv = d
                    .as_literal()
                    .ok_or_else(|| invalid(d, "The default value of an optional attribute must be a literal value."))?;
                (parse(t, true)?, Some(dv))
            }
            _ => {
                return Err(Diagnostic::error(
                    Some(*span),
                    "Invalid type specification",
                    "optional() takes a type and an optional default value.",
                ));
            }
        };
        return Ok(ObjectAttr {
            ty,
            optional: true,
            default,
        });
    }
    Ok(ObjectAttr {
        ty: parse(e, true)?,
        optional: false,
        default: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::ast::parse_expr;

    fn ty(s: &str) -> Result<Type, Diagnostic> {
        parse_type(&parse_expr(0, s).unwrap())
    }

    #[test]
    fn parses_nested_types() {
        assert_eq!(ty("list(string)").unwrap(), Type::list(Type::String));
        assert_eq!(ty("map(list(number))").unwrap(), Type::map(Type::list(Type::Number)));
        let Type::Object(attrs) = ty("object({ name = string, port = optional(number, 80) })").unwrap() else {
            panic!()
        };
        assert!(attrs["port"].optional);
        assert_eq!(attrs["port"].default, Some(infra_provider::Value::int(80)));
        assert_eq!(
            ty("tuple([string, bool])").unwrap(),
            Type::Tuple(vec![Type::String, Type::Bool])
        );
    }

    #[test]
    fn rejects_bad_types() {
        assert!(ty("strng").is_err());
        assert!(ty("optional(string)").is_err());
        assert!(ty("list(string, number)").is_err());
    }
}
