//! Typed attributes of CI classes and the validation of a CI's values against them. Values
//! come in as JSON (from the API, or from a form as text) and leave normalised: numbers as
//! numbers, dates as `YYYY-MM-DD`, addresses in their canonical text. Errors name the field
//! `attributes.<code>`, so a form shows each beside its input.

use crate::ids::{CiAttributeId, CiClassId};
use crate::permission::string_enum;
use crate::validate::{Checker, is_key};
use crate::{DomainError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::net::IpAddr;

string_enum!(
    AttrKind {
        Text = "text",
        Integer = "integer",
        Decimal = "decimal",
        Boolean = "boolean",
        Date = "date",
        Enum = "enum",
        Ip = "ip",
        Cidr = "cidr",
        CiRef = "ci_ref",
        UserRef = "user_ref",
        TeamRef = "team_ref",
        Json = "json",
    }
);

impl AttrKind {
    /// Whether the value names another record, whose existence core checks.
    pub fn is_reference(self) -> bool {
        matches!(self, AttrKind::CiRef | AttrKind::UserRef | AttrKind::TeamRef)
    }
}

/// One choice of an enum attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct EnumValue {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
}

/// An attribute as the rules need it (the store's row has the same fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttrDef {
    pub id: CiAttributeId,
    pub class_id: CiClassId,
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub kind: AttrKind,
    pub required: bool,
    pub unique_in_class: bool,
    pub identifying: bool,
    pub pattern: Option<String>,
    /// Bounds of a number, or of a text's length in characters.
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub enum_values: Vec<EnumValue>,
    pub ref_class_id: Option<CiClassId>,
    pub position: i64,
    /// Identifying attributes that share a group match a CI only together (host name +
    /// domain); empty: this one matches by itself.
    pub key_group: String,
}

impl AttrDef {
    /// A plain optional attribute, for tests and for building definitions field by field.
    pub fn sample(id: i64, class_id: CiClassId, code: &str, kind: AttrKind) -> Self {
        Self {
            id: CiAttributeId(id),
            class_id,
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
            kind,
            required: false,
            unique_in_class: false,
            identifying: false,
            pattern: None,
            min_value: None,
            max_value: None,
            enum_values: Vec::new(),
            ref_class_id: None,
            position: 0,
            key_group: String::new(),
        }
    }

    /// The name in the reader's language (English falls back to the Chinese name).
    pub fn label(&self, english: bool) -> &str {
        if english && !self.name_en.is_empty() { &self.name_en } else { &self.name }
    }
}

/// Longest text attribute value, in characters.
pub const MAX_TEXT: usize = 2000;

