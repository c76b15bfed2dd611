//! Drafting a grant file from a few facts (what `tailgrant new` writes).

use jiff::Timestamp;
use serde_json::json;

use crate::model::selector::split_host_ports;
use crate::parse::Document;

/// What a new grant file says.
#[derive(Debug, Clone)]
pub struct Draft {
    pub requester: String,
    /// Sources; the requester when empty.
    pub src: Vec<String>,
    pub approvers: Vec<String>,
    /// `HOST:PORTS` destinations.
    pub dst: Vec<String>,
    pub proto: String,
    pub reason: String,
    pub not_before: Timestamp,
    pub expires: Timestamp,
    /// `(device, key)`: posture attributes set to `true` on the device while the grant lasts.
    pub posture: Vec<(String, String)>,
}

impl Draft {
    /// The file's path relative to the policies directory, before de-duplication:
    /// `grants/2026-11-22-alice-prod-db.hujson`.
    pub fn rel_path(&self) -> String {
        let day = self.not_before.strftime("%Y-%m-%d");
        let who = self.requester.split('@').next().unwrap_or("someone");
        let what = self.dst.first().and_then(|d| split_host_ports(d).ok()).map_or("access", |(h, _)| h);
        let what = what.rsplit(':').next().unwrap_or(what);
        format!("grants/{day}-{}-{}.hujson", slug(who), slug(what))
    }

    /// The file's text, formatted as Tailscale formats HuJSON.
    pub fn render(&self) -> Result<String, String> {
        let src = if self.src.is_empty() { vec![self.requester.clone()] } else { self.src.clone() };
        let mut grants = Vec::new();
        let mut accept = Vec::new();
        for d in &self.dst {
            let (host, ports) = split_host_ports(d)
                .map_err(|e| format!("--dst {d:?}: {e}; write it as HOST:PORT, e.g. tag:prod-db:5432"))?;
            let ranges = crate::model::selector::parse_ports(ports)
                .map_err(|e| format!("--dst {d:?}: {e}; write it as HOST:PORT, e.g. tag:prod-db:5432"))?;
            grants.push(json!({"src": src, "dst": [host], "ip": [format!("{}:{ports}", self.proto)]}));
            // One test per port range (its first port), so the grant proves itself while active.
            for (lo, _) in ranges {
                accept.push(format!("{host}:{lo}"));
            }
        }
        let tests: Vec<_> = src
            .iter()
            .filter(|s| s.contains('@') && !s.contains(':'))
            .map(|s| json!({"src": s, "accept": accept}))
            .collect();
        // One field per line, each rule on one line: short enough to review at a glance.
        let compact = |v: &serde_json::Value| serde_json::to_string(v).unwrap_or_default();
        let mut text = format!("// {}\n{{\n", self.reason.lines().next().unwrap_or_default());
        for (k, v) in [
            ("$schema", json!("../../schemas/fragment.schema.json")),
            ("description", json!(self.reason)),
            ("requester", json!(self.requester)),
            ("approvers", json!(self.approvers)),
            ("notBefore", json!(self.not_before.to_string())),
            ("expires", json!(self.expires.to_string())),
        ] {
            text.push_str(&format!("\t{}: {},\n", compact(&json!(k)), compact(&v)));
        }
        let posture: Vec<_> =
            self.posture.iter().map(|(device, key)| json!({"device": device, "key": key, "value": true})).collect();
        for (k, entries) in [("grants", &grants), ("tests", &tests), ("postureAttributes", &posture)] {
            if entries.is_empty() {
                continue;
            }
            text.push_str(&format!("\t\"{k}\": [\n"));
            for e in entries.iter() {
                text.push_str(&format!("\t\t{},\n", compact(e)));
            }
            text.push_str("\t],\n");
        }
        text.push_str("}\n");
        let formatted = crate::parse::format_bytes(text.as_bytes()).map_err(|e| e.to_string())?;
        String::from_utf8(formatted).map_err(|e| e.to_string())
    }
}

