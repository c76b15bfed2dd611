//! serde straight from the HuJSON syntax tree. Nothing is parsed twice, and every error knows
//! the span of the value it is about (serde_json can only say where its reader stopped).

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::parse::{Node, Span, Value};

/// A decode error and the span of the value it concerns.
#[derive(Debug)]
pub(crate) struct DeError {
    pub(crate) message: String,
    pub(crate) span: Option<Span>,
}

impl DeError {
    fn at(mut self, span: &Span) -> Self {
        if self.span.is_none() {
            self.span = Some(span.clone());
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError { message: msg.to_string(), span: None }
    }
}

/// Keys to read under another spelling, by the byte offset of the key: Tailscale matches keys
/// case-insensitively, serde exactly.
pub(crate) type Renames = HashMap<usize, &'static str>;

/// Deserializes `T` from a syntax tree.
pub(crate) fn from_tree<'de, T: de::Deserialize<'de>>(tree: &Value, renames: &Renames) -> Result<T, DeError> {
    T::deserialize(TreeDe { v: tree, renames }).map_err(|e| e.at(&tree.span()))
}

#[derive(Clone, Copy)]
struct TreeDe<'a> {
    v: &'a Value,
    renames: &'a Renames,
}

impl<'de> Deserializer<'de> for TreeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = &self.v.span();
        let r = match &self.v.node {
            Node::Literal(l) => match l.first() {
                Some(b'n') => visitor.visit_unit(),
                Some(b't') => visitor.visit_bool(true),
                Some(b'f') => visitor.visit_bool(false),
                Some(b'"') => match self.v.as_cow() {
                    Some(std::borrow::Cow::Borrowed(s)) => visitor.visit_str(s),
                    Some(std::borrow::Cow::Owned(s)) => visitor.visit_string(s),
                    None => Err(de::Error::custom("invalid string")),
                },
                _ => {
                    let text = std::str::from_utf8(l).unwrap_or("0");
                    if let Ok(i) = text.parse::<i64>() {
                        visitor.visit_i64(i)
                    } else if let Ok(u) = text.parse::<u64>() {
                        visitor.visit_u64(u)
                    } else {
                        visitor.visit_f64(text.parse::<f64>().unwrap_or(f64::NAN))
                    }
                }
            },
            Node::Object(o) => {
                visitor.visit_map(Members { iter: o.members.iter(), value: None, renames: self.renames })
            }
            Node::Array(a) => visitor.visit_seq(Elements { iter: a.elements.iter(), renames: self.renames }),
        };
        r.map_err(|e| e.at(span))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.v.node {
            Node::Literal(l) if l.as_slice() == b"null" => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    // Go's decoder, which Tailscale uses, reads `null` as the zero value: an empty list or
    // object, an empty string, false.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.v.node {
            Node::Literal(l) if l.as_slice() == b"null" => {
                visitor.visit_seq(Elements { iter: [].iter(), renames: self.renames })
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.v.node {
            Node::Literal(l) if l.as_slice() == b"null" => {
                visitor.visit_map(Members { iter: [].iter(), value: None, renames: self.renames })
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.v.node {
            Node::Literal(l) if l.as_slice() == b"null" => visitor.visit_str(""),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.v.node {
            Node::Literal(l) if l.as_slice() == b"null" => visitor.visit_bool(false),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct tuple tuple_struct struct enum identifier ignored_any
    }
}

struct Members<'a> {
    iter: std::slice::Iter<'a, crate::parse::Member>,
    value: Option<&'a Value>,
    renames: &'a Renames,
}

impl<'de> MapAccess<'de> for Members<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DeError> {
        let Some(m) = self.iter.next() else { return Ok(None) };
        self.value = Some(&m.value);
        let key = match self.renames.get(&m.name.span().start) {
            Some(canonical) => std::borrow::Cow::Borrowed(*canonical),
            None => m.name.as_cow().unwrap_or_default(),
        };
        seed.deserialize(key.as_ref().into_deserializer()).map(Some).map_err(|e: DeError| e.at(&m.name.span()))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let v = self.value.take().ok_or_else(|| de::Error::custom("value without a key"))?;
        seed.deserialize(TreeDe { v, renames: self.renames }).map_err(|e| e.at(&v.span()))
    }
}

struct Elements<'a> {
    iter: std::slice::Iter<'a, Value>,
    renames: &'a Renames,
}

impl<'de> SeqAccess<'de> for Elements<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DeError> {
        let Some(v) = self.iter.next() else { return Ok(None) };
        seed.deserialize(TreeDe { v, renames: self.renames }).map(Some).map_err(|e| e.at(&v.span()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_locates_errors() {
        let src = b"{\"a\": [1, \"x\"], \"b\": {\"c\": null, \"d\": -2.5e3}}";
        let tree = crate::parse::parse(src).unwrap();
        let v: serde_json::Value = from_tree(&tree, &Renames::new()).unwrap();
        assert_eq!(v, serde_json::json!({"a": [1, "x"], "b": {"c": null, "d": -2500.0}}));
        let err = from_tree::<HashMap<String, Vec<u32>>>(&tree, &Renames::new()).unwrap_err();
        assert_eq!(&src[err.span.unwrap()], b"\"x\"");
        assert!(err.message.contains("invalid type: string \"x\""), "{}", err.message);
        // null is the zero value, as in Go.
        let tree = crate::parse::parse(b"{\"a\": null, \"b\": null}").unwrap();
        let v: HashMap<String, Vec<u32>> = from_tree(&tree, &Renames::new()).unwrap();
        assert_eq!(v["a"], Vec::<u32>::new());
    }
}