/// Checks and normalises a CI's attribute values against its class's attributes (inherited
/// ones included). Empty text and `null` mean "no value". Unknown codes are refused.
pub fn validate(defs: &[&AttrDef], input: &Map<String, Value>) -> Result<Map<String, Value>, DomainError> {
    let mut c = Checker::new();
    let mut out = Map::new();
    for code in input.keys() {
        if !defs.iter().any(|d| &d.code == code) {
            c.push(FieldError::new(format!("attributes.{code}"), "unknown_attribute"));
        }
    }
    for d in defs {
        let field = format!("attributes.{}", d.code);
        let raw = input.get(&d.code).filter(|v| !is_empty(v));
        let Some(raw) = raw else {
            if d.required {
                c.push(FieldError::new(field, "required"));
            }
            continue;
        };
        match value(d, raw) {
            Ok(v) => {
                out.insert(d.code.clone(), v);
            }
            Err(e) => c.push(FieldError { field, ..e }),
        }
    }
    c.finish()?;
    Ok(out)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn err(code: &str) -> FieldError {
    FieldError::new("", code)
}

/// One value, normalised, or its error (field left for the caller to fill).
fn value(d: &AttrDef, raw: &Value) -> Result<Value, FieldError> {
    let text = || match raw {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let v = match d.kind {
        AttrKind::Text => {
            let s = text().ok_or_else(|| err("invalid_text"))?;
            if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(err("control_characters"));
            }
            let len = s.chars().count();
            if len > MAX_TEXT {
                return Err(err("too_long").with("max", MAX_TEXT));
            }
            range(d, len as f64)?;
            if let Some(p) = d.pattern.as_deref().filter(|p| !p.is_empty()) {
                // A pattern that no longer compiles refuses values rather than letting all in.
                let ok = regex::Regex::new(p).map(|re| re.is_match(&s)).unwrap_or(false);
                if !ok {
                    return Err(err("pattern_mismatch").with("pattern", p));
                }
            }
            Value::String(s)
        }
        AttrKind::Integer => {
            let n = match raw {
                Value::Number(n) => n.as_i64(),
                _ => text().and_then(|s| s.parse::<i64>().ok()),
            }
            .ok_or_else(|| err("invalid_integer"))?;
            range(d, n as f64)?;
            Value::from(n)
        }
        AttrKind::Decimal => {
            let n = match raw {
                Value::Number(n) => n.as_f64(),
                _ => text().and_then(|s| s.parse::<f64>().ok()),
            }
            .filter(|n| n.is_finite())
            .ok_or_else(|| err("invalid_decimal"))?;
            range(d, n)?;
            serde_json::Number::from_f64(n).map(Value::Number).ok_or_else(|| err("invalid_decimal"))?
        }
        AttrKind::Boolean => match raw {
            Value::Bool(b) => Value::Bool(*b),
            _ => match text().as_deref() {
                Some("true" | "1" | "on" | "yes") => Value::Bool(true),
                Some("false" | "0" | "off" | "no") => Value::Bool(false),
                _ => return Err(err("invalid_boolean")),
            },
        },
        AttrKind::Date => {
            let s = text().ok_or_else(|| err("invalid_date"))?;
            let ok = s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok();
            if !ok {
                return Err(err("invalid_date"));
            }
            Value::String(s)
        }
        AttrKind::Enum => {
            let s = text().ok_or_else(|| err("not_allowed_value"))?;
            if !d.enum_values.iter().any(|e| e.code == s) {
                let allowed: Vec<&str> = d.enum_values.iter().map(|e| e.code.as_str()).collect();
                return Err(err("not_allowed_value").with("allowed", allowed.join(", ")));
            }
            Value::String(s)
        }
        AttrKind::Ip => {
            let ip: IpAddr = text().and_then(|s| s.parse().ok()).ok_or_else(|| err("invalid_ip"))?;
            Value::String(ip.to_string())
        }
        AttrKind::Cidr => Value::String(cidr(&text().unwrap_or_default()).ok_or_else(|| err("invalid_cidr"))?),
        AttrKind::CiRef | AttrKind::UserRef | AttrKind::TeamRef => {
            let n = match raw {
                Value::Number(n) => n.as_i64(),
                _ => text().and_then(|s| s.parse::<i64>().ok()),
            }
            .filter(|n| *n > 0)
            .ok_or_else(|| err("invalid_reference"))?;
            Value::from(n)
        }
        AttrKind::Json => match raw {
            // A form sends JSON as text; the API may send it as it is.
            Value::String(s) => serde_json::from_str(s).map_err(|_| err("invalid_json"))?,
            other => other.clone(),
        },
    };
    Ok(v)
}

fn range(d: &AttrDef, n: f64) -> Result<(), FieldError> {
    if let Some(min) = d.min_value
        && n < min
    {
        return Err(err("below_min").with("min", min));
    }
    if let Some(max) = d.max_value
        && n > max
    {
        return Err(err("above_max").with("max", max));
    }
    Ok(())
}

/// `10.1.0.0/16` or `2001:db8::/32`, canonical; the address may not have host bits set.
pub fn cidr(s: &str) -> Option<String> {
    let (addr, len) = s.trim().split_once('/')?;
    let ip: IpAddr = addr.parse().ok()?;
    let len: u8 = len.parse().ok()?;
    let host_bits_clear = match ip {
        IpAddr::V4(v4) => len <= 32 && (len == 32 || u32::from(v4) & (u32::MAX >> len) == 0),
        IpAddr::V6(v6) => len <= 128 && (len == 128 || u128::from(v6) & (u128::MAX >> len) == 0),
    };
    host_bits_clear.then(|| format!("{ip}/{len}"))
}

/// A new or changed attribute definition, as an administrator writes it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AttrInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub name_en: String,
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub unique_in_class: bool,
    #[serde(default)]
    pub identifying: bool,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub min_value: Option<f64>,
    #[serde(default)]
    pub max_value: Option<f64>,
    #[serde(default)]
    pub enum_values: Vec<EnumValue>,
    #[serde(default)]
    pub ref_class_id: Option<CiClassId>,
    #[serde(default)]
    pub position: i64,
    /// Identifying attributes of one group match only together (`host`: host name + domain).
    #[serde(default)]
    pub key_group: String,
}

