//! Load: find the config, the base policy and the fragments in a policies directory, read
//! them, parse them and decode them. Problems become findings; loading goes on past a bad file
//! so one run reports everything.

mod discover;
pub mod git;
pub mod view;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::finding::{Code, Finding, Location};
use crate::model::{Config, Fragment, Policy, shape};
use crate::parse::{self, Document, Node, SourceFile, Value};

pub(crate) use discover::{FragmentPaths, Landing};
pub use discover::{discover, glob, outside, path_problem};

/// The name of the optional config file inside the policies directory.
pub const CONFIG_FILE: &str = "tailgrant.hujson";

/// A fragment file that parsed and decoded.
#[derive(Debug, Clone)]
pub struct FragmentFile {
    pub doc: Document,
    pub fragment: Fragment,
}

/// Everything in a policies directory, as far as it could be read.
#[derive(Debug)]
pub struct Repository {
    pub dir: PathBuf,
    pub config: Config,
    pub base: Option<Document>,
    /// In path order.
    pub fragments: Vec<FragmentFile>,
    /// Problems met while loading: unreadable files, syntax, unknown keys, wrong types.
    pub findings: Vec<Finding>,
    /// Files that were read but did not parse or decode, kept so findings can quote them.
    pub rejected: Vec<SourceFile>,
    /// The config file as written, when there is one and it parses.
    pub(crate) config_doc: Option<Document>,
    /// The devices file, when the config names one and it loads.
    pub(crate) inventory: Option<crate::model::devices::Inventory>,
    /// The users file, when the config names one and it loads.
    pub(crate) directory: Option<crate::model::users::Directory>,
    /// The one of the config's `tailnets` this was loaded for (its `base`, `fragments` and
    /// `tailnet` are in `config`); `None` without `tailnets`.
    pub tailnet: Option<String>,
    /// With `tailnets`: every fragment file of the repository and the tailnets it lands in
    /// (none: TG012), in path order, so that a file's reach is shown whichever tailnet runs.
    pub reach: Vec<(String, Vec<String>)>,
    /// With `tailnets`: where a path lands, by every tailnet's globs (empty without them).
    pub(crate) landing: Landing,
    /// Display path to file, for [`Repository::source`].
    sources: OnceLock<HashMap<String, Place>>,
}

/// Where in a [`Repository`] a file's text is kept.
#[derive(Debug, Clone, Copy)]
enum Place {
    Base,
    Fragment(usize),
    Rejected(usize),
    Config,
}

impl Drop for Repository {
    fn drop(&mut self) {
        crate::parallel::par_drop(std::mem::take(&mut self.fragments));
    }
}

