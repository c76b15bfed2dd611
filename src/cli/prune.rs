//! `tailgrant prune`

use tailgrant::model::Status;

use super::ExitStatus;
use super::args::Common;

pub fn run(common: &Common, delete: bool) -> ExitStatus {
    let repo = match super::load(common) {
        Ok(r) => r,
        Err(s) => return s,
    };
    let at = common.at();
    let expired: Vec<_> = repo.fragments.iter().filter(|f| f.fragment.status(at) == Status::Expired).collect();
    let mut status = ExitStatus::Clean;
    for f in &expired {
        let path = repo.dir.join(&f.doc.file.rel);
        if !delete {
            super::out(&format!("{}\n", f.doc.file.path));
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => super::out(&format!("deleted {}\n", f.doc.file.path)),
            Err(e) => {
                status = super::fail(ExitStatus::Usage, format_args!("cannot delete {}: {e}", f.doc.file.path));
            }
        }
    }
    if expired.is_empty() {
        super::note("no expired fragments\n");
    }
    if !repo.rejected.is_empty() {
        super::note(&format!(
            "note: {} file(s) did not load and were not considered; `tailgrant check` says why\n",
            repo.rejected.len()
        ));
    }
    status
}