/// The follow-up of the grant file `doc`: the same file, comments and all, with the window
/// `not_before`..`expires` and a first line saying what it renews. Gives its text (formatted as
/// Tailscale formats HuJSON) and the path it goes to: the same directory and name, dated
/// `not_before` (`2026-11-22-alice-prod-db.hujson` → `2026-11-29-alice-prod-db.hujson`).
pub fn renewal(doc: &Document, not_before: Timestamp, expires: Timestamp) -> Result<(String, String), String> {
    let text = &doc.file.text;
    let top = doc.tree.as_object().ok_or("the file is not an object")?;
    let quoted = |t: Timestamp| format!("\"{t}\"");
    // Splices from the end, so that earlier spans stay valid.
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let expires_member = top.get_ci("expires").ok_or("the file has no `expires`: permanent access is not renewed")?;
    edits.push((expires_member.value.span(), quoted(expires)));
    match top.get_ci("notBefore") {
        Some(m) => edits.push((m.value.span(), quoted(not_before))),
        None => {
            let at = expires_member.name.span().start;
            edits.push((at..at, format!("\"notBefore\": {},\n", quoted(not_before))));
        }
    }
    edits.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = text.clone();
    for (range, with) in edits {
        out.replace_range(range, &with);
    }
    // The name is checked like any file name (TG010); escaped all the same, since a line break
    // here would end the comment.
    let out = format!("// Renews {}.\n{out}", crate::model::text::one_line(&doc.file.rel));
    let formatted = crate::parse::format_bytes(out.as_bytes()).map_err(|e| e.to_string())?;
    let formatted = String::from_utf8(formatted).map_err(|e| e.to_string())?;
    let (dir, name) = match doc.file.rel.rsplit_once('/') {
        Some((d, n)) => (format!("{d}/"), n),
        None => (String::new(), doc.file.rel.as_str()),
    };
    let dated = name.len() > 11 && name.as_bytes()[10] == b'-' && name[..10].parse::<jiff::civil::Date>().is_ok();
    let rest = if dated { &name[11..] } else { name };
    Ok((formatted, format!("{dir}{}-{rest}", not_before.strftime("%Y-%m-%d"))))
}

fn slug(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() { "x".to_owned() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(rel: &str, text: &str) -> Document {
        let file = crate::parse::SourceFile::new(format!("policies/{rel}"), rel.into(), text.into());
        let tree = crate::parse::parse(text.as_bytes()).unwrap();
        Document { file, tree }
    }

    #[test]
    fn a_renewal_keeps_the_file_and_changes_only_its_window() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let text = "// why\n{\n\t\"description\": \"x\", // note\n\t\"expires\": \"2026-11-23T17:00:00Z\",\n\t\"grants\": [],\n}\n";
        let (out, rel) =
            renewal(&doc("grants/x.hujson", text), t("2026-11-24T09:00:00Z"), t("2026-11-24T17:00:00Z")).unwrap();
        assert_eq!(rel, "grants/2026-11-24-x.hujson", "an undated name gets the date in front");
        assert!(out.starts_with("// Renews grants/x.hujson.\n// why\n"), "{out}");
        assert!(out.contains("\"notBefore\":   \"2026-11-24T09:00:00Z\",\n"), "inserted: {out}");
        assert!(out.contains("\"expires\":     \"2026-11-24T17:00:00Z\""), "{out}");
        assert!(out.contains("// note"), "{out}");
        let dated = "{\"notBefore\": \"2026-11-01T00:00:00Z\", \"expires\": \"2026-11-02T00:00:00Z\"}\n";
        let (out, rel) = renewal(
            &doc("grants/team/2026-11-01-bob-db.hujson", dated),
            t("2026-11-03T00:00:00Z"),
            t("2026-11-04T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(rel, "grants/team/2026-11-03-bob-db.hujson");
        assert!(out.contains("2026-11-03T00:00:00Z") && !out.contains("2026-11-01T00"), "{out}");
        let permanent = doc("teams/p.hujson", "{\"grants\": []}\n");
        assert!(
            renewal(&permanent, t("2026-11-03T00:00:00Z"), t("2026-11-04T00:00:00Z"))
                .unwrap_err()
                .contains("permanent")
        );
    }
}
