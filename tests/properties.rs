//! Property tests for parse, format, merge and render. `PROPTEST_CASES=100000 cargo test
//! --release --test properties` runs them longer (see the README).
use proptest::prelude::*;
use serde_json::Value as Json;

/// JSON values of the kinds policies hold.
fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i32>().prop_map(Json::from),
        "[a-z:@.*/\\\\\"\u{e9}\u{1f600}\n\t -]{0,12}".prop_map(Json::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec(("[a-zA-Z:$]{1,8}", inner), 0..6)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

fn extra(noise: &mut impl Iterator<Item = u8>, out: &mut String) {
    match noise.next().unwrap_or(0) % 8 {
        0 => out.push_str(" // note\n"),
        1 => out.push_str("/* c */"),
        2 => out.push_str("\n\t\t"),
        3 => out.push_str("\r\n"),
        4 => out.push_str("\n\n\n  /* multi\n     * line\n     */\n"),
        _ => out.push(' '),
    }
}

/// Writes `v` as HuJSON with whitespace, comments and trailing commas chosen by `noise`.
fn write_hujson(v: &Json, noise: &mut impl Iterator<Item = u8>, out: &mut String) {
    match v {
        Json::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                extra(noise, out);
                write_hujson(e, noise, out);
                if i + 1 < a.len() {
                    out.push(',');
                }
            }
            if !a.is_empty() && noise.next().unwrap_or(0).is_multiple_of(2) {
                out.push(',');
            }
            extra(noise, out);
            out.push(']');
        }
        Json::Object(o) => {
            out.push('{');
            for (i, (k, e)) in o.iter().enumerate() {
                extra(noise, out);
                out.push_str(&serde_json::to_string(k).unwrap());
                extra(noise, out);
                out.push(':');
                extra(noise, out);
                write_hujson(e, noise, out);
                if i + 1 < o.len() {
                    out.push(',');
                }
            }
            if !o.is_empty() && noise.next().unwrap_or(0).is_multiple_of(2) {
                out.push(',');
            }
            extra(noise, out);
            out.push('}');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

fn json_of(text: &[u8]) -> Json {
    serde_json::from_slice(&tailgrant::parse::parse(text).unwrap().to_json()).unwrap()
}

proptest! {
    #[test]
    fn parse_round_trips_and_format_keeps_meaning(v in json(), noise in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut text = String::new();
        let mut it = noise.into_iter().cycle();
        write_hujson(&v, &mut it, &mut text);
        text.push('\n');
        let tree = tailgrant::parse::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(tree.pack(), text.as_bytes());
        prop_assert_eq!(json_of(text.as_bytes()), v.clone());
        let formatted = tailgrant::parse::format_bytes(text.as_bytes()).unwrap();
        prop_assert_eq!(json_of(&formatted), v);
        prop_assert_eq!(tailgrant::parse::format_bytes(&formatted).unwrap(), formatted.clone(), "not idempotent");
        let comments = tree.comments().len();
        let kept = tailgrant::parse::parse(&formatted).unwrap().comments().len();
        prop_assert_eq!(kept, comments, "comments were lost or invented");
    }

    #[test]
    fn parser_never_panics_on_mutations(v in json(), cuts in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let mut bytes = serde_json::to_vec(&v).unwrap();
        for (at, b) in cuts {
            let i = at.index(bytes.len() + 1);
            match b % 3 {
                0 => bytes.truncate(i),
                1 => bytes.insert(i, b"{}[],:\"/*\n\\"[b as usize % 11]),
                _ => { if i < bytes.len() { bytes.remove(i); } }
            }
        }
        if let Ok(tree) = tailgrant::parse::parse(&bytes) {
            prop_assert_eq!(tree.pack(), bytes.clone());
            let formatted = tailgrant::parse::format_bytes(&bytes).unwrap();
            prop_assert!(tailgrant::parse::parse(&formatted).is_ok());
        }
    }

    #[test]
    fn render_merges_exactly_the_active_fragments(
        grants in prop::collection::vec(("[a-z]{1,6}", 0u16..2000, 0i64..6), 0..8),
        base_noise in prop::collection::vec(any::<u8>(), 0..50),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let base = serde_json::json!({
            "groups": {"group:eng": ["a@example.com"]},
            "grants": [{"src": ["group:eng"], "dst": ["tag:x"], "ip": ["tcp:1"]}],
        });
        let mut text = String::new();
        write_hujson(&base, &mut base_noise.into_iter().cycle(), &mut text);
        text.push('\n');
        std::fs::write(dir.path().join("policy.hujson"), &text).unwrap();
        std::fs::create_dir(dir.path().join("grants")).unwrap();
        let at: jiff::Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        let mut expected = base["grants"].as_array().unwrap().clone();
        for (i, (user, port, days)) in grants.iter().enumerate() {
            // Expiry `days` from a day before `at`: 0 means already expired.
            let expires = at.checked_add(jiff::SignedDuration::from_hours(24 * days - 24)).unwrap();
            let grant = serde_json::json!({"src": [format!("{user}@example.com")], "dst": ["tag:x"], "ip": [format!("tcp:{port}")]});
            let frag = serde_json::json!({"expires": expires.to_string(), "grants": [grant.clone()]});
            std::fs::write(dir.path().join(format!("grants/{i:02}.hujson")), serde_json::to_string_pretty(&frag).unwrap()).unwrap();
            if expires > at {
                expected.push(grant);
            }
        }
        let repo = tailgrant::load::Repository::load(dir.path()).unwrap();
        prop_assert!(repo.findings.is_empty(), "{:?}", repo.findings);
        let out = tailgrant::merge::render(&repo, at).unwrap();
        let rendered = json_of(out.text.as_bytes());
        prop_assert_eq!(&rendered["grants"], &Json::Array(expected));
        prop_assert_eq!(&rendered["groups"], &base["groups"]);
        prop_assert_eq!(tailgrant::parse::format_bytes(out.text.as_bytes()).unwrap(), out.text.as_bytes());
        prop_assert_eq!(tailgrant::merge::render(&repo, at).unwrap().text, out.text);
    }
}

/// Builds a policy with one rule (given as a JSON section) and compiles what is in force.
fn compile_with(section: &str, rule: Json) -> (tempfile::TempDir, tailgrant::load::Repository) {
    let dir = tempfile::tempdir().unwrap();
    let policy = serde_json::json!({
        "groups": {"group:eng": ["alice@example.com", "bob@example.com"]},
        "tagOwners": {"tag:web": [], "tag:db": [], "tag:ci": []},
        section: [rule],
    });
    std::fs::write(dir.path().join("policy.hujson"), policy.to_string()).unwrap();
    let repo = tailgrant::load::Repository::load(dir.path()).unwrap();
    (dir, repo)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// An ACL `{src, proto, dst: ["D:ports"]}` and the grant `{src, dst: ["D"], ip: ["proto:ports"]}`
    /// give the same verdict for every question (Tailscale's documented equivalence).
    #[test]
    fn acl_and_equivalent_grant_agree(
        src in prop::sample::select(vec!["alice@example.com", "group:eng", "tag:ci", "*", "autogroup:member"]),
        dst in prop::sample::select(vec!["tag:web", "tag:db", "autogroup:tagged"]),
        proto in prop::sample::select(vec![None, Some("tcp"), Some("udp"), Some("icmp")]),
        ports in prop::sample::select(vec!["22", "80,443", "1000-2000", "*"]),
    ) {
        let ports = if proto == Some("icmp") { "*" } else { ports };
        let mut acl = serde_json::json!({"action": "accept", "src": [src], "dst": [format!("{dst}:{ports}")]});
        if let Some(p) = proto {
            acl["proto"] = Json::from(p);
        }
        // A bare `*` in a grant means every protocol; the ACL's default set with all ports is
        // 1-65535 (port 0 is no port). A grant's `ip` entry holds one range: a list is several.
        let ip: Vec<String> = match (proto, ports) {
            (Some(p), ports) => ports.split(',').map(|r| format!("{p}:{r}")).collect(),
            (None, "*") => vec!["1-65535".to_owned()],
            (None, ports) => ports.split(',').map(str::to_owned).collect(),
        };
        let grant = serde_json::json!({"src": [src], "dst": [dst], "ip": ip});
        let (_a, repo_a) = compile_with("acls", acl);
        let (_b, repo_b) = compile_with("grants", grant);
        let at = "2026-11-22T12:00:00Z".parse().unwrap();
        let (va, vb) = (tailgrant::load::view::View::active(&repo_a, at), tailgrant::load::view::View::active(&repo_b, at));
        let (ca, cb) = (tailgrant::evaluate::Compiled::new(&va), tailgrant::evaluate::Compiled::new(&vb));
        use tailgrant::evaluate::{Device, Proto};
        let devices = [Device::User("alice@example.com".into()), Device::User("carol@example.com".into()), Device::Tag("tag:ci".into()), Device::Tag("tag:web".into()), Device::Tag("tag:db".into())];
        for s in &devices {
            for d in &devices {
                for port in [22u16, 80, 443, 1500, 3000] {
                    for q in [Proto::TcpOrUdp, Proto::Number(6), Proto::Number(17), Proto::Number(1), Proto::Number(47)] {
                        let (x, y) = (ca.allowed(s, d, q, port, None).allowed, cb.allowed(s, d, q, port, None).allowed);
                        prop_assert_eq!(x, y, "{} -> {} port {} {:?}", s, d, port, q);
                    }
                }
            }
        }
    }
}

/// Strings a hostile grant file could carry: anything, but leaning on what breaks comments,
/// labels and terminals (line breaks, separators, bidi controls, quotes, comment markers).
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z@.,:/ \\\\\"\\*\n\r\t\u{2028}\u{2029}\u{202e}\u{2066}\u{200b}\u{1b}\u{85}{}\\[\\]-]{0,24}",
        Just(
            "bob@example.com\n{\"action\": \"accept\", \"src\": [\"alice@example.com\"], \"dst\": [\"tag:x:*\"]},\n//"
                .to_owned()
        ),
        Just("x\n// tailgrant-posture: custom:victim other-device\n".to_owned()),
    ]
}

