//! The policy as the rules see it: the base and every fragment that is active or still
//! pending, entry by entry, each entry with the file it came from. Pending fragments are
//! included so that a pull request adding next week's grant is checked today; expired ones
//! contribute nothing.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::finding::Location;
use crate::load::{FragmentFile, Repository};
use crate::model::posture::{Condition, conditions};
use crate::model::power::{Approvers, NodeAttr, auto_approvers};
use crate::model::rule::{Rule, Section, Sel, sels};
use crate::model::test::{AclTest, SshTest};
use crate::model::{Status, shape};
use crate::parse::SourceFile;
use crate::parse::Value;

/// Where an entry was written.
#[derive(Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub(crate) file: &'a SourceFile,
    pub(crate) fragment: Option<&'a FragmentFile>,
}

impl Origin<'_> {
    pub(crate) fn at(&self, v: &Value) -> Location {
        Location::new(self.file, v.span())
    }
}

/// An entry of a list section (an ACL, a grant, a test…).
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub(crate) origin: Origin<'a>,
    pub(crate) value: &'a Value,
}

/// A named definition of a map section (a group, a tag's owners, a host…).
#[derive(Clone)]
pub(crate) struct Named<'a> {
    pub(crate) origin: Origin<'a>,
    pub(crate) key: &'a Value,
    pub(crate) name: String,
    pub(crate) value: &'a Value,
    /// The selectors it holds, trimmed and classified, each with where it is written: a
    /// group's members, a tag's owners, a host's address (one). IP sets and postures hold none:
    /// their entries are no selectors.
    pub(crate) sels: Vec<Sel<'a>>,
    /// A posture's conditions, as written; every other definition holds none.
    pub(crate) conditions: Vec<Condition<'a>>,
}

/// A `defaultSrcPosture` list: the postures a rule without its own `srcPosture` requires.
pub(crate) struct DefaultPosture<'a> {
    pub(crate) origin: Origin<'a>,
    /// Its posture names, trimmed and classified, each with where it is written.
    pub(crate) postures: Vec<Sel<'a>>,
}

/// The typed readings of a view's entries, each list in the order of the entries it reads, so
/// that a spelling (a legacy key, a key in another case) is normalised in one place.
#[derive(Default)]
struct Readings<'a> {
    /// The ACLs, grants and SSH rules, in the order of `acls`, `grants` and `ssh`.
    rules: [Vec<Rule<'a>>; 3],
    tests: Vec<AclTest<'a>>,
    ssh_tests: Vec<SshTest<'a>>,
    node_attrs: Vec<NodeAttr<'a>>,
    /// Each `autoApprovers` object's lists of approvers.
    auto_approvers: Vec<Vec<Approvers<'a>>>,
}

#[derive(Default)]
pub struct View<'a> {
    pub(crate) acls: Vec<Entry<'a>>,
    pub(crate) grants: Vec<Entry<'a>>,
    pub(crate) ssh: Vec<Entry<'a>>,
    pub(crate) node_attrs: Vec<Entry<'a>>,
    pub(crate) tests: Vec<Entry<'a>>,
    pub(crate) ssh_tests: Vec<Entry<'a>>,
    pub(crate) groups: Vec<Named<'a>>,
    pub(crate) tag_owners: Vec<Named<'a>>,
    pub(crate) hosts: Vec<Named<'a>>,
    pub(crate) ipsets: Vec<Named<'a>>,
    pub(crate) postures: Vec<Named<'a>>,
    /// The `autoApprovers` objects.
    pub(crate) auto_approvers: Vec<Entry<'a>>,
    /// The `defaultSrcPosture` lists, read once.
    pub(crate) default_src_posture: Vec<DefaultPosture<'a>>,
    /// The entries above read once, for every reader of this view (`rules()`, `tests()`, …).
    read: Readings<'a>,
    tags: HashSet<String>,
    group_names: HashSet<String>,
    /// Members of each group, from the base and every fragment that adds to it, in order.
    group_index: HashMap<String, Vec<String>>,
    /// The same members, trimmed and lowercased, for membership questions.
    group_sets: HashMap<String, HashSet<String>>,
    host_values: HashMap<String, String>,
    /// Owners listed for each tag, from every file that defines it, in order.
    tag_owner_index: HashMap<String, Vec<String>>,
    ipset_names: HashSet<String>,
    posture_names: HashSet<String>,
    /// The tailnet's login domains, from the config (empty: unknown).
    pub(crate) domains: Vec<String>,
    /// Users shared in from outside the tailnet, from the config.
    pub(crate) external_users: Vec<String>,
    /// The tailnet's devices, when a devices file is configured.
    pub(crate) inventory: Option<&'a crate::model::devices::Inventory>,
    /// The tailnet's users, when a users file is configured.
    pub(crate) directory: Option<&'a crate::model::users::Directory>,
    /// How time-bounded fragments' access ends: in posture mode their rules are gated.
    pub(crate) enforce_expiry: crate::model::expiry::EnforceExpiry,
    /// Config `groupTestsPerMember`.
    pub(crate) group_tests_per_member: bool,
}

