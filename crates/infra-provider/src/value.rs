//! The dynamic value every configuration expression, resource attribute and state entry is made of.
//!
//! [`Value`] mirrors Terraform's `cty` value closely enough for the language: null, unknown ("known after
//! apply"), bool, number, string, list/tuple, set, map/object, and a *mark* for sensitive values. Objects and
//! maps share one representation (a sorted map), as do lists and tuples; sets are kept sorted and
//! deduplicated so that two sets with the same members are equal whatever order they were written in.
//!
//! Unknown and sensitive are part of the value, not of a side table, so that they flow through
//! expressions: any operation on an unknown yields unknown, and any operation on a sensitive value yields a
//! sensitive value. Providers never see marks: the engine strips them (remembering their paths) before a
//! value crosses the protocol.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A number. Terraform numbers are arbitrary precision; `f64` covers every quantity a resource
/// argument holds (sizes, ports, counts) and prints integers without a fraction.
#[derive(Clone, Copy, Debug, Default)]
pub struct Number(pub f64);

impl Number {
    pub fn as_f64(self) -> f64 {
        self.0
    }
    /// The value as an integer when it is one.
    pub fn as_i64(self) -> Option<i64> {
        if self.0.fract() == 0.0 && self.0.abs() < 9.0e15 {
            Some(self.0 as i64)
        } else {
            None
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal || self.0 == other.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_i64() {
            Some(i) => write!(f, "{i}"),
            None => write!(f, "{}", self.0),
        }
    }
}

/// A dynamic value. See the module documentation.
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    /// A value that will only be known after apply.
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    /// A list or tuple.
    List(Vec<Value>),
    /// A set: sorted and deduplicated (see [`Value::set`]).
    Set(Vec<Value>),
    /// A map or object.
    Map(BTreeMap<String, Value>),
    /// A sensitive value: printed as `(sensitive value)`, never logged.
    Sensitive(Box<Value>),
}

/// One step of a [`Path`] into a value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PathStep {
    Index(usize),
    Key(String),
}

/// A path to a nested value, e.g. `ingress[0].cidr_blocks`.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Path(pub Vec<PathStep>);

