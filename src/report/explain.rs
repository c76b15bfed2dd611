//! The `explain` answer for people.

use crate::evaluate::explain::Explanation;

pub fn human(e: &Explanation) -> String {
    use crate::model::text::one_line;
    let port = e.port.map_or(String::new(), |p| format!(" port {p}"));
    let mut out = format!("{} → {}{port} ({}): {}\n", one_line(&e.src), one_line(&e.dst), e.proto, e.verdict);
    if e.pairs.len() > 1 {
        for p in &e.pairs {
            out.push_str(&format!(
                "  {} → {}: {}\n",
                one_line(&p.src.to_string()),
                one_line(&p.dst.to_string()),
                p.verdict
            ));
        }
    }
    match e.verdict {
        "denied" if !e.posture_gated.is_empty() => {
            out.push_str("  no rule allows it from this device as described; these would, from a device meeting their posture (try --attr KEY=VALUE):\n");
            for r in &e.posture_gated {
                out.push_str(&format!("  {}:{}:{}\n", r.file, r.line, r.column));
            }
        }
        "denied" => out.push_str("  no rule in force allows it\n"),
        "unknown" => {
            out.push_str("  cannot be decided offline: the repository does not say what these rules need to know\n");
            for u in &e.undecided {
                out.push_str(&format!(
                    "  {}:{}:{}  {}\n",
                    one_line(&u.rule.file),
                    u.rule.line,
                    u.rule.column,
                    one_line(&u.because)
                ));
            }
            out.push_str(
                "  (a users file decides membership and roles, a devices file addresses: `tailgrant snapshot`)\n",
            );
        }
        _ => {}
    }
    if !e.out_of_force.is_empty() {
        out.push_str("not in force at this instant, these would allow it (--at asks about another):\n");
        for r in &e.out_of_force {
            out.push_str(&format!(
                "  {}:{}:{}  ({} {})\n",
                one_line(&r.rule.file),
                r.rule.line,
                r.rule.column,
                if r.status == "expired" { "expired at" } else { "begins at" },
                r.when
            ));
        }
    }
    if !e.rules.is_empty() {
        out.push_str("allowed by:\n");
        for r in &e.rules {
            let from = r.fragment.as_deref().map_or("base policy".to_owned(), String::from);
            out.push_str(&format!("  {}:{}:{}  ({})\n", one_line(&r.file), r.line, r.column, one_line(&from)));
        }
    }
    out
}
