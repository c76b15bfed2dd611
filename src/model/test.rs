//! A policy's tests (`tests`, `sshTests`) read once: the source in the spelling Tailscale
//! reads (an ACL test's legacy `user`, an ACL test's legacy `allow`), every selector trimmed
//! and classified, every ACL test destination split into host and port, each with where it is
//! written. The check and the evaluator both read these, so they cannot read a test apart.

use std::borrow::Cow;

use super::rule::{Sel, field, sels, split_cow, strings};
use super::shape::{self, Shape};
use crate::model::selector::split_host_ports;
use crate::parse::Value;

/// A string a test writes that is no selector (a login, a protocol), as written.
#[derive(Debug, Clone)]
pub(crate) struct Written<'a> {
    pub(crate) text: Cow<'a, str>,
    pub(crate) at: &'a Value,
}

/// The source field of a test: where it is written, and the source when it is a string.
#[derive(Debug, Clone, Default)]
pub(crate) struct Source<'a> {
    /// The field's value, whatever its type; `None` when the test has no source field.
    pub(crate) at: Option<&'a Value>,
    /// The source when the field is a string, trimmed and classified.
    pub(crate) sel: Option<Sel<'a>>,
}

impl<'a> Source<'a> {
    fn of(at: Option<&'a Value>) -> Source<'a> {
        Source { at, sel: at.and_then(Sel::of) }
    }
}

/// An ACL test destination's host and port, split at the last colon (IPv6 in brackets).
#[derive(Debug, Clone)]
pub(crate) struct Target<'a> {
    /// The host as split off the trimmed destination, spaces before the colon kept: findings
    /// quote it so, and the evaluator compares it as written.
    pub(crate) host: Cow<'a, str>,
    /// The host, trimmed and classified.
    pub(crate) sel: Sel<'a>,
    /// The port, or the text after the colon when it is not one port in digits (0–65535).
    pub(crate) port: Result<u16, Cow<'a, str>>,
}

/// A destination of an ACL test, `host:port`.
#[derive(Debug, Clone)]
pub(crate) struct TestDst<'a> {
    pub(crate) at: &'a Value,
    /// `None` when the destination is no `host:port`.
    pub(crate) target: Option<Target<'a>>,
}

impl<'a> TestDst<'a> {
    fn of(text: Cow<'a, str>, at: &'a Value) -> TestDst<'a> {
        let target = split_cow(&text, |d| split_host_ports(d.trim()).ok()).map(|(host, port)| {
            // Port 0 is accepted: real policies use it in ICMP tests, where it means nothing.
            let one = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
            let port = port.parse::<u16>().ok().filter(|_| one).ok_or(port);
            Target { sel: Sel::new(host.clone(), at), host, port }
        });
        TestDst { at, target }
    }

    /// The destination as written, spaces and all.
    pub(crate) fn raw(&self) -> Cow<'a, str> {
        self.at.as_cow().unwrap_or_default()
    }
}

/// An entry of `tests`.
#[derive(Debug, Clone)]
pub(crate) struct AclTest<'a> {
    /// `src`, or without one the legacy `user`.
    pub(crate) src: Source<'a>,
    /// `proto`, when it is a string.
    pub(crate) proto: Option<Written<'a>>,
    /// The destinations of `accept`, then those of its legacy spelling `allow`.
    pub(crate) accept: Vec<TestDst<'a>>,
    pub(crate) deny: Vec<TestDst<'a>>,
    pub(crate) src_posture_attrs: Option<&'a Value>,
    /// Whether the entry is an object with only fields a test has.
    pub(crate) known_fields: bool,
}

impl<'a> AclTest<'a> {
    /// The one place that reads an ACL test from the tree.
    pub(crate) fn of(value: &'a Value) -> AclTest<'a> {
        let dsts = |keys: &[&str]| -> Vec<TestDst<'a>> {
            let lists = keys.iter().filter_map(|k| field(value, k));
            lists.flat_map(strings).map(|(d, at)| TestDst::of(d, at)).collect()
        };
        AclTest {
            src: Source::of(field(value, "src").or_else(|| field(value, "user"))),
            proto: field(value, "proto").and_then(|at| Some(Written { text: at.as_cow()?, at })),
            accept: dsts(&["accept", "allow"]),
            deny: dsts(&["deny"]),
            src_posture_attrs: field(value, "srcPostureAttrs"),
            known_fields: known_fields(value, &shape::TEST),
        }
    }