impl<'a> View<'a> {
    /// The base and every fragment active or pending at `at`: what the rules check.
    pub(crate) fn build(repo: &'a Repository, at: Timestamp) -> View<'a> {
        Self::with(repo, |f| f.fragment.status(at) != Status::Expired)
    }

    /// The base and the fragments active at `at`: the policy that is in force then.
    pub fn active(repo: &'a Repository, at: Timestamp) -> View<'a> {
        Self::with(repo, |f| f.fragment.status(at) == Status::Active)
    }

    /// The base and the fragments `keep` selects.
    pub fn with(repo: &'a Repository, keep: impl Fn(&FragmentFile) -> bool) -> View<'a> {
        let fragments = repo.fragments.iter().filter(|f| keep(f));
        let mut view = Self::of(&repo.config, repo.base.as_ref(), fragments, repo.inventory.as_ref());
        view.directory = repo.directory.as_ref();
        view.group_tests_per_member = repo.config.group_tests_per_member;
        view
    }

    /// The base and `fragments` under `config`: for a policy that is not a loaded work tree,
    /// such as a revision in git history.
    pub(crate) fn of(
        config: &crate::model::Config,
        base: Option<&'a crate::parse::Document>,
        fragments: impl IntoIterator<Item = &'a FragmentFile>,
        inventory: Option<&'a crate::model::devices::Inventory>,
    ) -> View<'a> {
        let mut view = View {
            domains: config.domains.clone(),
            external_users: config.external_users.iter().map(|u| u.to_ascii_lowercase()).collect(),
            inventory,
            enforce_expiry: config.enforce_expiry,
            ..View::default()
        };
        if let Some(base) = base {
            view.add(Origin { file: &base.file, fragment: None }, &base.tree);
        }
        for f in fragments {
            view.add(Origin { file: &f.doc.file, fragment: Some(f) }, &f.doc.tree);
        }
        let read = |section, entries: &[Entry<'a>]| entries.iter().map(|e| Rule::of(section, e.value)).collect();
        view.read = Readings {
            rules: [
                read(Section::Acls, &view.acls),
                read(Section::Grants, &view.grants),
                read(Section::Ssh, &view.ssh),
            ],
            tests: view.tests.iter().map(|e| AclTest::of(e.value)).collect(),
            ssh_tests: view.ssh_tests.iter().map(|e| SshTest::of(e.value)).collect(),
            node_attrs: view.node_attrs.iter().map(|e| NodeAttr::of(e.value)).collect(),
            auto_approvers: view.auto_approvers.iter().map(|e| auto_approvers(e.value)).collect(),
        };
        view.tags = view.tag_owners.iter().map(|n| n.name.clone()).collect();
        let mut owners: HashMap<String, Vec<String>> = HashMap::new();
        for t in &view.tag_owners {
            owners.entry(t.name.clone()).or_default().extend(t.sels.iter().map(|s| s.raw().into_owned()));
        }
        view.tag_owner_index = owners;
        view.group_names = view.groups.iter().map(|n| n.name.clone()).collect();
        let mut index: HashMap<String, Vec<String>> = HashMap::new();
        for g in &view.groups {
            let members = index.entry(g.name.clone()).or_default();
            for s in g.sels.iter().map(Sel::raw) {
                if !members.iter().any(|m| *m == s) {
                    members.push(s.into_owned());
                }
            }
        }
        view.group_sets = index
            .iter()
            .map(|(g, members)| (g.clone(), members.iter().map(|m| m.trim().to_ascii_lowercase()).collect()))
            .collect();
        view.group_index = index;
        view.host_values =
            view.hosts.iter().filter_map(|n| Some((n.name.clone(), n.sels.first()?.text.to_string()))).collect();
        view.ipset_names = view.ipsets.iter().map(|n| n.name.clone()).collect();
        view.posture_names = view.postures.iter().map(|n| n.name.clone()).collect();
        view
    }

    fn add(&mut self, origin: Origin<'a>, tree: &'a Value) {
        let Some(obj) = tree.as_object() else { return };
        for m in &obj.members {
            let Some(name) = m.name.as_str() else { continue };
            let Some((section, _)) = shape::POLICY.field(&name) else { continue };
            let list = |v: &'a Value| -> Vec<Entry<'a>> {
                v.as_array().map_or(Vec::new(), |a| a.elements.iter().map(|value| Entry { origin, value }).collect())
            };
            let named = |v: &'a Value, read: fn(&'a Value) -> Vec<Sel<'a>>| -> Vec<Named<'a>> {
                v.as_object().map_or(Vec::new(), |o| {
                    o.members
                        .iter()
                        .filter_map(|e| {
                            let name = e.name.as_str()?;
                            let sels = read(&e.value);
                            Some(Named { origin, key: &e.name, name, value: &e.value, sels, conditions: Vec::new() })
                        })
                        .collect()
                })
            };
            let address = |v: &'a Value| Sel::of(v).into_iter().collect();
            let postures = |v: &'a Value| -> Vec<Named<'a>> {
                let mut defs = named(v, |_| Vec::new());
                for d in &mut defs {
                    d.conditions = conditions(d.value);
                }
                defs
            };
            match section {
                "acls" => self.acls.extend(list(&m.value)),
                "grants" => self.grants.extend(list(&m.value)),
                "ssh" => self.ssh.extend(list(&m.value)),
                "nodeAttrs" => self.node_attrs.extend(list(&m.value)),
                "tests" => self.tests.extend(list(&m.value)),
                "sshTests" => self.ssh_tests.extend(list(&m.value)),
                "groups" => self.groups.extend(named(&m.value, sels)),
                "tagOwners" => self.tag_owners.extend(named(&m.value, sels)),
                "hosts" => self.hosts.extend(named(&m.value, address)),
                "ipsets" => self.ipsets.extend(named(&m.value, |_| Vec::new())),
                "postures" => self.postures.extend(postures(&m.value)),
                "autoApprovers" => self.auto_approvers.push(Entry { origin, value: &m.value }),
                "defaultSrcPosture" => {
                    self.default_src_posture.push(DefaultPosture { origin, postures: sels(&m.value) });
                }
                _ => {}
            }
        }
    }

    /// The rules of `section`, each with its entry.
    pub(crate) fn rules(&self, section: Section) -> impl Iterator<Item = (Entry<'a>, &Rule<'a>)> {
        let (entries, rules) = match section {
            Section::Acls => (&self.acls, &self.read.rules[0]),
            Section::Grants => (&self.grants, &self.read.rules[1]),
            Section::Ssh => (&self.ssh, &self.read.rules[2]),
        };
        // Read together in `of`: a pairing that stopped short would skip rules silently.
        debug_assert_eq!(entries.len(), rules.len());
        entries.iter().copied().zip(rules)
    }

    /// The `tests` entries, each read once.
    pub(crate) fn tests(&self) -> impl Iterator<Item = (Entry<'a>, &AclTest<'a>)> {
        debug_assert_eq!(self.tests.len(), self.read.tests.len());
        self.tests.iter().copied().zip(&self.read.tests)
    }

    /// The `sshTests` entries, each read once.
    pub(crate) fn ssh_tests(&self) -> impl Iterator<Item = (Entry<'a>, &SshTest<'a>)> {
        debug_assert_eq!(self.ssh_tests.len(), self.read.ssh_tests.len());
        self.ssh_tests.iter().copied().zip(&self.read.ssh_tests)
    }

    /// The postures `rule` requires, any one of them: its own `srcPosture`, or else those of
    /// every `defaultSrcPosture` list (a rule's own list replaces the default, device posture
    /// docs). The evaluator (posture mode's gates too) and the guardrails ask here, so that
    /// they cannot disagree on what gates a rule.
    pub(crate) fn required_postures<'s>(&'s self, rule: &'s Rule<'a>) -> Vec<&'s Sel<'a>> {
        match &rule.src_posture {
            Some(own) => own.iter().collect(),
            None => self.default_src_posture.iter().flat_map(|d| &d.postures).collect(),
        }
    }

    /// The `nodeAttrs` entries, each read once.
    pub(crate) fn node_attrs(&self) -> impl Iterator<Item = (Entry<'a>, &NodeAttr<'a>)> {
        debug_assert_eq!(self.node_attrs.len(), self.read.node_attrs.len());
        self.node_attrs.iter().copied().zip(&self.read.node_attrs)
    }

    /// The `autoApprovers` objects, each with its lists of approvers read once.
    pub(crate) fn auto_approvers(&self) -> impl Iterator<Item = (Entry<'a>, &[Approvers<'a>])> {
        debug_assert_eq!(self.auto_approvers.len(), self.read.auto_approvers.len());
        self.auto_approvers.iter().copied().zip(self.read.auto_approvers.iter().map(Vec::as_slice))
    }