impl Path {
    pub fn root() -> Path {
        Path(Vec::new())
    }
    pub fn attr(name: &str) -> Path {
        Path(vec![PathStep::Key(name.to_string())])
    }
    pub fn key(&self, k: &str) -> Path {
        let mut p = self.clone();
        p.0.push(PathStep::Key(k.to_string()));
        p
    }
    pub fn index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(PathStep::Index(i));
        p
    }
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
    /// True when `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &Path) -> bool {
        self.0.len() >= other.0.len() && self.0[..other.0.len()] == other.0[..]
    }
    /// The first step as an attribute name.
    pub fn first_attr(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathStep::Key(k)) => Some(k),
            _ => None,
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Key(k) if i == 0 => write!(f, "{k}")?,
                PathStep::Key(k) if is_identifier(k) => write!(f, ".{k}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn number(n: impl Into<f64>) -> Value {
        Value::Number(Number(n.into()))
    }
    pub fn int(n: i64) -> Value {
        Value::Number(Number(n as f64))
    }
    /// A set from any elements: sorted and deduplicated. Elements not wholly known are all kept (as in
    /// Terraform): two of them may turn out equal or not, so the set's length is unknown until apply.
    pub fn set(mut items: Vec<Value>) -> Value {
        items.sort();
        items.dedup_by(|a, b| a == b && a.is_wholly_known());
        Value::Set(items)
    }
    pub fn map<K: Into<String>>(items: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(items.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    pub fn empty_map() -> Value {
        Value::Map(BTreeMap::new())
    }
    pub fn string_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(items.into_iter().map(|s| Value::string(s.as_ref())).collect())
    }
    pub fn string_set<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::set(items.into_iter().map(|s| Value::string(s.as_ref())).collect())
    }
    /// A `map(string)` value from pairs.
    pub fn string_map<K: Into<String>, V: Into<String>>(items: impl IntoIterator<Item = (K, V)>) -> Value {
        Value::Map(
            items
                .into_iter()
                .map(|(k, v)| (k.into(), Value::String(v.into())))
                .collect(),
        )
    }
    /// `Some(v)` as a string value, `None` as null.
    pub fn opt_string(s: Option<impl Into<String>>) -> Value {
        s.map(|s| Value::String(s.into())).unwrap_or(Value::Null)
    }
    pub fn opt_int(n: Option<impl Into<i64>>) -> Value {
        n.map(|n| Value::int(n.into())).unwrap_or(Value::Null)
    }
    pub fn opt_bool(b: Option<bool>) -> Value {
        b.map(Value::Bool).unwrap_or(Value::Null)
    }

    pub fn is_null(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Sensitive(v) => v.is_null(),
            _ => false,
        }
    }
    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown => true,
            Value::Sensitive(v) => v.is_unknown(),
            _ => false,
        }
    }
    /// True when no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.values().all(Value::is_wholly_known),
            Value::Sensitive(v) => v.is_wholly_known(),
            _ => true,
        }
    }
    /// True when the value or any part of it is marked sensitive.
    pub fn is_marked(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) | Value::Set(items) => items.iter().any(Value::is_marked),
            Value::Map(m) => m.values().any(Value::is_marked),
            _ => false,
        }
    }
    /// The value without its outermost mark, and whether there was one.
    pub fn unmark_shallow(&self) -> (&Value, bool) {
        match self {
            Value::Sensitive(v) => (v.unmark_shallow().0, true),
            v => (v, false),
        }
    }
    /// Marks the value sensitive (idempotent).
    pub fn mark(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }
    /// Marks the value sensitive when `yes`.
    pub fn mark_if(self, yes: bool) -> Value {
        if yes { self.mark() } else { self }
    }
    /// Removes every mark, deep, and reports whether there was any.
    pub fn unmark_deep(self) -> (Value, bool) {
        let mut marked = false;
        let v = self.unmark_into(&mut marked);
        (v, marked)
    }
    fn unmark_into(self, marked: &mut bool) -> Value {
        match self {
            Value::Sensitive(v) => {
                *marked = true;
                v.unmark_into(marked)
            }
            Value::List(items) => Value::List(items.into_iter().map(|v| v.unmark_into(marked)).collect()),
            Value::Set(items) => Value::set(items.into_iter().map(|v| v.unmark_into(marked)).collect()),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, v.unmark_into(marked))).collect()),
            v => v,
        }
    }
    /// Removes every mark and returns the paths that carried one.
    pub fn strip_marks(self) -> (Value, Vec<Path>) {
        let mut paths = Vec::new();
        let v = strip_at(self, &Path::root(), &mut paths);
        (v, paths)
    }
    /// Marks the values at `paths` (paths that do not exist are ignored).
    pub fn apply_marks(mut self, paths: &[Path]) -> Value {
        for p in paths {
            if p.is_root() {
                self = self.mark();
            } else if let Some(slot) = self.get_path_mut(p) {
                let v = std::mem::take(slot);
                *slot = v.mark();
            }
        }
        self
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Sensitive(v) => v.as_str(),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Sensitive(v) => v.as_bool(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.0),
            Value::Sensitive(v) => v.as_f64(),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            Value::Sensitive(v) => v.as_i64(),
            _ => None,
        }
    }
    /// The elements of a list, tuple or set.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) => Some(items),
            Value::Sensitive(v) => v.as_list(),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            Value::Sensitive(v) => v.as_map(),
            _ => None,
        }
    }
    pub fn as_map_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            Value::Sensitive(v) => v.as_map_mut(),
            _ => None,
        }
    }
    /// An attribute of an object (`None` when absent or when `self` is not an object).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }
    /// An attribute as a string, treating null as absent.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
    pub fn get_i64(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }
    pub fn get_list(&self, key: &str) -> &[Value] {
        self.get(key).and_then(Value::as_list).unwrap_or(&[])
    }
    /// A list/set of strings attribute (non-strings skipped).
    pub fn get_strings(&self, key: &str) -> Vec<String> {
        self.get_list(key)
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }
    /// A map(string) attribute as pairs (non-strings skipped).
    pub fn get_string_map(&self, key: &str) -> BTreeMap<String, String> {
        self.get(key)
            .and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// The first element of a single-nested block written as a list (`foo { ... }` → `foo[0]`).
    pub fn get_block(&self, key: &str) -> Option<&Value> {
        match self.get(key)? {
            Value::List(items) | Value::Set(items) => items.first(),
            Value::Map(_) => self.get(key),
            _ => None,
        }
    }
    /// Sets an attribute of an object (turning a null into an empty object first).
    pub fn set_attr(&mut self, key: &str, v: Value) {
        if self.is_null() {
            *self = Value::empty_map();
        }
        if let Some(m) = self.as_map_mut() {
            m.insert(key.to_string(), v);
        }
    }
    pub fn with(mut self, key: &str, v: Value) -> Value {
        self.set_attr(key, v);
        self
    }

    pub fn get_path(&self, path: &Path) -> Option<&Value> {
        let mut cur = self;
        for step in &path.0 {
            cur = match (cur.unmark_shallow().0, step) {
                (Value::Map(m), PathStep::Key(k)) => m.get(k)?,
                (Value::List(items) | Value::Set(items), PathStep::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }
    pub fn get_path_mut(&mut self, path: &Path) -> Option<&mut Value> {
        let mut cur = self;
        for step in &path.0 {
            if let Value::Sensitive(_) = cur {
                // Descend through the mark.
                let Value::Sensitive(inner) = cur else { unreachable!() };
                cur = inner.as_mut();
            }
            cur = match (cur, step) {
                (Value::Map(m), PathStep::Key(k)) => m.get_mut(k)?,
                (Value::List(items) | Value::Set(items), PathStep::Index(i)) => items.get_mut(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Short name of the value's kind, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "object",
            Value::Sensitive(v) => v.type_name(),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Unknown => 1,
            Value::Bool(_) => 2,
            Value::Number(_) => 3,
            Value::String(_) => 4,
            Value::List(_) => 5,
            Value::Set(_) => 6,
            Value::Map(_) => 7,
            Value::Sensitive(_) => 8,
        }
    }

    /// Converts from JSON. JSON has no sets: arrays become lists.
    pub fn from_json(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(Number(n.as_f64().unwrap_or(0.0))),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(m) => {
                Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect())
            }
        }
    }

    /// Converts to JSON. Unknown becomes null and marks are dropped: callers that must keep them use
    /// [`Value::unknown_mask`] and [`Value::strip_marks`] first.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => serde_json::Value::from(i),
                None => serde_json::Number::from_f64(n.0)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
            },
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) | Value::Set(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Sensitive(v) => v.to_json(),
        }
    }

    /// A JSON mask of the same shape with `true` where the value is unknown (Terraform's `after_unknown`).
    /// `false` when nothing below is unknown.
    pub fn unknown_mask(&self) -> serde_json::Value {
        match self {
            Value::Unknown => serde_json::Value::Bool(true),
            Value::Sensitive(v) => v.unknown_mask(),
            Value::List(items) | Value::Set(items) if !self.is_wholly_known() => {
                serde_json::Value::Array(items.iter().map(Value::unknown_mask).collect())
            }
            Value::Map(m) if !self.is_wholly_known() => serde_json::Value::Object(
                m.iter()
                    .filter(|(_, v)| !v.is_wholly_known())
                    .map(|(k, v)| (k.clone(), v.unknown_mask()))
                    .collect(),
            ),
            _ => serde_json::Value::Bool(false),
        }
    }

    /// Rebuilds a value from its JSON form and an [`Value::unknown_mask`].
    pub fn from_json_with_unknowns(j: &serde_json::Value, mask: &serde_json::Value) -> Value {
        match (j, mask) {
            (_, serde_json::Value::Bool(true)) => Value::Unknown,
            (serde_json::Value::Array(items), serde_json::Value::Array(masks)) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        Value::from_json_with_unknowns(v, masks.get(i).unwrap_or(&serde_json::Value::Bool(false)))
                    })
                    .collect(),
            ),
            (serde_json::Value::Object(m), serde_json::Value::Object(masks)) => {
                let mut out: BTreeMap<String, Value> = m
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            Value::from_json_with_unknowns(v, masks.get(k).unwrap_or(&serde_json::Value::Bool(false))),
                        )
                    })
                    .collect();
                for (k, mv) in masks {
                    if !out.contains_key(k) && mv == &serde_json::Value::Bool(true) {
                        out.insert(k.clone(), Value::Unknown);
                    }
                }
                Value::Map(out)
            }
            _ => Value::from_json(j),
        }
    }
}