    /// Every destination with whether the test wants it accepted, in the order written.
    pub(crate) fn assertions(&self) -> impl Iterator<Item = (bool, &TestDst<'a>)> {
        self.accept.iter().map(|d| (true, d)).chain(self.deny.iter().map(|d| (false, d)))
    }
}

/// An entry of `sshTests`.
#[derive(Debug, Clone)]
pub(crate) struct SshTest<'a> {
    /// `src` (SSH tests have no legacy spelling).
    pub(crate) src: Source<'a>,
    /// The `dst` list as written, for findings about the list.
    pub(crate) dst_list: Option<&'a Value>,
    pub(crate) dst: Vec<Sel<'a>>,
    /// The logins of `accept`, `check` and `deny`.
    pub(crate) accept: Vec<Written<'a>>,
    pub(crate) check: Vec<Written<'a>>,
    pub(crate) deny: Vec<Written<'a>>,
    pub(crate) src_posture_attrs: Option<&'a Value>,
    /// Whether the entry is an object with only fields an SSH test has.
    pub(crate) known_fields: bool,
}

impl<'a> SshTest<'a> {
    /// The one place that reads an SSH test from the tree.
    pub(crate) fn of(value: &'a Value) -> SshTest<'a> {
        let logins = |key| -> Vec<Written<'a>> {
            field(value, key)
                .map(strings)
                .unwrap_or_default()
                .into_iter()
                .map(|(text, at)| Written { text, at })
                .collect()
        };
        let dst_list = field(value, "dst");
        SshTest {
            src: Source::of(field(value, "src")),
            dst_list,
            dst: dst_list.map(sels).unwrap_or_default(),
            accept: logins("accept"),
            check: logins("check"),
            deny: logins("deny"),
            src_posture_attrs: field(value, "srcPostureAttrs"),
            known_fields: known_fields(value, &shape::SSH_TEST),
        }
    }
}

