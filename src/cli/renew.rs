//! `tailgrant renew FILE (--for D | --until T)`: the follow-up grant file for an expiring one.
//! A new file, so that the renewal is reviewed and approved like the original; the original
//! is left to expire (and `prune`).

use jiff::Timestamp;

use super::ExitStatus;
use super::args::{Common, RenewArgs};

pub fn run(common: &Common, args: &RenewArgs) -> ExitStatus {
    let mut repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let now = common.at();
    let wanted = std::fs::canonicalize(&args.file).ok();
    let found = repo
        .fragments
        .iter()
        .find(|f| wanted.is_some() && std::fs::canonicalize(repo.dir.join(&f.doc.file.rel)).ok() == wanted);
    let Some(old) = found else {
        return usage(&format!(
            "{} is not a grant file of {} that loads (`tailgrant check` says why)",
            args.file.display(),
            common.dir.display()
        ));
    };
    let Some(old_expires) = old.fragment.expires else {
        return usage(&format!("{} is permanent: there is nothing to renew", old.doc.file.path));
    };
    // An active grant is continued from its expiry; an expired one starts again now.
    // Whole minutes, as `new` writes them, never the clock's nanoseconds.
    let start: Timestamp = old_expires.max(super::new::whole(now, 60));
    let expires = match (&args.for_, args.until) {
        (Some(d), None) => match d.parse::<tailgrant::model::Duration>() {
            Ok(d) => start.checked_add(d.0).unwrap_or(start),
            Err(e) => return usage(&format!("--for {e}")),
        },
        (None, Some(t)) => t,
        _ => return usage("give exactly one of --for (e.g. 8h) or --until (an RFC 3339 instant)"),
    };
    if expires <= start {
        return usage(&format!("the renewal would end at {expires}, before it starts at {start}"));
    }
    let (text, rel) = match tailgrant::model::draft::renewal(&old.doc, start, expires) {
        Ok(x) => x,
        Err(e) => return usage(&format!("{}: {e}", old.doc.file.path)),
    };
    super::new::save(&mut repo, &rel, &text, now, false)
}

fn usage(msg: &str) -> ExitStatus {
    super::fail(ExitStatus::Usage, format_args!("{msg}"))
}