impl Repository {
    /// The text of a file loaded from this repository, by its display path. The first call
    /// indexes every file, so quoting each of many findings stays linear.
    pub fn source(&self, path: &str) -> Option<&SourceFile> {
        let index = self.sources.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.fragments.len() + self.rejected.len() + 2);
            // First entry wins, as the scan this replaces found the first match.
            let mut add = |file: &SourceFile, place| {
                index.entry(file.path.clone()).or_insert(place);
            };
            if let Some(d) = &self.base {
                add(&d.file, Place::Base);
            }
            for (i, f) in self.fragments.iter().enumerate() {
                add(&f.doc.file, Place::Fragment(i));
            }
            for (i, f) in self.rejected.iter().enumerate() {
                add(f, Place::Rejected(i));
            }
            if let Some(d) = &self.config_doc {
                add(&d.file, Place::Config);
            }
            index
        });
        let found = match *index.get(path)? {
            Place::Base => self.base.as_ref().map(|d| &d.file),
            Place::Fragment(i) => self.fragments.get(i).map(|f| &f.doc.file),
            Place::Rejected(i) => self.rejected.get(i),
            Place::Config => self.config_doc.as_ref().map(|d| &d.file),
        };
        // The fields are public: a caller that changed them after indexing gets no stale text.
        found.filter(|f| f.path == path)
    }

    /// Loads the policies directory `dir`. Fails only when `dir` itself is unusable. With
    /// several `tailnets` this is the top-level config's view; name one with
    /// [`Repository::load_tailnet`].
    pub fn load(dir: &Path) -> Result<Repository, LoadError> {
        Self::load_tailnet(dir, None)
    }

    /// The config's `tailnets`, in the order written, each with its name for the API (empty
    /// without them, or when the config does not load).
    pub fn tailnets(dir: &Path) -> Vec<(String, String)> {
        let mut findings = Vec::new();
        let root = dir.canonicalize().ok();
        read_named(dir, root.as_deref(), CONFIG_FILE, Wanted::Config, &mut findings, &mut Vec::new())
            .and_then(|doc| crate::model::decode::decode::<Config>(&doc, shape::CONFIG, &mut findings))
            .map(|c| c.tailnets.iter().map(|(n, t)| (n.clone(), t.tailnet.clone())).collect())
            .unwrap_or_default()
    }

    /// Loads `dir` as one of its config's `tailnets` sees it: that tailnet's base, fragments
    /// and API name. `None` with exactly one tailnet configured picks it.
    pub fn load_tailnet(dir: &Path, tailnet: Option<&str>) -> Result<Repository, LoadError> {
        let meta = std::fs::metadata(dir).map_err(|source| LoadError::Dir { path: dir.to_path_buf(), source })?;
        if !meta.is_dir() {
            return Err(LoadError::NotADir(dir.to_path_buf()));
        }
        let mut findings = Vec::new();
        let mut rejected = Vec::new();
        let root = dir.canonicalize().ok();
        let root = root.as_deref();
        let mut config_doc = None;
        let config = match read_named(dir, root, CONFIG_FILE, Wanted::Config, &mut findings, &mut rejected) {
            Some(doc) => {
                let config = crate::model::decode::decode::<Config>(&doc, shape::CONFIG, &mut findings);
                config_doc = Some(doc);
                config.unwrap_or_default()
            }
            None => Config::default(),
        };
        let whole = config;
        let only = (whole.tailnets.len() == 1).then(|| whole.tailnets.keys().next().cloned()).flatten();
        let selected = tailnet.map(str::to_owned).or(only);
        let config = match &selected {
            None => whole.clone(),
            Some(name) => whole.for_tailnet(name).ok_or_else(|| LoadError::UnknownTailnet {
                name: crate::model::text::one_line(name).into_owned(),
                known: whole.tailnets.keys().cloned().collect::<Vec<_>>().join(", "),
            })?,
        };
        let base_rel = normalize_rel(&config.base);
        // No base is ever a fragment, whichever tailnet it is the base of.
        let bases: Vec<String> = std::iter::once(normalize_rel(&whole.base))
            .chain(whole.tailnets.values().map(|t| normalize_rel(&t.base)))
            .collect();
        let mut skip: Vec<&str> = vec![CONFIG_FILE];
        skip.extend(bases.iter().map(String::as_str));
        let landing = Landing::new(&whole);
        let reach =
            if whole.tailnets.is_empty() { Vec::new() } else { reach(dir, &whole, &landing, &skip, &mut findings) };
        // The base is one large file: it loads while the fragments do. Findings keep the order
        // of a sequential load: base, then discovery, then fragments.
        let (mut for_base, mut for_fragments) = (Loaded::default(), Loaded::default());
        let (base, runs) = rayon::join(
            || {
                let base = read_named(
                    dir,
                    root,
                    &base_rel,
                    Wanted::Setting("base"),
                    &mut for_base.findings,
                    &mut for_base.rejected,
                );
                // Decoded to check every field's type and name; what tailgrant reads of the
                // base it reads from the tree, where the spans are, so the decoded copy goes.
                if let Some(doc) = &base {
                    crate::model::decode::decode::<Policy>(doc, shape::POLICY, &mut for_base.findings);
                }
                base
            },
            || {
                let rels = discover(dir, &config, &skip, &mut for_fragments.findings);
                load_fragments(dir, &rels)
            },
        );
        // No base at all: most often tailgrant was pointed at the wrong directory.
        if base.is_none() && std::fs::symlink_metadata(dir.join(&base_rel)).is_err() {
            for f in for_base.findings.iter_mut().filter(|f| f.code == Code::Unreadable) {
                f.help = format!(
                    "is {} the policies directory? Name the one that holds {base_rel} with --dir DIR (or TAILGRANT_DIR); or write the base policy there (`tailgrant import` fetches the live one); or point `base` in tailgrant.hujson at it",
                    dir.display()
                );
            }
        }
        let mut fragments = Vec::with_capacity(runs.iter().map(|r| r.fragments.len()).sum());
        for loaded in [for_base, for_fragments].into_iter().chain(runs) {
            findings.extend(loaded.findings);
            rejected.extend(loaded.rejected);
            fragments.extend(loaded.fragments);
        }
        let inventory = config.devices.as_deref().and_then(|rel| {
            let doc =
                read_named(dir, root, &normalize_rel(rel), Wanted::Setting("devices"), &mut findings, &mut rejected)?;
            let list = crate::model::decode::decode::<crate::model::devices::DeviceList>(
                &doc,
                shape::Shape::Any,
                &mut findings,
            )?;
            Some(list.into())
        });
        let directory = config.users.as_deref().and_then(|rel| {
            let doc =
                read_named(dir, root, &normalize_rel(rel), Wanted::Setting("users"), &mut findings, &mut rejected)?;
            let list =
                crate::model::decode::decode::<crate::model::users::UserList>(&doc, shape::Shape::Any, &mut findings)?;
            Some(list.into())
        });
        Ok(Repository {
            dir: dir.to_path_buf(),
            config,
            base,
            fragments,
            findings,
            rejected,
            config_doc,
            inventory,
            directory,
            tailnet: selected,
            reach,
            landing,
            sources: OnceLock::new(),
        })
    }
}