/// Whether `v` is an object whose every field `shape` knows.
fn known_fields(v: &Value, shape: &Shape) -> bool {
    v.as_object().is_some_and(|o| o.members.iter().all(|m| m.name.as_cow().is_some_and(|k| shape.field(&k).is_some())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rule::Kind;

    fn parse(text: &str) -> Value {
        crate::parse::parse(text.as_bytes()).unwrap()
    }

    /// The value of the entry's `i`th member.
    fn member(v: &Value, i: usize) -> &Value {
        &v.as_object().unwrap().members[i].value
    }

    #[test]
    fn an_acl_test_reads_its_legacy_user_and_src_wins_over_it() {
        let legacy = parse(r#"{"accept": ["tag:db:5432"], "User": " alice@example.com "}"#);
        let t = AclTest::of(&legacy);
        let src = t.src.sel.as_ref().unwrap();
        assert_eq!((&*src.text, src.kind), ("alice@example.com", Kind::User));
        assert_eq!(src.at.span(), member(&legacy, 1).span());
        assert_eq!(t.src.at.unwrap().span(), member(&legacy, 1).span());
        let both = parse(r#"{"user": "bob@example.com", "src": "alice@example.com", "accept": ["tag:db:1"]}"#);
        let t = AclTest::of(&both);
        assert_eq!(&*t.src.sel.as_ref().unwrap().text, "alice@example.com");
        assert_eq!(t.src.at.unwrap().span(), member(&both, 1).span());
        // A source that is no string is written, and names nothing.
        let number = parse(r#"{"src": 5, "accept": ["tag:db:1"]}"#);
        let t = AclTest::of(&number);
        assert!(t.src.sel.is_none());
        assert_eq!(t.src.at.unwrap().span(), member(&number, 0).span());
        assert!(AclTest::of(&parse(r#"{"accept": ["tag:db:1"]}"#)).src.at.is_none());
    }

    #[test]
    fn acl_test_destinations_are_split_once_with_where_each_is_written() {
        let v = parse(
            r#"{"src": "a@example.com", "deny": ["10.0.0.0/8:22"], "allow": ["tag:web :443"],
                "accept": ["tag:d\u0062:5432", 7, "[fd7a::1]:22", "tag:db", "tag:db:1-2", "tag:db:+22"]}"#,
        );
        let t = AclTest::of(&v);
        let accept = member(&v, 3).as_array().unwrap();
        // `accept`, then its legacy spelling `allow`; elements that are no strings are skipped.
        let wants: Vec<_> = t.assertions().map(|(want, d)| (want, d.raw().into_owned())).collect();
        assert_eq!(
            wants,
            [
                (true, "tag:db:5432".to_owned()),
                (true, "[fd7a::1]:22".to_owned()),
                (true, "tag:db".to_owned()),
                (true, "tag:db:1-2".to_owned()),
                (true, "tag:db:+22".to_owned()),
                (true, "tag:web :443".to_owned()),
                (false, "10.0.0.0/8:22".to_owned()),
            ]
        );
        assert_eq!(t.accept[1].at.span(), accept.elements[2].span());
        let target = |i: usize| t.accept[i].target.as_ref();
        let escaped = target(0).unwrap();
        assert_eq!(
            (&*escaped.host, &*escaped.sel.text, escaped.sel.kind, escaped.port.clone()),
            ("tag:db", "tag:db", Kind::Tag, Ok(5432))
        );
        assert_eq!(escaped.sel.at.span(), accept.elements[0].span());
        let v6 = target(1).unwrap();
        assert_eq!((&*v6.sel.text, v6.port.clone()), ("fd7a::1", Ok(22)));
        // Split at the tag's colon: a host "tag" and the port "db", which is none.
        assert_eq!(target(2).unwrap().port, Err(Cow::Borrowed("db")));
        assert_eq!(target(3).unwrap().port, Err(Cow::Borrowed("1-2")));
        assert_eq!(target(4).unwrap().port, Err(Cow::Borrowed("+22")));
        // The host as written keeps its spaces; the selector is trimmed.
        let padded = target(5).unwrap();
        assert_eq!((&*padded.host, &*padded.sel.text, padded.port.clone()), ("tag:web ", "tag:web", Ok(443)));
        assert_eq!(t.deny[0].target.as_ref().unwrap().sel.kind, Kind::Cidr("10.0.0.0".parse().unwrap(), 8));
        let v = parse(r#"{"accept": ["web"], "proto": " tcp"}"#);
        let no_port = AclTest::of(&v);
        assert!(no_port.accept[0].target.is_none());
        assert_eq!(no_port.proto.unwrap().text, " tcp");
        assert!(no_port.known_fields);
        assert!(!AclTest::of(&parse(r#"{"src": "a@b.c", "dst": ["x"]}"#)).known_fields);
        assert!(!AclTest::of(&parse(r#""a test""#)).known_fields);
    }

    #[test]
    fn an_ssh_test_has_no_legacy_source_and_keeps_its_logins_as_written() {
        let v = parse(
            r#"{"user": "bob@example.com", "dst": [" tag:web", 3, "100.64.0.1"], "accept": [" root", ""],
                "check": ["admin"], "deny": [5], "srcPostureAttrs": {"custom:x": true}}"#,
        );
        let t = SshTest::of(&v);
        assert!(t.src.at.is_none() && t.src.sel.is_none());
        assert!(!t.known_fields);
        let dst: Vec<_> = t.dst.iter().map(|d| (&*d.text, d.kind, d.raw().into_owned())).collect();
        let ip = Kind::Ip("100.64.0.1".parse().unwrap());
        assert_eq!(dst, [("tag:web", Kind::Tag, " tag:web".to_owned()), ("100.64.0.1", ip, "100.64.0.1".to_owned())]);
        assert_eq!(t.dst[1].at.span(), member(&v, 1).as_array().unwrap().elements[2].span());
        assert_eq!(t.dst_list.unwrap().span(), member(&v, 1).span());
        let logins: Vec<_> = t.accept.iter().chain(&t.check).chain(&t.deny).map(|l| &*l.text).collect();
        assert_eq!(logins, [" root", "", "admin"]);
        assert_eq!(t.accept[1].at.span(), member(&v, 2).as_array().unwrap().elements[1].span());
        assert_eq!(t.src_posture_attrs.unwrap().span(), member(&v, 5).span());
        let v = parse(r#"{"Src": "group:eng", "dst": ["tag:web"], "accept": ["root"]}"#);
        let src = SshTest::of(&v);
        assert_eq!(src.src.sel.unwrap().kind, Kind::Group);
        assert!(src.known_fields);
    }
}