    pub(crate) fn tag_defined(&self, tag: &str) -> bool {
        self.tags.contains(tag)
    }

    pub(crate) fn group_defined(&self, group: &str) -> bool {
        self.group_names.contains(group)
    }

    pub(crate) fn host(&self, name: &str) -> Option<&str> {
        self.host_values.get(name).map(String::as_str)
    }

    pub(crate) fn ipset_defined(&self, name: &str) -> bool {
        self.ipset_names.contains(name)
    }

    pub(crate) fn posture_defined(&self, name: &str) -> bool {
        self.posture_names.contains(name)
    }

    /// Whether `person` (a login) is a member of `group`, compared as logins are: trimmed and
    /// without regard to ASCII case.
    pub(crate) fn is_member(&self, group: &str, person: &str) -> bool {
        let Some(set) = self.group_sets.get(group) else { return false };
        let person = person.trim();
        if person.bytes().any(|b| b.is_ascii_uppercase()) {
            set.contains(&person.to_ascii_lowercase())
        } else {
            set.contains(person)
        }
    }

    /// Members of a group, from the base and every fragment that adds to it.
    pub(crate) fn group_members(&self, group: &str) -> &[String] {
        self.group_index.get(group).map_or(&[], Vec::as_slice)
    }

    /// The owners listed for a tag, from every file that defines it.
    pub(crate) fn tag_owner_slice(&self, tag: &str) -> &[String] {
        self.tag_owner_index.get(tag).map_or(&[], Vec::as_slice)
    }
}