/// Every fragment file that the top-level `fragments` or any tailnet's globs find, with the
/// tailnets it lands in. A file the top-level globs find that lands in none is a finding:
/// it would otherwise be left out of every tailnet without a word.
fn reach(
    dir: &Path,
    whole: &Config,
    landing: &Landing,
    skip: &[&str],
    findings: &mut Vec<Finding>,
) -> Vec<(String, Vec<String>)> {
    let mut any = whole.clone();
    any.fragments =
        whole.fragments.iter().chain(whole.tailnets.values().flat_map(|t| t.fragments.iter())).cloned().collect();
    // A file a tailnet's own globs find counts even when the top-level `exclude` would drop it.
    any.exclude = Vec::new();
    let top = FragmentPaths::new(whole);
    // Discovery's findings (unsafe names, symlinks) are reported by the tailnet's own load.
    let rels = discover(dir, &any, skip, &mut Vec::new());
    let mut out = Vec::with_capacity(rels.len());
    for rel in rels {
        let lands = landing.lands(&rel);
        if lands.is_empty() {
            if !top.matches(&rel) {
                continue;
            }
            let shown = display_path(dir, &rel);
            findings.push(Finding::new(
                Code::UnclaimedFragment,
                Location::file(&shown),
                format!(
                    "{shown} lands in none of the tailnets ({}): it is applied nowhere",
                    whole.tailnets.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                "add a glob that matches it to the `fragments` of the tailnets it is for, or move or remove the file",
            ));
        }
        out.push((rel, lands));
    }
    out
}

/// What loading a run of fragment files produced.
#[derive(Default)]
struct Loaded {
    fragments: Vec<FragmentFile>,
    findings: Vec<Finding>,
    rejected: Vec<SourceFile>,
}

/// Reads, parses and decodes fragment files. Files are independent, so they are split into
/// one contiguous run per core; concatenating the runs keeps path order.
fn load_fragments(dir: &Path, rels: &[String]) -> Vec<Loaded> {
    let load_run = |run: &[String]| {
        let mut out = Loaded::default();
        out.fragments.reserve(run.len());
        for rel in run {
            let Some(doc) = read_document(dir, rel, Wanted::Fragment, &mut out.findings, &mut out.rejected) else {
                continue;
            };
            match crate::model::decode::decode::<crate::model::FragmentSchema>(&doc, shape::FRAGMENT, &mut out.findings)
            {
                Some(fragment) => out.fragments.push(FragmentFile { doc, fragment: fragment.into() }),
                None => out.rejected.push(doc.file),
            }
        }
        out
    };
    // Threads only pay off for many files.
    if rels.len() < 256 {
        return vec![load_run(rels)];
    }
    crate::parallel::par_chunks_ref(rels, load_run)
}

/// Why a policies directory could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot open the policies directory {}: {source}", path.display())]
    Dir { path: PathBuf, source: std::io::Error },
    #[error("{} is not a directory; --dir takes the directory that holds policy.hujson", .0.display())]
    NotADir(PathBuf),
    #[error("there is no tailnet {name} in tailgrant.hujson's `tailnets`; name one of: {known}")]
    UnknownTailnet { name: String, known: String },
}

/// Joins the directory and a relative path into the path users see.
pub fn display_path(dir: &Path, rel: &str) -> String {
    let d = dir.to_string_lossy();
    if d.is_empty() || d == "." { rel.to_owned() } else { format!("{}/{rel}", d.trim_end_matches('/')) }
}

fn normalize_rel(p: &str) -> String {
    p.trim_start_matches("./").replace('\\', "/")
}

