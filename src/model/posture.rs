//! A posture's conditions, read once from the tree. A condition is kept as written, spaces and
//! all: the evaluator splits it itself (`node:os IN [...]`), and posture mode copies it into
//! the rendered policy unchanged.

use std::borrow::Cow;

use crate::model::selector::split_condition;
use crate::parse::Value;

/// One condition of a posture, with where it is written.
#[derive(Debug, Clone)]
pub(crate) struct Condition<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) at: &'a Value,
}

impl Condition<'_> {
    /// The attribute the condition reads (`custom:managed`), trimmed, in its written case.
    pub(crate) fn attribute(&self) -> &str {
        split_condition(&self.text).0
    }
}

/// A posture's conditions: the string elements of its list; anything else holds none.
pub(crate) fn conditions(list: &Value) -> Vec<Condition<'_>> {
    super::rule::strings(list).into_iter().map(|(text, at)| Condition { text, at }).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn conditions_are_the_string_elements_as_written() {
        let v = crate::parse::parse(br#"[" custom:Managed == true", 5, "node:tsAutoUpdate"]"#).unwrap();
        let read: Vec<_> =
            super::conditions(&v).into_iter().map(|c| (c.text.to_string(), c.attribute().to_owned())).collect();
        assert_eq!(
            read,
            [
                (" custom:Managed == true".to_owned(), "custom:Managed".to_owned()),
                ("node:tsAutoUpdate".to_owned(), "node:tsAutoUpdate".to_owned())
            ]
        );
        assert!(super::conditions(&crate::parse::parse(br#""custom:x == 1""#).unwrap()).is_empty());
    }
}
