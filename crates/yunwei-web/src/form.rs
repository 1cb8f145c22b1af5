//! Binding HTML forms and query strings to the API's serde input types.
//!
//! A form posts `application/x-www-form-urlencoded` pairs: every text field (empty or not),
//! each ticked checkbox and each chosen option of a multi-select as one pair, repeated keys
//! for lists. This deserializer reads those pairs into the same types the JSON API takes:
//!
//! - an empty (or blank) value is `None` for every `Option` — numbers, ids (newtypes),
//!   strings and enums alike — so an empty filter field means "any", never a 400;
//! - repeated keys fill a `Vec` (blank values skipped: an "any" option selects nothing);
//! - a failure names the field (`expected_number`, `invalid_choice`, `required`…) so the
//!   page can show it next to the input;
//! - `csrf_token` is the extractor's business and never reaches the target type, so types
//!   with `deny_unknown_fields` bind as they are.
//!
//! Why not a crate: `serde_urlencoded` refuses repeated keys and reads `x=` as `Some("")`;
//! `serde_html_form` (0.4) reads repeated keys but treats an empty value as `None` only for
//! plain numbers and bools, not for `Option<Id>` newtypes or strings, which is most of our
//! fields. The whole format here is one `Deserializer` over already-decoded pairs (decoding
//! stays with `serde_urlencoded`), with unit tests below.

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use std::fmt;
use yunwei_domain::FieldError;

/// Decoded `name=value` pairs in the order they were sent.
pub type Pairs = Vec<(String, String)>;

/// The field the CSRF check reads; never bound to an input type.
pub const CSRF_FIELD: &str = "csrf_token";

/// Decodes a urlencoded body or query string into pairs (percent and `+` decoding).
pub fn decode(bytes: &[u8]) -> Pairs {
    serde_urlencoded::from_bytes(bytes).unwrap_or_default()
}

/// Binds pairs to `T`; the error names the field that could not be read.
pub fn bind<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, BindError> {
    T::deserialize(Form { pairs: pairs.iter().filter(|(k, _)| k != CSRF_FIELD).map(|(k, v)| (k.as_str(), v.as_str())).collect() })
}

/// Why a form could not be read, by field.
#[derive(Debug, Clone, PartialEq)]
pub struct BindError {
    /// The field's name as posted (`None`: the form as a whole).
    pub field: Option<String>,
    /// A stable code with a message in the locales (`error.{code}`).
    pub code: &'static str,
    pub message: String,
}

impl BindError {
    fn at(mut self, field: &str) -> Self {
        self.field.get_or_insert_with(|| field.to_string());
        self
    }

    /// The field error the pages and the problem document show.
    pub fn field_error(&self) -> FieldError {
        FieldError::new(self.field.clone().unwrap_or_default(), self.code)
    }
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for BindError {}

impl de::Error for BindError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let message = msg.to_string();
        // serde's own messages for a value of the wrong kind; the rest is "invalid".
        let code = if message.starts_with("unknown variant") {
            "invalid_choice"
        } else if message.starts_with("invalid type: sequence") {
            "duplicate"
        } else {
            "invalid"
        };
        BindError { field: None, code, message }
    }
    fn missing_field(field: &'static str) -> Self {
        BindError { field: Some(field.into()), code: "required", message: format!("missing field `{field}`") }
    }
    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Self {
        BindError { field: Some(field.into()), code: "unknown_field", message: format!("unknown field `{field}`") }
    }
    fn unknown_variant(variant: &str, _expected: &'static [&'static str]) -> Self {
        BindError { field: None, code: "invalid_choice", message: format!("unknown variant `{variant}`") }
    }
}

fn expected(code: &'static str, value: &str) -> BindError {
    BindError { field: None, code, message: format!("cannot read `{value}`") }
}

/// The whole form: a map from field name to its values, or (for `Vec<(String, String)>`) the pairs.
struct Form<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'de> de::Deserializer<'de> for Form<'_> {
    type Error = BindError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
        let mut grouped: Vec<(&str, Vec<&str>)> = Vec::new();
        for (k, v) in self.pairs {
            match grouped.iter_mut().find(|(name, _)| *name == k) {
                Some((_, values)) => values.push(v),
                None => grouped.push((k, vec![v])),
            }
        }
        visitor.visit_map(Entries { iter: grouped.into_iter(), value: None })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
        let pairs = self.pairs.into_iter().map(|(k, v)| (k, Value { values: vec![v] }));
        let mut access = de::value::MapDeserializer::new(pairs);
        let out = visitor.visit_seq(&mut access)?;
        access.end()?;
        Ok(out)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, BindError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct Entries<'a, I> {
    iter: I,
    value: Option<(&'a str, Vec<&'a str>)>,
}