/// Which file a read is for, which decides what a missing file means and how to fix it.
#[derive(Clone, Copy)]
enum Wanted {
    /// `tailgrant.hujson`: optional, absent means the defaults.
    Config,
    /// The file a config setting names (`base`, `devices`, `users`).
    Setting(&'static str),
    /// A fragment found by discovery.
    Fragment,
}

/// Reads and parses a file the config names (or the config itself), which may lead anywhere:
/// one outside `dir` (by `..`, an absolute path or a symlink) is refused without being read.
fn read_named(
    dir: &Path,
    root: Option<&Path>,
    rel: &str,
    wanted: Wanted,
    findings: &mut Vec<Finding>,
    rejected: &mut Vec<SourceFile>,
) -> Option<Document> {
    if let Some(f) = discover::outside(dir, root, rel) {
        findings.push(*f);
        return None;
    }
    read_document(dir, rel, wanted, findings, rejected)
}

/// Reads and parses one file. A missing config file is silently absent.
fn read_document(
    dir: &Path,
    rel: &str,
    wanted: Wanted,
    findings: &mut Vec<Finding>,
    rejected: &mut Vec<SourceFile>,
) -> Option<Document> {
    let path = display_path(dir, rel);
    let bytes = match std::fs::read(dir.join(rel)) {
        Ok(b) => b,
        Err(e) if matches!(wanted, Wanted::Config) && e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            findings.push(unreadable(&path, &e, wanted));
            return None;
        }
    };
    let file = match read_source(path, rel.to_owned(), bytes) {
        Ok(f) => f,
        Err((f, lossy)) => {
            findings.push(*f);
            rejected.push(lossy);
            return None;
        }
    };
    match parse_document(file) {
        Ok(doc) => Some(doc),
        Err((f, file)) => {
            findings.push(*f);
            rejected.push(file);
            None
        }
    }
}

fn unreadable(path: &str, e: &std::io::Error, wanted: Wanted) -> Finding {
    let missing = match wanted {
        Wanted::Setting(key) => format!("create it, or point `{key}` in tailgrant.hujson at the right file"),
        Wanted::Config => "create it, or remove the broken link".to_owned(),
        Wanted::Fragment => "it went away while tailgrant read the directory: run again".to_owned(),
    };
    let (what, help) = match e.kind() {
        std::io::ErrorKind::NotFound => ("does not exist", missing),
        std::io::ErrorKind::IsADirectory => {
            ("is a directory, not a file", "rename the directory or fix the path".into())
        }
        std::io::ErrorKind::PermissionDenied => {
            ("cannot be read (permission denied)", "check the file's permissions".into())
        }
        _ if is_symlink_loop(e) => ("is a symlink loop", "point the symlink at a real file".into()),
        _ => ("cannot be read", "check that the path names a readable file".into()),
    };
    Finding::new(Code::Unreadable, Location::file(path), format!("{path} {what}: {e}"), help)
}

/// ELOOP, whose number differs between systems (40 on Linux, 62 on the BSDs and macOS) and
/// whose `ErrorKind` is not yet stable.
fn is_symlink_loop(e: &std::io::Error) -> bool {
    #[cfg(unix)]
    return e.raw_os_error() == Some(libc::ELOOP);
    #[cfg(not(unix))]
    return false;
}

/// Turns bytes into text, refusing invalid UTF-8 with a located finding (and the text with
/// the bad bytes replaced, for quoting).
pub fn read_source(path: String, rel: String, bytes: Vec<u8>) -> Result<SourceFile, (Box<Finding>, SourceFile)> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path, rel, text)),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let file = SourceFile::new(path, rel, text);
            let (line, column) = parse::line_column(bytes, at);
            let finding = Finding {
                // The quoted text has U+FFFD (3 bytes) where the bad byte was.
                location: Location {
                    file: file.path.clone(),
                    span: at..at + '\u{FFFD}'.len_utf8(),
                    line,
                    column,
                    char_column: column,
                },
                ..Finding::new(
                    Code::InvalidUtf8,
                    Location::file(&file.path),
                    format!("invalid UTF-8 (byte 0x{:02x})", bytes[at]),
                    "save the file as UTF-8 (it may be Latin-1 or UTF-16)",
                )
            };
            Err((Box::new(finding), file))
        }
    }
}