/// Checks a definition: a key for a code, a kind we know, a pattern that compiles, bounds
/// in order, choices for an enum (and only for one), a referenced class only for CI references.
pub fn check_def(input: &AttrInput) -> Result<(AttrKind, AttrInput), DomainError> {
    let mut c = Checker::new();
    let mut out = input.clone();
    if !is_key(&input.code) {
        c.push(FieldError::new("code", "invalid_key"));
    }
    out.name = c.name("name", &input.name, 100);
    out.key_group = input.key_group.trim().to_string();
    if !out.key_group.is_empty() && !is_key(&out.key_group) {
        c.push(FieldError::new("key_group", "invalid_key"));
    }
    out.name_en = c.optional_name("name_en", &input.name_en, 100);
    let kind = input.kind.parse::<AttrKind>().ok();
    if kind.is_none() {
        let all: Vec<&str> = AttrKind::ALL.iter().map(|k| k.as_str()).collect();
        c.one_of("kind", &input.kind, &all);
    }
    out.pattern = input.pattern.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
    if let Some(p) = &out.pattern {
        if kind != Some(AttrKind::Text) {
            c.push(FieldError::new("pattern", "only_for_text"));
        } else if p.chars().count() > 500 || regex::Regex::new(p).is_err() {
            c.push(FieldError::new("pattern", "invalid_pattern"));
        }
    }
    for (field, v) in [("min_value", input.min_value), ("max_value", input.max_value)] {
        if v.is_some_and(|v| !v.is_finite()) {
            c.push(FieldError::new(field, "invalid_decimal"));
        }
    }
    if let (Some(min), Some(max)) = (input.min_value, input.max_value)
        && min > max
    {
        c.push(FieldError::new("max_value", "below_min").with("min", min));
    }
    match kind {
        Some(AttrKind::Enum) => {
            if input.enum_values.is_empty() {
                c.push(FieldError::new("enum_values", "required"));
            }
            let mut seen = Vec::new();
            out.enum_values = input
                .enum_values
                .iter()
                .map(|e| {
                    if !is_key(&e.code) || seen.contains(&e.code) {
                        c.push(FieldError::new("enum_values", "invalid_key").with("code", &e.code));
                    }
                    seen.push(e.code.clone());
                    EnumValue {
                        code: e.code.clone(),
                        name: c.name("enum_values", &e.name, 100),
                        name_en: c.optional_name("enum_values", &e.name_en, 100),
                    }
                })
                .collect();
        }
        _ if !input.enum_values.is_empty() => c.push(FieldError::new("enum_values", "only_for_enum")),
        _ => {}
    }
    if input.ref_class_id.is_some() && kind != Some(AttrKind::CiRef) {
        c.push(FieldError::new("ref_class_id", "only_for_ci_ref"));
    }
    c.finish()?;
    Ok((kind.unwrap_or(AttrKind::Text), out))
}

#[cfg(test)]
mod tests;
