//! `tailgrant man`: the manual pages, generated from the command definitions.

use std::path::Path;

use super::{ExitStatus, fail, out};

/// Every page, as `(file name, roff)`: `tailgrant.1`, then one per command.
fn pages() -> std::io::Result<Vec<(String, String)>> {
    let mut cmd = <super::args::Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = Vec::new();
    let mut render = |cmd: clap::Command| -> std::io::Result<()> {
        let man = clap_mangen::Man::new(cmd);
        let mut roff = Vec::new();
        man.render(&mut roff)?;
        pages.push((man.get_filename(), String::from_utf8_lossy(&roff).into_owned()));
        Ok(())
    };
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
        render(sub)?;
    }
    render(cmd)?;
    pages.rotate_right(1);
    Ok(pages)
}

pub fn run(dir: Option<&Path>) -> ExitStatus {
    let pages = match pages() {
        Ok(p) => p,
        Err(e) => return fail(ExitStatus::Usage, format!("cannot render the manual: {e}")),
    };
    let Some(dir) = dir else {
        if let Some((_, main)) = pages.first() {
            out(main);
        }
        return ExitStatus::Clean;
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fail(ExitStatus::Usage, format!("cannot create {}: {e}", dir.display()));
    }
    for (name, text) in &pages {
        let path = dir.join(name);
        if let Err(e) = tailgrant::write_atomically(&path, text.as_bytes()) {
            return fail(ExitStatus::Usage, format!("cannot write {}: {e}", path.display()));
        }
    }
    ExitStatus::Clean
}