impl<'de, 'a, I: Iterator<Item = (&'a str, Vec<&'a str>)>> de::MapAccess<'de> for Entries<'a, I> {
    type Error = BindError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, BindError> {
        match self.iter.next() {
            Some((key, values)) => {
                self.value = Some((key, values));
                let de: StrDeserializer<'_, BindError> = key.into_deserializer();
                seed.deserialize(de).map(Some).map_err(|e| e.at(key))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, BindError> {
        let (key, values) = self.value.take().ok_or_else(|| <BindError as de::Error>::custom("value without a key"))?;
        seed.deserialize(Value { values }).map_err(|e| e.at(key))
    }
}

/// The values of one field (one, or several for repeated keys).
struct Value<'a> {
    values: Vec<&'a str>,
}

impl<'a> Value<'a> {
    fn one(&self) -> &'a str {
        self.values.last().copied().unwrap_or_default()
    }
    fn blank(&self) -> bool {
        self.values.iter().all(|v| v.trim().is_empty())
    }
    fn number<T: std::str::FromStr>(&self) -> Result<T, BindError> {
        let v = self.one();
        // A blank number that is not optional was left out: "required", as core says of text.
        let code = if v.trim().is_empty() { "required" } else { "expected_number" };
        v.trim().parse().map_err(|_| expected(code, v))
    }
}

macro_rules! numbers {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
            visitor.$visit(self.number::<$ty>()?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value<'_> {
    type Error = BindError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
        if self.values.len() > 1 { self.deserialize_seq(visitor) } else { visitor.visit_str(self.one()) }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
        if self.blank() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
        let items = self.values.into_iter().filter(|v| !v.trim().is_empty()).map(|v| Value { values: vec![v] });
        visitor.visit_seq(de::value::SeqDeserializer::new(items))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
        match self.one().trim() {
            "true" | "on" | "1" | "yes" => visitor.visit_bool(true),
            "false" | "off" | "0" | "no" | "" => visitor.visit_bool(false),
            other => Err(expected("invalid", other)),
        }
    }

    numbers! {
        deserialize_i8 => visit_i8: i8, deserialize_i16 => visit_i16: i16, deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64, deserialize_u8 => visit_u8: u8, deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32, deserialize_u64 => visit_u64: u64, deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, BindError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], visitor: V) -> Result<V::Value, BindError> {
        let de: StrDeserializer<'_, BindError> = self.one().trim().into_deserializer();
        visitor.visit_enum(de)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BindError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit_struct tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, BindError> for Value<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq, Clone, Copy)]
    struct Id(i64);

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Level {
        Low,
        High,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Input {
        name: String,
        note: Option<String>,
        id: Option<Id>,
        count: Option<i64>,
        level: Option<Level>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        ids: Vec<Id>,
        #[serde(default)]
        flag: bool,
    }

    fn pairs(p: &[(&str, &str)]) -> Pairs {
        p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn empty_fields_are_none_and_repeated_keys_a_list() {
        let got: Input = bind(&pairs(&[
            ("csrf_token", "x"),
            ("name", "n"),
            ("note", " "),
            ("id", ""),
            ("count", ""),
            ("level", ""),
            ("tags", "a"),
            ("tags", "b"),
            ("ids", "3"),
            ("ids", ""),
            ("ids", "4"),
        ]))
        .unwrap();
        assert_eq!(
            got,
            Input {
                name: "n".into(),
                note: None,
                id: None,
                count: None,
                level: None,
                tags: vec!["a".into(), "b".into()],
                ids: vec![Id(3), Id(4)],
                flag: false
            }
        );
        let got: Input =
            bind(&pairs(&[("name", ""), ("note", "x"), ("id", "7"), ("count", " 2 "), ("level", "high"), ("flag", "true")])).unwrap();
        assert_eq!(
            (got.name.as_str(), got.note.as_deref(), got.id, got.count, got.level, got.flag),
            ("", Some("x"), Some(Id(7)), Some(2), Some(Level::High), true)
        );
    }

    #[test]
    fn errors_name_the_field() {
        let code = |p: &[(&str, &str)]| bind::<Input>(&pairs(p)).map(|_| ()).unwrap_err();
        let e = code(&[("name", "n"), ("id", "x")]);
        assert_eq!((e.field.as_deref(), e.code), (Some("id"), "expected_number"));
        #[derive(Debug, Deserialize)]
        struct Needs {
            #[allow(dead_code)]
            id: Id,
        }
        let e = bind::<Needs>(&pairs(&[("id", " ")])).unwrap_err();
        assert_eq!((e.field.as_deref(), e.code), (Some("id"), "required"));
        let e = code(&[("name", "n"), ("level", "medium")]);
        assert_eq!((e.field.as_deref(), e.code), (Some("level"), "invalid_choice"));
        let e = code(&[("note", "n")]);
        assert_eq!((e.field.as_deref(), e.code), (Some("name"), "required"));
        let e = code(&[("name", "n"), ("other", "1")]);
        assert_eq!((e.field.as_deref(), e.code), (Some("other"), "unknown_field"));
        let e = code(&[("name", "a"), ("name", "b")]);
        assert_eq!((e.field.as_deref(), e.code), (Some("name"), "duplicate"));
        assert_eq!(e.field_error().field, "name");
    }

    #[test]
    fn pairs_stay_pairs_in_order() {
        let p = pairs(&[("csrf_token", "x"), ("a", "1"), ("b", ""), ("a", "2")]);
        assert_eq!(bind::<Pairs>(&p).unwrap(), pairs(&[("a", "1"), ("b", ""), ("a", "2")]));
    }

    proptest::proptest! {
        /// Whatever a client posts (any keys, values and repeats, any bytes) binds or names
        /// what is wrong: never a panic (ADR 0010: hand-written readers of untrusted input).
        #[test]
        fn any_body_binds_or_is_refused_without_panicking(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
                                                          keys in proptest::collection::vec((0usize..9, ".{0,6}"), 0..12)) {
            let names = ["name", "note", "id", "count", "level", "tags", "ids", "flag", "other"];
            let mut pairs = decode(&body);
            pairs.extend(keys.into_iter().map(|(k, v)| (names[k].to_string(), v)));
            if let Err(e) = bind::<Input>(&pairs) {
                proptest::prop_assert!(!e.code.is_empty());
            }
            let _ = bind::<Pairs>(&pairs);
        }
    }

    #[test]
    fn decodes_plus_and_percent() {
        assert_eq!(decode(b"a=x+y&b=%E4%BA%8B&a="), pairs(&[("a", "x y"), ("b", "事"), ("a", "")]));
    }
}