/// Parses a file's text as HuJSON whose top level is an object. A file that does not parse is
/// handed back with the finding, for quoting.
pub fn parse_document(file: SourceFile) -> Result<Document, (Box<Finding>, SourceFile)> {
    let tree = match parse_hujson(&file) {
        Ok(tree) => tree,
        Err(f) => return Err((f, file)),
    };
    if !matches!(tree.node, Node::Object(_)) {
        let finding = Finding::new(
            Code::NotAnObject,
            Location::new(&file, tree.span()),
            format!("the top level is {}, not an object", tree.kind_name()),
            "wrap the content in `{ ... }`; a fragment's rules go in sections such as `\"grants\": [...]`",
        );
        return Err((Box::new(finding), file));
    }
    Ok(Document { file, tree })
}

/// Parses a file's text as any HuJSON value, naming empty files and syntax errors precisely.
pub fn parse_hujson(file: &SourceFile) -> Result<Value, Box<Finding>> {
    let bytes = file.text.as_bytes();
    if parse::is_blank(bytes) {
        let what = if file.text.trim().is_empty() { "empty" } else { "only comments" };
        return Err(Box::new(Finding::new(
            Code::EmptyFile,
            Location::new(file, bytes.len()..bytes.len()),
            format!("the file is {what}"),
            "write at least `{}`, or delete the file",
        )));
    }
    parse::parse(bytes).map_err(|e| {
        let help = syntax_help(&e.reason);
        let end = (e.offset + 1).min(bytes.len()).max(e.offset);
        Box::new(Finding::new(Code::Syntax, Location::new(file, e.offset..end), e.reason, help))
    })
}

fn syntax_help(reason: &str) -> String {
    if reason.starts_with("parsing comment") {
        "close the comment: a `//` comment needs a newline after it (add one at the end of the file), a `/*` needs `*/`"
            .into()
    } else if reason.contains("after object value") || reason.contains("after array value") {
        "a comma is probably missing before this point".into()
    } else if reason.contains("at start of object name") {
        "object keys must be double-quoted strings".into()
    } else if reason.contains("','") && reason.contains("at start of value") {
        "remove the extra comma: HuJSON allows one trailing comma, not an empty entry".into()
    } else if reason.contains("unexpected EOF") {
        "the file ends too early: a bracket, brace or quote is not closed".into()
    } else if reason.contains("nested deeper") {
        "flatten the structure; policy files never need this depth".into()
    } else if reason.contains("\\ufeff") {
        "remove the byte-order mark at the start of the file".into()
    } else if reason.contains("'\\''") {
        "HuJSON strings use double quotes".into()
    } else {
        "HuJSON is JSON with comments and trailing commas; fix the syntax at this point".into()
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    /// Each way a file can fail to open gets its own message and fix. (The tests run as root,
    /// which can read any file, so a permission error is built here rather than provoked.)
    #[test]
    fn unreadable_files_say_why() {
        let cases = [
            (Error::from(ErrorKind::NotFound), "does not exist", "run again"),
            (Error::from(ErrorKind::IsADirectory), "is a directory", "rename the directory"),
            (Error::from(ErrorKind::PermissionDenied), "permission denied", "permissions"),
            (Error::from_raw_os_error(libc::ELOOP), "symlink loop", "real file"),
            (Error::other("disk on fire"), "cannot be read: disk on fire", "readable file"),
        ];
        for (error, what, help) in cases {
            let f = super::unreadable("policies/grants/a.hujson", &error, super::Wanted::Fragment);
            assert_eq!(f.code, super::Code::Unreadable);
            assert!(f.message.starts_with("policies/grants/a.hujson "), "{}", f.message);
            assert!(f.message.contains(what), "{} lacks {what:?}", f.message);
            assert!(f.help.contains(help), "{} lacks {help:?}", f.help);
        }
    }

    /// A missing file the config names is fixed at the setting that names it.
    #[test]
    fn a_missing_file_names_the_setting_that_points_at_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("policy.hujson"), "{}\n").unwrap();
        std::fs::write(dir.path().join("tailgrant.hujson"), r#"{"devices": "devices.json", "users": "users.json"}"#)
            .unwrap();
        let repo = super::Repository::load(dir.path()).unwrap();
        let helps: Vec<_> =
            repo.findings.iter().filter(|f| f.code == super::Code::Unreadable).map(|f| &f.help).collect();
        assert_eq!(helps.len(), 2, "{:#?}", repo.findings);
        assert!(helps[0].contains("point `devices` in tailgrant.hujson"), "{}", helps[0]);
        assert!(helps[1].contains("point `users` in tailgrant.hujson"), "{}", helps[1]);
        std::fs::remove_file(dir.path().join("policy.hujson")).unwrap();
        let repo = super::Repository::load(dir.path()).unwrap();
        assert!(repo.findings.iter().any(|f| f.help.contains("point `base` in tailgrant.hujson")));
    }
}