// The tree readers every stage uses, defined once with the typed rule.
pub(crate) use crate::model::rule::{field, strings};

/// The key of a field, for findings about its presence or absence.
pub(crate) fn field_key<'v>(entry: &'v Value, key: &str) -> Option<&'v Value> {
    entry.as_object()?.get_ci(key).map(|m| &m.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Document;

    fn base(text: &str) -> Document {
        let file = SourceFile::new("policy.hujson".into(), "policy.hujson".into(), text.into());
        let tree = crate::parse::parse(text.as_bytes()).unwrap();
        Document { file, tree }
    }

    #[test]
    fn a_rule_requires_its_own_postures_or_else_every_default_list() {
        let doc = base(
            r#"{"defaultSrcPosture": [" posture:a"], "DefaultSrcPosture": ["posture:b"],
                "postures": {"posture:a": [" custom:x == 1", 2]},
                "grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"]}, {"src": ["*"], "dst": ["*"], "srcPosture": []}],
                "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"], "srcPosture": ["posture:c"]}]}"#,
        );
        let view = View::of(&crate::model::Config::default(), Some(&doc), [], None);
        let required = |section| -> Vec<Vec<String>> {
            view.rules(section)
                .map(|(_, r)| view.required_postures(r).iter().map(|p| p.text.to_string()).collect())
                .collect()
        };
        assert_eq!(required(Section::Grants), [vec!["posture:a".to_owned(), "posture:b".to_owned()], vec![]]);
        assert_eq!(required(Section::Acls), [vec!["posture:c".to_owned()]]);
        let conditions: Vec<_> = view.postures[0].conditions.iter().map(|c| c.text.to_string()).collect();
        assert_eq!(conditions, [" custom:x == 1"]);
    }

    #[test]
    fn node_attrs_and_auto_approvers_are_read_with_their_entries() {
        let doc = base(
            r#"{"nodeAttrs": [{"target": ["group:a"]}, "x"], "NodeAttrs": [{"target": [" tag:b"]}],
                "autoApprovers": {"exitNode": ["group:c"]}}"#,
        );
        let view = View::of(&crate::model::Config::default(), Some(&doc), [], None);
        let targets: Vec<Vec<String>> =
            view.node_attrs().map(|(_, na)| na.targets.iter().map(|t| t.text.to_string()).collect()).collect();
        assert_eq!(targets, [vec!["group:a".to_owned()], vec![], vec!["tag:b".to_owned()]]);
        let approvers: Vec<_> = view
            .auto_approvers()
            .flat_map(|(_, l)| l.iter().flat_map(|l| &l.approvers))
            .map(|a| a.text.to_string())
            .collect();
        assert_eq!(approvers, ["group:c"]);
    }
}
