//! Device posture conditions, evaluated against a test's `srcPostureAttrs`.

use serde_json::{Map, Value};

/// Whether all of a posture's conditions hold for these attributes. An attribute that is not
/// set makes its condition false, whatever the operator (Tailscale's documented rule).
pub(super) fn satisfied(conditions: &[String], attrs: &Map<String, Value>) -> bool {
    conditions.iter().all(|c| condition(c, attrs))
}

fn condition(cond: &str, attrs: &Map<String, Value>) -> bool {
    let (attr, op) = crate::model::selector::split_condition(cond);
    let Some((op, value)) = op else {
        // A bare attribute means "is true".
        return attrs.get(attr).is_some_and(|v| v == &Value::Bool(true));
    };
    let Some(actual) = attrs.get(attr) else { return false };
    let expected = parse_value(value);
    match op {
        "==" => equal(actual, &expected),
        "!=" => !equal(actual, &expected),
        "IN" => expected.as_array().is_some_and(|l| l.iter().any(|e| equal(actual, e))),
        "NOT IN" => expected.as_array().is_some_and(|l| !l.iter().any(|e| equal(actual, e))),
        o => compare(actual, &expected).is_some_and(|ord| match o {
            "<" => ord.is_lt(),
            "<=" => ord.is_le(),
            ">" => ord.is_gt(),
            _ => ord.is_ge(),
        }),
    }
}

/// `'macos'`, `"macos"`, `1.2`, `true`, `['a', 'b']`.
fn parse_value(s: &str) -> Value {
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Value::Array(inner.split(',').map(|x| parse_value(x.trim())).filter(|v| v != &Value::Null).collect());
    }
    if let Some(q) = s
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|r| r.strip_suffix('"')))
    {
        return Value::String(q.to_owned());
    }
    match s {
        "" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(s.to_owned()), Value::Number),
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        _ => a == b,
    }
}

/// Numbers compare as numbers; strings as dotted versions (`1.60.2` < `1.62`).
fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        _ => {
            let (x, y) = (as_text(a)?, as_text(b)?);
            let parts = |s: &str| s.split(['.', '-']).map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
            Some(parts(&x).cmp(&parts(&y)))
        }
    }
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(v: serde_json::Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn conditions() {
        let a = attrs(serde_json::json!({"node:os": "macos", "node:tsVersion": "1.62.1", "custom:managed": true}));
        let s = |c: &[&str]| satisfied(&c.iter().map(|x| x.to_string()).collect::<Vec<_>>(), &a);
        assert!(s(&["node:os IN ['macos', 'linux']"]));
        assert!(!s(&["node:os NOT IN ['macos']"]));
        assert!(s(&["node:os == 'macos'", "custom:managed == true"]));
        assert!(s(&["node:tsVersion >= '1.60'"]));
        assert!(!s(&["node:tsVersion < '1.60'"]));
        assert!(s(&["custom:managed"]));
        // An unset attribute makes any condition false, even a negative one.
        assert!(!s(&["custom:tier != 'gold'"]));
        assert!(!s(&["node:osVersion NOT IN ['1']"]));
    }
}
