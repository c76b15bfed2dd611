//! `tailgrant new`: write a grant file that passes check, or refuse before writing.

use tailgrant::load::{FragmentFile, read_source};
use tailgrant::model::draft::Draft;
use tailgrant::model::{Fragment, shape};

use super::ExitStatus;
use super::args::{Common, NewArgs};

pub fn run(common: &Common, args: &NewArgs) -> ExitStatus {
    let mut repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let now = common.at();
    let not_before = args.from.unwrap_or(now);
    let expires = match (&args.for_, args.until) {
        (Some(d), None) => match d.parse::<tailgrant::model::Duration>() {
            Ok(d) => not_before.checked_add(d.0).unwrap_or(not_before),
            Err(e) => return usage(&format!("--for {e}")),
        },
        (None, Some(t)) => t,
        _ => return usage("give exactly one of --for (e.g. 8h) or --until (an RFC 3339 instant)"),
    };
    let draft = Draft {
        requester: args.requester.clone(),
        src: args.src.clone(),
        approvers: args.approver.clone(),
        dst: args.dst.clone(),
        proto: args.proto.clone(),
        reason: args.reason.clone(),
        not_before,
        expires,
    };
    let text = match draft.render() {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    let mut rel = draft.rel_path();
    let mut n = 2;
    while repo.dir.join(&rel).exists() {
        rel = draft.rel_path().replace(".hujson", &format!("-{n}.hujson"));
        n += 1;
    }
    // Check the repository as it would be with the new file, before writing anything.
    let display = tailgrant::load::display_path(&repo.dir, &rel);
    let Ok(file) = read_source(display.clone(), rel.clone(), text.clone().into_bytes()) else {
        return usage("internal: not UTF-8");
    };
    let doc = match tailgrant::load::parse_document(file) {
        Ok(d) => d,
        Err((f, _)) => return usage(&f.message),
    };
    let mut findings = Vec::new();
    let Some(fragment) = tailgrant::model::decode::decode::<Fragment>(&doc, shape::FRAGMENT, &mut findings) else {
        return usage(&findings.first().map_or("invalid grant".to_owned(), |f| f.message.clone()));
    };
    repo.fragments.push(FragmentFile { doc, fragment });
    let report = tailgrant::pipeline::check(&repo, now);
    let mine: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.is_error() && (f.location.file == display || f.related.iter().any(|(l, _)| l.file == display)))
        .collect();
    if !mine.is_empty() {
        let color = super::stderr_color();
        for f in &mine {
            super::err(&tailgrant::report::human::finding(f, repo.source(&f.location.file), color));
        }
        super::err(&format!("error: not written: {display} would not pass check\n"));
        return ExitStatus::Findings;
    }
    let path = repo.dir.join(&rel);
    if let Some(parent) = path.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        super::err(&format!("error: cannot create {}: {e}\n", parent.display()));
        return ExitStatus::Usage;
    }
    if let Err(e) = tailgrant::write_atomically(&path, text.as_bytes()) {
        super::err(&format!("error: cannot write {display}: {e}\n"));
        return ExitStatus::Usage;
    }
    super::out(&format!("{display}\n"));
    ExitStatus::Clean
}

fn usage(msg: &str) -> ExitStatus {
    super::err(&format!("error: {msg}\n"));
    ExitStatus::Usage
}