/// Cases for the hostile-strings property: `PROPTEST_CASES` when set, else a quick run.
fn hostile_cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(96)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(hostile_cases()))]

    /// Whatever a grant file puts in its fields, its comments and its name, the rendered policy
    /// parses and holds exactly the rules the fragments declare: a string can label an entry,
    /// never add one. (`check` refuses most of these strings; the renderer must not need it.)
    #[test]
    fn hostile_strings_cannot_change_the_rendered_policy(
        // Mostly names that load (a refused name is not merged at all), some that do not.
        name in prop_oneof![3 => "[a-z0-9._+@=~()-]{1,16}", 1 => hostile()],
        description in hostile(),
        requester in hostile(),
        approvers in prop::collection::vec(hostile(), 0..3),
        device in hostile(),
        comment in hostile(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let base = serde_json::json!({
            "groups": {"group:eng": ["a@example.com"]},
            "tagOwners": {"tag:x": ["group:eng"]},
            "grants": [{"src": ["group:eng"], "dst": ["tag:x"], "ip": ["tcp:1"]}],
        });
        std::fs::write(dir.path().join("policy.hujson"), format!("// base\n{}\n", serde_json::to_string_pretty(&base).unwrap())).unwrap();
        std::fs::create_dir(dir.path().join("grants")).unwrap();
        // A file system takes any name but `/` and NUL; keep it short enough for one.
        let file: String = name.replace(['/', '\0'], "_").chars().take(60).collect();
        let file = if file.is_empty() || file == "." || file == ".." { "g".to_owned() } else { file };
        let grant = serde_json::json!({"src": ["a@example.com"], "dst": ["tag:x"], "ip": ["tcp:2"]});
        let s = |v: &str| serde_json::to_string(v).unwrap();
        let approvers: Vec<String> = approvers.iter().map(|a| s(a)).collect();
        let text = format!(
            "// {}\n{{\n  \"description\": {},\n  \"requester\": {},\n  \"approvers\": [{}],\n  \"expires\": \"2026-12-01T00:00:00Z\",\n  \
             \"grants\": [\n    /* {} */\n    {}\n  ],\n  \"postureAttributes\": [{{\"device\": {}, \"key\": \"custom:a\", \"value\": true}}],\n}}\n",
            comment.replace(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}'], " "),
            s(&description), s(&requester), approvers.join(", "),
            comment.replace("*/", "* /"),
            grant, s(&device),
        );
        let Ok(()) = std::fs::write(dir.path().join("grants").join(format!("{file}.hujson")), &text) else {
            return Ok(()); // a name this file system refuses
        };
        let repo = tailgrant::load::Repository::load(dir.path()).unwrap();
        let at: jiff::Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        let out = tailgrant::merge::render(&repo, at).unwrap();
        // It parses, it is a fixed point of the formatter, and it holds exactly the base's
        // entries plus the fragment's one grant (when the fragment loaded at all).
        let rendered = json_of(out.text.as_bytes());
        let mut expected = base.clone();
        let loaded = repo.fragments.len() == 1;
        if loaded {
            expected["grants"].as_array_mut().unwrap().push(grant);
        }
        prop_assert_eq!(&rendered, &expected, "{}", out.text);
        prop_assert_eq!(tailgrant::parse::format_bytes(out.text.as_bytes()).unwrap(), out.text.as_bytes());
        // One label for the one merged entry, each on a line of its own; the header records
        // exactly the one attribute.
        let labels = out.text.lines().filter(|l| l.trim_start().starts_with("// tailgrant: ")).count();
        prop_assert_eq!(labels, usize::from(loaded), "{}", out.text);
        let recorded = tailgrant::merge::recorded_posture(&out.text);
        // (An attribute naming no device can never be set, so it is not recorded.)
        let want: Vec<(String, String)> =
            if loaded && !device.is_empty() { vec![("custom:a".into(), device.clone())] } else { vec![] };
        prop_assert_eq!(recorded, want);
        // And what import would keep is the base.
        prop_assert_eq!(json_of(tailgrant::merge::unmerge(&out.text).unwrap().as_bytes()), base);
    }
}