fn strip_at(v: Value, at: &Path, paths: &mut Vec<Path>) -> Value {
    match v {
        Value::Sensitive(inner) => {
            paths.push(at.clone());
            let (inner, _) = inner.unmark_deep();
            inner
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| strip_at(v, &at.index(i), paths))
                .collect(),
        ),
        Value::Set(items) => {
            // Set elements have no stable path: a marked element marks the whole set.
            let (v, marked) = Value::Set(items).unmark_deep();
            if marked {
                paths.push(at.clone());
            }
            v
        }
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| {
                    let p = at.key(&k);
                    (k, strip_at(v, &p, paths))
                })
                .collect(),
        ),
        v => v,
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Value {}
impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.0.total_cmp(&b.0),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) | (Value::Set(a), Value::Set(b)) => a.cmp(b),
            (Value::Map(a), Value::Map(b)) => a.iter().cmp(b.iter()),
            (Value::Sensitive(a), Value::Sensitive(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::int(n)
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::int(n as i64)
    }
}
impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::number(n)
    }
}

/// Plain JSON (unknown as null, marks dropped). State files use this; plan files add masks.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}
/// Reads JSON straight into a [`Value`] (no intermediate `serde_json::Value`: state files are large).
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(Number(n as f64)))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(Number(n as f64)))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Number(Number(n)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element::<Value>()? {
            items.push(v);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = BTreeMap::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            m.insert(k, v);
        }
        Ok(Value::Map(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_ignore_order_and_duplicates() {
        let a = Value::set(vec!["b".into(), "a".into(), "b".into()]);
        let b = Value::set(vec!["a".into(), "b".into()]);
        assert_eq!(a, b);
        assert_eq!(a.as_list().unwrap().len(), 2);
    }

    #[test]
    fn marks_are_stripped_with_their_paths_and_restored() {
        let v = Value::map([
            ("user", Value::from("app")),
            ("password", Value::from("hunter2").mark()),
        ]);
        assert!(v.is_marked());
        let (plain, paths) = v.strip_marks();
        assert!(!plain.is_marked());
        assert_eq!(paths, vec![Path::attr("password")]);
        let again = plain.apply_marks(&paths);
        assert!(again.get("password").unwrap().is_marked());
        assert!(!again.get("user").unwrap().is_marked());
    }

    #[test]
    fn unknown_mask_round_trips() {
        let v = Value::map([
            ("id", Value::Unknown),
            ("cidr", Value::from("10.0.0.0/16")),
            ("list", Value::List(vec![Value::from(1), Value::Unknown])),
        ]);
        let j = v.to_json();
        let mask = v.unknown_mask();
        assert_eq!(Value::from_json_with_unknowns(&j, &mask), v);
    }

    #[test]
    fn integers_print_without_fraction() {
        assert_eq!(Value::int(8080).to_json().to_string(), "8080");
        assert_eq!(Number(0.5).to_string(), "0.5");
    }

    #[test]
    fn paths_display_like_terraform() {
        let p = Path::attr("ingress").index(0).key("cidr_blocks");
        assert_eq!(p.to_string(), "ingress[0].cidr_blocks");
        assert_eq!(
            Path::attr("tags").key("infra:address").to_string(),
            "tags[\"infra:address\"]"
        );
    }
}
