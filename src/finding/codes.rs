//! The registry of finding codes. A code is permanent once released: never renumber or reuse
//! one. Each code's documentation lives here, as its doc comment, and `docs/rules.md` is
//! generated from it (a test fails when the file is stale).

use super::Severity;

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $name:literal, $severity:ident; )*) => {
        /// A stable finding code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// `TG001`
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// A short kebab-case name, e.g. `syntax-error`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            pub(crate) fn default_severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)* }
            }

            /// The documentation: what it means, why, a bad and a good example.
            pub(crate) fn doc(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc, "\n",)*),)* }
            }

            /// The documentation as plain text, without the doc comments' indentation.
            pub(crate) fn doc_text(self) -> String {
                self.doc().lines().map(|l| l.strip_prefix(' ').unwrap_or(l)).collect::<Vec<_>>().join("\n").trim().to_owned()
            }

            /// The first sentence of the documentation.
            pub(crate) fn summary(self) -> String {
                let text = self.doc_text().replace('\n', " ");
                match text.find(". ") {
                    Some(i) => text[..=i].to_owned(),
                    None => text,
                }
            }
        }
    };
}

codes! {
    /// The file cannot be read: it is missing, a directory, unreadable, or a symlink loop.
    /// Nothing else about it can be checked, so `check` exits with 2.
    ///
    /// Fix the path in `tailgrant.hujson` (`base`, `fragments`) or the file's permissions.
    ///
    /// Evidence (tailgrant): the file cannot be read, so nothing about it can be known.
    Unreadable = "TG000", "unreadable-file", Error;
    /// The file is not valid HuJSON. The message is the one Tailscale's own parser gives, at
    /// the same place. HuJSON is JSON plus `//` and `/* */` comments and trailing commas; it
    /// has no single quotes, unquoted keys or `NaN`. A `//` comment on the last line needs a
    /// newline after it.
    ///
    /// Bad: `{ "acls": [ { "action": "accept", } ] // done` (no final newline)
    ///
    /// Good: the same with a newline at the end.
    ///
    /// Evidence (source): tailscale/hujson `parse.go`: same line, column and message, checked against
    /// its 73 test vectors and 33 broken files from real repositories.
    Syntax = "TG001", "syntax-error", Error;
    /// An object has the same key twice. Tailscale silently keeps the last one, so the first
    /// rule or group is lost without a word. Keys of policy sections and fields match without
    /// regard to case, so `"acls"` and `"ACLs"` are the same key.
    ///
    /// Bad: `{ "groups": {...}, "Groups": {...} }`
    ///
    /// Good: one `"groups"` holding every group.
    ///
    /// Evidence (tailgrant): Tailscale keeps the last of duplicate keys silently (#2807), losing a rule
    /// or group without a word; tailgrant refuses on purpose.
    DuplicateKey = "TG002", "duplicate-key", Error;
    /// A key that Tailscale (or, in a fragment or the config, tailgrant) does not know. The
    /// control plane rejects unknown fields, and a misspelt key would otherwise be ignored.
    ///
    /// Bad: `{ "tagOwner": { "tag:web": ["group:ops"] } }`
    ///
    /// Good: `{ "tagOwners": { "tag:web": ["group:ops"] } }`
    ///
    /// Evidence (issue): the API answers `json: unknown field "dst"` (terraform-provider-tailscale
    /// #89); the decoder disallows unknown fields.
    UnknownKey = "TG003", "unknown-key", Error;
    /// A value has the wrong type or form: a string where a list belongs, a timestamp that is
    /// not RFC 3339, a duration like `3 weeks`.
    ///
    /// Bad: `"src": "group:ops"`, `"expires": "Friday"`
    ///
    /// Good: `"src": ["group:ops"]`, `"expires": "2026-11-27T17:00:00Z"`
    ///
    /// Evidence (source): Tailscale decodes the policy into typed Go structs; a value of the wrong type
    /// does not decode.
    InvalidValue = "TG004", "invalid-value", Error;
    /// The file is empty or holds only comments. Tailscale's parser rejects it; a fragment
    /// with nothing in it is a mistake.
    ///
    /// Good: at least `{}`.
    ///
    /// Evidence (source): tailscale/hujson: `parsing value: unexpected EOF`.
    EmptyFile = "TG005", "empty-file", Error;
    /// The file is not valid UTF-8 (it may be UTF-16, or Latin-1 from an old editor).
    /// Save it as UTF-8 without a byte-order mark.
    ///
    /// Evidence (tailgrant): invalid UTF-8 in a comment: tailscale/hujson (`invalid UTF-8 in comment`);
    /// in a string Tailscale replaces the bytes, which tailgrant cannot render byte for byte, so it
    /// refuses.
    InvalidUtf8 = "TG006", "invalid-utf8", Error;
    /// The file's top level is not an object. A policy, a fragment and the config are each a
    /// single `{ ... }`.
    ///
    /// Bad: `[ { "src": ["alice@example.com"], ... } ]`
    ///
    /// Good: `{ "grants": [ { "src": ["alice@example.com"], ... } ] }`
    ///
    /// Evidence (source): the policy decodes into a Go struct: only an object does.
    NotAnObject = "TG007", "not-an-object", Error;
    /// A glob in `tailgrant.hujson` (`fragments`, `exclude`, a guardrail's `match`) is not a
    /// valid glob.
    ///
    /// Bad: `"fragments": ["grants/[*.hujson"]`
    ///
    /// Good: `"fragments": ["grants/**/*.hujson"]`
    ///
    /// Evidence (tailgrant): tailgrant's own config.
    InvalidGlob = "TG008", "invalid-glob", Error;
    /// A file is a symlink to something outside the policies directory (or a config path leads
    /// out of it). It is not read: a grant file pointing at `~/.ssh/id_ed25519` or a CI secret
    /// would otherwise be quoted, line by line, in findings and pull-request annotations.
    ///
    /// Bad: `grants/creds.hujson -> /home/runner/.config/secrets.json`
    ///
    /// Good: a regular file, or a symlink to another file inside the policies directory.
    ///
    /// Evidence (tailgrant): tailgrant's trust model (README, "Security model").
    SymlinkOutside = "TG009", "outside-repository", Error;
    /// A file's path has characters that cannot be shown safely: control characters, line
    /// breaks, bidi controls, bytes that are not UTF-8, or punctuation that separates fields in
    /// the labels tailgrant writes (`,`, quotes, backslashes). Such a path would reach the
    /// rendered policy's comments, annotations and pull-request comments. The file is not
    /// loaded.
    ///
    /// Bad: `grants/alice,prod.hujson`, a name holding a newline
    ///
    /// Good: letters, digits and `. _ - + @ = ~ ( )`, e.g. `grants/2026-11-22-alice-prod-db.hujson`
    ///
    /// Evidence (tailgrant): tailgrant's trust model: paths reach labels and comments.
    UnsafeFileName = "TG010", "unsafe-file-name", Error;
    /// A guardrail in `tailgrant.hujson` matches none of the fragment files, which usually
    /// means its `match` has a typo and the files it was meant for are unguarded.
    ///
    /// Bad: `{"match": "grant/**", ...}` when the files are under `grants/`
    UnusedGuardrail = "TG011", "unused-guardrail", Warning;
    /// With `tailnets` in `tailgrant.hujson`: a fragment file that the top-level `fragments`
    /// globs find lands in none of the tailnets, so it would be applied nowhere without a word.
    ///
    /// Bad: `grants/x.hujson` when the tailnets' globs are `prod/grants/**` and `staging/grants/**`
    ///
    /// Good: a glob in the `fragments` of each tailnet the file is meant for, e.g. `grants/**`
    ///
    /// Evidence (tailgrant): fail closed: a file in the repository is either applied or refused.
    UnclaimedFragment = "TG012", "unclaimed-fragment", Error;
    /// A fragment adds members to a group that the base policy does not define. Fragments may
    /// only add people to existing groups, so that a pull request cannot invent a group that
    /// reviewers have never seen (set `allowNewGroups` in the config to permit it).
    ///
    /// Bad: `"groups": { "group:new-team": ["alice@example.com"] }`
    ///
    /// Good: add `group:new-team` to the base policy in its own reviewed change first.
    ///
    /// Evidence (tailgrant): tailgrant's merge rules (README, "How fragments merge").
    UnknownGroup = "TG050", "unknown-group", Error;
    /// A fragment defines a host, tag owner, IP set, posture or auto-approver that the base
    /// (or an earlier fragment) already defines with another value. Which one should win is a
    /// decision for a person, so both places are named.
    ///
    /// Bad: base `"hosts": {"db": "100.64.0.1"}`, fragment `"hosts": {"db": "100.64.0.9"}`
    ///
    /// Good: a new name in the fragment, or change the base.
    ///
    /// Evidence (tailgrant): tailgrant's merge rules (README, "How fragments merge").
    ConflictingDefinition = "TG051", "conflicting-definition", Error;
    /// `notBefore` is not earlier than `expires`, so the fragment can never be active.
    ///
    /// Bad: `"notBefore": "2026-11-23T09:00:00Z", "expires": "2026-11-23T09:00:00Z"`
    ///
    /// Evidence (tailgrant): tailgrant's fragment windows (README, "A grant file (fragment)").
    InvalidWindow = "TG052", "invalid-window", Error;
    /// The fragment has expired and contributes nothing. `tailgrant prune --delete` removes
    /// expired fragments; a scheduled job can commit that.
    Expired = "TG053", "expired-fragment", Warning;
    /// The fragment is active and expires within the config's `warnBefore` window (72 hours by
    /// default), or within the last quarter of its own window if that is shorter (an 8-hour
    /// grant warns in its last 2 hours, not when it is written). Renew it with a new pull
    /// request if the access is still needed.
    ExpiresSoon = "TG054", "expires-soon", Warning;
    /// A device posture attribute that the API would refuse, found before `apply` has written
    /// anything. Keys are `custom:` then letters, digits, underscores or colons, at most 128
    /// characters; a value is a boolean, an integer below 2^53, or a string of at most 50
    /// letters, digits, underscores and periods; the device is named.
    ///
    /// Bad: `{"device": "alice-laptop", "key": "prodAccess", "value": "until friday"}`
    ///
    /// Good: `{"device": "alice-laptop", "key": "custom:prodAccess", "value": true}`
    ///
    /// Evidence (doc): Tailscale's API reference for device posture attributes (`POST /device/{id}/attributes/{key}`): key prefix and
    /// characters, value types, lengths.
    InvalidPostureAttribute = "TG055", "invalid-posture-attribute", Error;
    /// With `"enforceExpiry": "posture"`, a time-bounded fragment names a source that a
    /// posture condition cannot hold to its expiry. Posture mode gates the fragment's rules on
    /// a device attribute that the control plane removes at expiry, and that works only for
    /// devices of the tailnet that the attribute can be set on: users' own devices, tagged
    /// devices, members of groups the policy lists. Refused: `*` and `autogroup:danger-all`
    /// (they match every address, inside the tailnet or not), addresses, CIDRs, host aliases
    /// and IP sets (traffic that arrives from an address, through a subnet router, is not
    /// traffic from a tailnet device whose posture is checked), `autogroup:shared` and users
    /// shared in from another tailnet (config `externalUsers`, or `type: shared` in the users
    /// file), and sources whose devices tailgrant cannot list (role autogroups, groups synced
    /// from an identity provider).
    ///
    /// Bad: `"grants": [{"src": ["10.20.0.0/16"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}]`
    ///
    /// Good: `"grants": [{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}]`
    ///
    /// Evidence (doc): device posture management (tailscale.com/kb/1288): posture conditions
    /// "are only applied to src devices within your tailnet"; a user's device shared in "will be
    /// able to connect regardless of their posture".
    PostureBypassingSource = "TG056", "posture-bypassing-source", Error;
    /// With `"enforceExpiry": "posture"`, a time-bounded fragment grants something that no
    /// posture condition can end: it adds members to a group that a rule outside this
    /// fragment names (they keep that rule's access until the next apply, however late), it
    /// defines a host alias or IP set that a rule outside this fragment uses (that rule reaches
    /// its addresses, ungated), or it holds `nodeAttrs`, `tagOwners` or `autoApprovers`, which
    /// take no posture. Posture mode
    /// promises that access ends at expiry even when apply does not run; this would break the
    /// promise silently.
    ///
    /// Bad: `"groups": {"group:dba": ["alice@example.com"]}` when the base gives `group:dba`
    /// access to `tag:prod-db`
    ///
    /// Good: a rule in the fragment itself: `"grants": [{"src": ["alice@example.com"], "dst":
    /// ["tag:prod-db"], "ip": ["tcp:5432"]}]`
    ///
    /// Evidence (tailgrant): posture conditions gate rules only (device posture docs: `srcPosture`
    /// on `acls`, `grants` and `ssh`); group membership, definitions and node attributes have none.
    UngatedAccess = "TG057", "ungated-access", Error;
    /// A tag is used (in a rule, a test, an owner list, an auto-approver, a node attribute)
    /// but not defined in `tagOwners`. The control plane rejects the policy (`tag not found`).
    ///
    /// Bad: `"dst": ["tag:prod-dbb"]` with only `tag:prod-db` in `tagOwners`
    ///
    /// Good: define the tag in `tagOwners`, or fix the spelling.
    ///
    /// Evidence (capture): acl-err01, acl-err04, acl-err05, grant-h7, grant-k30, nodeattrs-error-e6
    /// (`tag not found`).
    UndefinedTag = "TG101", "undefined-tag", Error;
    /// A tag name is malformed. Tags are `tag:` then a letter, then letters, digits and dashes.
    ///
    /// Bad: `"tag:1-web"`, `"tag:web_01"`, `"tag:сервер"`
    ///
    /// Good: `"tag:web-01"`
    ///
    /// Evidence (capture): ssh-unicode-cyrillic-tag; tailscale `tailcfg.CheckTag`.
    InvalidTagName = "TG102", "invalid-tag-name", Error;
    /// A `tagOwners` entry lists something that cannot own a tag: an IP address, a host, `*`.
    /// Owners are users, groups, tags and the autogroups for roles, members and tagged devices.
    ///
    /// Bad: `"tag:web": ["100.64.0.1"]`
    ///
    /// Good: `"tag:web": ["group:sre", "tag:ci"]`
    InvalidTagOwner = "TG103", "invalid-tag-owner", Warning;
    /// A group is used but not defined in `groups`. The control plane rejects the policy.
    ///
    /// Bad: `"src": ["group:opps"]`
    ///
    /// Good: `"src": ["group:ops"]`, with `group:ops` defined.
    ///
    /// Evidence (capture): policytest-src-unknown-group, policytest-dst-unknown-group;
    /// terraform-provider-tailscale #546 (`group not found`).
    UndefinedGroup = "TG104", "undefined-group", Error;
    /// A `groups` key does not start with `group:`.
    ///
    /// Bad: `"groups": {"admins": [...]}`
    ///
    /// Good: `"groups": {"group:admins": [...]}`
    ///
    /// Evidence (source): Tailscale's policy code: group names must start with `group:`.
    InvalidGroupName = "TG105", "invalid-group-name", Error;
    /// A group lists another group. Tailscale groups cannot be nested (`group members cannot be
    /// recursive`).
    ///
    /// Bad: `"group:all": ["group:eng", "group:ops"]`
    ///
    /// Good: list the people, or use both groups where the rule needs them.
    ///
    /// Evidence (capture): ssh-group-nested-two-deep, -three-deep, -cycle (`group members cannot be
    /// recursive`).
    NestedGroup = "TG106", "nested-group", Error;
    /// A group member is not a user (it has no `@`): tags, autogroups and addresses cannot be
    /// group members.
    ///
    /// Bad: `"group:eng": ["tag:ci", "alice"]`
    ///
    /// Good: `"group:eng": ["alice@example.com"]`
    InvalidGroupMember = "TG107", "invalid-group-member", Warning;
    /// A name that is read as a host alias is not defined in `hosts`. Anything without a known
    /// prefix and without `@` is a host alias, so this is often a misspelt tag or user.
    ///
    /// Bad: `"dst": ["databse:5432"]`
    ///
    /// Good: `"dst": ["database:5432"]` with `"hosts": {"database": "100.64.0.5"}`
    ///
    /// Evidence (capture): ssh-hosts-as-dst-* (`invalid dst`), nodeattrs-error-e2-bad-target (`invalid
    /// address`), policytest-src/dst-unknown-host. In rules' src and dst it is `TG131`, a warning.
    UndefinedHost = "TG108", "undefined-host", Error;
    /// A `hosts` entry is malformed: its name contains `@`, or its value is not an IP address or
    /// CIDR.
    ///
    /// Bad: `"hosts": {"db": "10.0"}`
    ///
    /// Good: `"hosts": {"db": "10.0.0.5"}`
    ///
    /// Evidence (issue): #7886 (`host names cannot include an @`); a value that is not an address does
    /// not parse.
    InvalidHost = "TG109", "invalid-host", Error;
    /// An IP set is malformed or undefined: its key lacks `ipset:`, an operation is not `add` or
    /// `remove`, or an `ipset:` reference names no defined set.
    ///
    /// Bad: `"dst": ["ipset:office"]` with no `ipset:office`
    ///
    /// Evidence (doc): the IP sets documentation.
    InvalidIpset = "TG110", "invalid-ipset", Error;
    /// A selector is used where Tailscale does not allow it: `autogroup:self` as a source,
    /// `autogroup:internet` outside destinations, an IP address as an SSH destination, a CIDR
    /// in a test, a non-tag in `via`, and so on (Tailscale's "targets and selectors" matrix).
    ///
    /// Bad: `"ssh": [{"src": ["group:sre"], "dst": ["100.64.0.5"], ...}]`
    ///
    /// Good: `"dst": ["tag:prod"]`
    ///
    /// Evidence (capture): acl-err02, grant-h10 (autogroup:self as a source), nodeattrs-error-e3,
    /// grant-k7/k8 (danger-all as a destination), grant-i4 (via),
    /// policytest-dst-unknown-autogroup-internet-non-exit, ssh-hosts-as-dst-*, ssh-b4/ssh-d1 (domains);
    /// #12370 (autogroup:member as a test source); SSH `*` destination: the SSH documentation's
    /// allow-list.
    SelectorNotAllowed = "TG111", "selector-not-allowed", Error;
    /// An `autogroup:` that Tailscale does not know.
    ///
    /// Bad: `"autogroup:members-all"`
    ///
    /// Good: `"autogroup:member"`
    ///
    /// Evidence (doc): the documented autogroups; capture policytest-src-unknown-autogroup.
    UnknownAutogroup = "TG112", "unknown-autogroup", Error;
    /// A port specification is malformed: not `*`, `N`, `N-M` or a comma list of those, out of
    /// range, a single `0`, a range whose first port is above its last, or a destination with no
    /// port at all (ACL destinations are `host:ports`; test destinations one `host:port`).
    ///
    /// Bad: `"dst": ["tag:web:https"]`, `"dst": ["tag:web"]` (in an ACL)
    ///
    /// Good: `"dst": ["tag:web:443"]`
    ///
    /// Evidence (capture): acl-err03, acl-err07, grant-j7, grant-k23; tailscale
    /// `tailcfg/proto_port_range.go`, whose messages these are.
    InvalidPort = "TG113", "invalid-port", Error;
    /// A protocol is not known, is 99 (reserved by Tailscale for its own messages), has a leading
    /// zero, or carries specific ports although only TCP, UDP and SCTP have ports. Names match
    /// without regard to case, as Tailscale's `ipproto.ResolveProtoName` matches them.
    ///
    /// Bad: `"proto": "fc"`, `"ip": ["99:*"]`, `"ip": ["icmp:22"]`
    ///
    /// Good: `"proto": "icmp"` with `:*` ports, `"ip": ["icmp:*"]`
    ///
    /// Evidence (source): tailscale `types/ipproto.ResolveProtoName` and `tailcfg/proto_port_range.go`,
    /// whose messages these are; ports on ICMP: the grants documentation.
    InvalidProtocol = "TG114", "invalid-protocol", Error;
    /// A rule's `action` is not one Tailscale accepts: ACLs take only `accept` (there is no
    /// deny: access is denied unless a rule allows it); SSH rules take `accept` or `check`.
    /// Values are case-sensitive.
    ///
    /// Bad: `"action": "deny"`, `"action": "Accept"`
    ///
    /// Good: `"action": "accept"`
    ///
    /// Evidence (capture): acl-err06, ssh-malformed-action-*.
    InvalidAction = "TG115", "invalid-action", Error;
    /// A grant has neither `ip` nor `app`, or both are empty, so it grants nothing.
    ///
    /// Bad: `{"src": ["group:eng"], "dst": ["tag:web"]}`
    ///
    /// Good: `{"src": ["group:eng"], "dst": ["tag:web"], "ip": ["tcp:443"]}`
    ///
    /// Evidence (capture): grant-h1, grant-h3, grant-h8 (`ip and app can not both be empty`).
    GrantWithoutAccess = "TG116", "grant-without-access", Error;
    /// `autogroup:self` as a destination needs sources that are people: users, groups or
    /// `autogroup:member`. Tags, addresses and, in grants, `*` are rejected.
    ///
    /// Bad: `{"src": ["tag:ci"], "dst": ["autogroup:self"], ...}`
    ///
    /// Good: `{"src": ["autogroup:member"], "dst": ["autogroup:self"], ...}`
    ///
    /// Evidence (capture): acl-err08/09, acl-s04/05/06, acl-sf03/04/05/08, grant-e3, grant-h9,
    /// grant-p04-3; for SSH, the SSH documentation (autogroup:self "if the source contains only users
    /// or groups").
    InvalidSelfDestination = "TG117", "invalid-self-destination", Error;
    /// An application capability is malformed or not grantable: it must be `domain/path` with
    /// no scheme, Tailscale's own `tailscale.com/cap/...` capabilities other than the few meant
    /// for grants are reserved, and app grants cannot target `autogroup:internet`.
    ///
    /// Bad: `"app": {"https://example.com/cap/x": [{}]}`
    ///
    /// Good: `"app": {"example.com/cap/x": [{}]}`
    ///
    /// Evidence (capture): grant-a2, grant-a5, grant-k9, grant-k10, grant-v01, grant-v22.
    InvalidAppCapability = "TG118", "invalid-app-capability", Error;
    /// All addresses written as a CIDR: Tailscale rejects `0.0.0.0/0` and `::/0` as grant
    /// destinations, asking for `*` or `autogroup:internet` so the intent is explicit.
    ///
    /// Bad: `"dst": ["0.0.0.0/0"]`
    ///
    /// Good: `"dst": ["autogroup:internet"]`
    ///
    /// Evidence (capture): grant-v04, v05, v08, v14, v15, v16, v18; other spellings of a /0 are the
    /// same prefix.
    AllAddressesCidr = "TG119", "all-addresses-cidr", Error;
    /// An SSH rule's `users` is missing, empty, or holds `""` or `*`; `acceptEnv` holds `""`.
    ///
    /// Bad: `"users": ["*"]`
    ///
    /// Good: `"users": ["autogroup:nonroot", "root"]`
    ///
    /// Evidence (capture): ssh-malformed-user*, ssh-malformed-users*, ssh-users-null,
    /// ssh-malformed-acceptenv-empty.
    InvalidSshUsers = "TG120", "invalid-ssh-users", Error;
    /// An SSH `checkPeriod` is not a duration, negative, or above the maximum of 168h.
    ///
    /// Bad: `"checkPeriod": "2w"`
    ///
    /// Good: `"checkPeriod": "12h"`, or `"always"`
    ///
    /// Evidence (capture): ssh-malformed-checkperiod-malformed, -negative, -over-max-by-1s, -too-long
    /// (`0s` is accepted: -zero).
    InvalidCheckPeriod = "TG121", "invalid-check-period", Error;
    /// An SSH rule pairs sources and destinations Tailscale forbids: tags reaching
    /// user-owned devices, or a user destination whose source is not that same user alone.
    ///
    /// Bad: `{"src": ["tag:ci"], "dst": ["autogroup:self"], ...}`
    ///
    /// Good: `{"src": ["autogroup:member"], "dst": ["autogroup:self"], ...}`
    ///
    /// Evidence (doc): the SSH documentation, quoted with Tailscale's message in headscale #3010
    /// (`users in dst are only allowed from the same user`).
    InvalidSshRule = "TG122", "invalid-ssh-rule", Error;
    /// A test or SSH test is malformed: no `src`, nothing to assert, a destination that is not
    /// one address and one port (lists, ranges, `*` and CIDRs are rejected even when a rule
    /// matches them), or a source that is `*` or an autogroup.
    ///
    /// Bad: `{"src": "alice@example.com", "accept": ["tag:web:80,443"]}`
    ///
    /// Good: `{"src": "alice@example.com", "accept": ["tag:web:80", "tag:web:443"]}`
    ///
    /// Evidence (capture): policytest-port-shape-*, policytest-malformed-*, -cidr, -prefix32,
    /// -host-alias-cidr-dst, sshtest-malformed-* (24 tests-failed and 3 rejected).
    InvalidTest = "TG123", "invalid-test", Error;
    /// A posture is undefined or malformed: `srcPosture` names no defined posture, a `postures`
    /// key lacks `posture:`, or a condition is not `attribute OPERATOR value`.
    ///
    /// Bad: `"srcPosture": ["posture:latest"]` with no `posture:latest`
    ///
    /// Evidence (doc): the device posture documentation.
    InvalidPosture = "TG124", "invalid-posture", Error;
    /// A legacy spelling that Tailscale still accepts: `autogroup:members`, an ACL's
    /// `users`/`ports`, a test's `user`/`allow`. Prefer the current names.
    ///
    /// Bad: `{"action": "accept", "users": ["group:eng"], "ports": ["tag:web:443"]}`
    ///
    /// Good: `{"action": "accept", "src": ["group:eng"], "dst": ["tag:web:443"]}`
    LegacySpelling = "TG125", "legacy-spelling", Warning;
    /// A rule has an empty `src` or `dst`; Tailscale accepts it, but it allows nothing.
    EmptyRule = "TG126", "empty-rule", Warning;
    /// A selector has spaces around it. Tailscale trims them; tailgrant warns because the
    /// same name then reads differently in different places.
    ///
    /// Bad: `"src": [" group:eng"]`
    WhitespaceInSelector = "TG127", "whitespace-in-selector", Warning;
    /// A node attribute entry is malformed: an `ipPool` that is not a CIDR inside
    /// 100.64.0.0/10 or overlaps a reserved range.
    ///
    /// Evidence (capture): nodeattrs-error-e4 (reserved range); outside 100.64.0.0/10: headscale only.
    InvalidNodeAttr = "TG128", "invalid-node-attr", Error;
    /// An auto-approver route is not a CIDR, or an approver is of a kind that cannot approve.
    ///
    /// Bad: `"routes": {"10.0.0.0": ["group:sre"]}`
    ///
    /// Good: `"routes": {"10.0.0.0/8": ["group:sre"]}`
    ///
    /// Evidence (doc): the autoApprovers documentation (routes are CIDRs).
    InvalidAutoApprover = "TG129", "invalid-auto-approver", Error;
    /// An SSH rule's source is an address (an IP, a CIDR, a host alias or `*`). Tailscale SSH
    /// authorises users, groups and tags; no capture, document or issue shows the control
    /// plane refusing an address there (headscale does), so this is a warning.
    ///
    /// Bad: `"src": ["mooncake"]` with `"hosts": {"mooncake": "100.80.82.66"}`
    ///
    /// Good: `"src": ["tag:workstation"]`
    SshSourceAddress = "TG130", "ssh-source-address", Warning;
    /// A name in a rule's `src` or `dst` is read as a host alias but `hosts` does not define it.
    /// Tailscale has accepted such rules and silently dropped them (#5532), so the rule does not
    /// do what it says; often a misspelt tag or user. (As an SSH or test destination, or a
    /// node attribute target, an undefined host is refused: `TG108`.)
    ///
    /// Bad: `"dst": ["databse:5432"]`
    ///
    /// Good: `"dst": ["database:5432"]` with `"hosts": {"database": "100.64.0.5"}`
    UndefinedHostInRule = "TG131", "undefined-host-in-rule", Warning;
    /// A fragment matched by a guardrail with `requireExpiry` has no `expires`: temporary access
    /// must end by itself.
    ///
    /// Good: `"expires": "2026-11-29T17:00:00Z"`
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    MissingExpiry = "TG201", "missing-expiry", Error;
    /// A fragment's window is longer than the guardrail's `maxDuration`, counted from
    /// `max(notBefore, now)` to `expires`.
    ///
    /// Bad: a grant file valid for 90 days under `"maxDuration": "30d"`
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    MaxDurationExceeded = "TG202", "max-duration-exceeded", Error;
    /// A fragment touches a section its guardrail does not allow (`allowSections`). By default
    /// grant files cannot change `tagOwners`, `autoApprovers`, `nodeAttrs`, `hosts`, `ipsets` or
    /// `postures`: those decide who controls devices, and belong in the reviewed base.
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    SectionNotAllowed = "TG203", "section-not-allowed", Error;
    /// A fragment under `forbidWildcards` grants `*` (as a source, a destination or all ports),
    /// `autogroup:danger-all`, or everyone in the tailnet. Temporary access names what it needs.
    ///
    /// Bad: `{"src": ["alice@example.com"], "dst": ["*"], "ip": ["*"]}`
    ///
    /// Good: `{"src": ["alice@example.com"], "dst": ["tag:prod-db"], "ip": ["tcp:5432"]}`
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    WildcardForbidden = "TG204", "wildcard-forbidden", Error;
    /// A fragment under `requireApprovers` lists no approvers.
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    MissingApprovers = "TG205", "missing-approvers", Error;
    /// An approver does not own a tag the fragment grants access to. Ownership is read from
    /// `tagOwners`, with groups expanded and tag-owns-tag followed (whoever can create the
    /// owning tag's devices can create this tag's). Access also counts when the fragment adds
    /// someone to a group that rules already let reach the tag.
    ///
    /// Bad: `"approvers": ["bob@example.com"]` for `tag:prod-db` owned by `group:dba` without bob
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    ApproverNotOwner = "TG206", "approver-not-owner", Error;
    /// The requester, or someone the fragment grants access to, approves it. Nobody approves
    /// their own access.
    ///
    /// Bad: `"requester": "alice@example.com", "approvers": ["alice@example.com"]`
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    SelfApproval = "TG207", "self-approval", Error;
    /// A fragment under `requireDescription` has no `description`: reviewers and the audit
    /// trail need to know why.
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    MissingDescription = "TG208", "missing-description", Error;
    /// A requester or approver is not one person's login (`name@domain`): groups, tags and
    /// roles cannot request or approve.
    ///
    /// Bad: `"approvers": ["group:dba"]`
    ///
    /// Good: `"approvers": ["bob@example.com"]`
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    InvalidPerson = "TG209", "invalid-person", Error;
    /// Ownership could not be verified offline: the owners listed include a group synced from
    /// the identity provider, a role autogroup (`autogroup:admin`…), or nobody (an empty list
    /// means admins only), and the repository does not say who is in them. tailgrant cannot
    /// prove the approver may approve, so it refuses (fail closed).
    ///
    /// Good: name who may approve in `tailgrant.hujson`: `"owners": {"tag:vault":
    /// ["group:security"]}` (a group of the base policy), or list people in `tagOwners`.
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    OwnershipUnverified = "TG210", "ownership-unverified", Error;
    /// A guarded fragment holds characters that hide or reorder text: bidi controls, zero-width
    /// and other invisible characters, control characters, or a line break or tab inside a
    /// string (raw, in a comment, or written as a `\u` escape). A reviewer may read something
    /// else than the file says ("Trojan Source"), and such text would reach labels, terminals
    /// and pull-request comments.
    ///
    /// Bad: `// grant to alice\u202e` in a comment, `"src": ["ali\u200bce@example.com"]`
    ///
    /// Good: plain text.
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    DeceptiveText = "TG211", "deceptive-text", Error;
    /// A fragment opens a destination that no one owns: the policy names owners only for tags
    /// (`tagOwners`) and users (their own devices), so addresses, host aliases, IP sets, groups
    /// used as destinations, autogroups and `*` have none unless the config's `owners` names
    /// them. Adding people to a group that `nodeAttrs` or `autoApprovers` name has no owner
    /// either (`section:nodeAttrs`, `section:autoApprovers`). Nobody can approve it, so it is
    /// refused.
    ///
    /// Bad: `{"src": ["alice@example.com"], "dst": ["10.0.0.0/16"], "ip": ["tcp:443"]}` with no
    /// owner for the range
    ///
    /// Good: `"owners": {"10.0.0.0/16": ["group:netops"]}` in `tailgrant.hujson`, approved by
    /// someone in `group:netops`
    ///
    /// Evidence (tailgrant): a guardrail of tailgrant's, not a rule of Tailscale's.
    UnownedDestination = "TG212", "unowned-destination", Error;
    /// A fragment sets a posture attribute that a posture reads on a device whose owner the
    /// repository does not know (no devices file, or it lacks the device), so `check` cannot
    /// rule out that an approver owns it. `apply`, which lists the devices, refuses to set it
    /// on an approver's own device.
    ///
    /// Good: configure a devices file (`devices` in `tailgrant.hujson`), refreshed by
    /// `tailgrant import --devices`.
    DeviceOwnerUnverified = "TG213", "device-owner-unverified", Warning;
    /// A guarded fragment would escape the policy's `defaultSrcPosture`. A rule's own
    /// `srcPosture` replaces the default rather than adding to it (device posture docs), so a
    /// grant file could reach its destination from unmanaged devices by naming a weaker
    /// posture, or an empty list. Refused unless every posture the rule lists is one of the
    /// default's, or one defined in trusted ground that requires all the conditions of one of
    /// them (an empty list is refused too: what it requires is not recorded). And some sources
    /// no posture holds at all: addresses, CIDRs, host aliases and IP sets (traffic through a
    /// subnet router), `*`, `autogroup:danger-all`, `autogroup:shared` and users shared in from
    /// another tailnet, as a rule's source or as a member the fragment adds to a group. A
    /// posture the fragment defines with a baseline posture's name but for case or blanks is
    /// refused as well (where a config lets grant files define postures at all).
    ///
    /// Bad: `"srcPosture": []` or `"srcPosture": ["posture:any-os"]`, or `"src":
    /// ["192.168.1.20"]`, with `"defaultSrcPosture": ["posture:managed"]` in the base
    ///
    /// Good: no `srcPosture` (the default applies), `"srcPosture": ["posture:managed"]`, or a
    /// base posture with the conditions of `posture:managed` and more
    ///
    /// Evidence (doc): device posture management (tailscale.com/kb/1288): a rule's
    /// `srcPosture` is used instead of `defaultSrcPosture`; posture conditions "are only
    /// applied to src devices within your tailnet"; a device shared in "will be able to
    /// connect regardless of their posture". The guardrail itself is tailgrant's.
    PostureBaselineDropped = "TG214", "posture-baseline-dropped", Error;
    /// An ACL test fails: an `accept` destination the policy does not allow, or a `deny`
    /// destination it does (the finding lists every rule that allows it, with file and line).
    /// Tailscale would reject the whole policy with `test(s) failed`.
    ///
    /// Bad: a grant file that opens `tag:prod-db:5432` to everyone in `group:eng` while the base
    /// says `{"src": "alice@example.com", "deny": ["tag:prod-db:5432"]}`
    ///
    /// Evidence (capture): the 56 tests-failed captures (`test(s) failed`).
    TestFailed = "TG301", "test-failed", Error;
    /// A test cannot be decided offline: it names an IP address (or a host alias) where the rules
    /// name users or tags, so the answer depends on which live device has that address. Never
    /// counted as a pass.
    ///
    /// Good: test `tag:web:443` rather than `100.64.0.7:443`.
    TestInconclusive = "TG302", "test-inconclusive", Warning;
    /// An SSH test fails: the first matching SSH rule (check rules first) gives another outcome
    /// (`accept`, `check` or `deny`) than the test expects for that login.
    ///
    /// Bad: `{"src": "alice@example.com", "dst": ["tag:prod"], "accept": ["root"]}` when the only
    /// rule for it is a `check` rule.
    ///
    /// Evidence (capture): the sshtest-* tests-failed captures; #14222 for the message.
    SshTestFailed = "TG303", "ssh-test-failed", Error;
    /// A test's source is a group with no members. Tailscale's answer for one is not recorded;
    /// like any group source, it stands for an unnamed member of the group, so the test says
    /// what a member would get. The group may be empty by mistake.
    ///
    /// (No capture uses an empty group as a test source: no evidence Tailscale rejects it.)
    TestSourceEmpty = "TG304", "test-source-empty", Warning;
    /// With a devices file configured, a test's source has no device in it (or an address no
    /// device has). Tailscale failed such tests in 2021 (#2859) but has passed them since
    /// (#4416; USA-RedDragon/tailscale-acls tests `torvalds@github`, who has no device, on every
    /// push), so it is a warning and the test is judged as for any identity.
    ///
    /// Good: refresh the devices file, or test a source that has a device.
    TestSourceWithoutDevice = "TG305", "test-source-without-device", Warning;
    /// A test passes now but will fail on its own as time passes: an `accept` that only rules of
    /// a fragment expiring before the test hold up, a `deny` that a pending fragment's rule will
    /// break, or a pending fragment's own test that fails once it is active. Tailscale refuses a
    /// policy whose tests fail, so from that moment every `apply` stops — and access that has
    /// expired stays live until someone fixes the repository.
    ///
    /// Bad: `grants/b.hujson` (expires Friday) tests `alice accept tag:prod-db:5432`, which only
    /// `grants/a.hujson` (expires Tuesday) grants.
    ///
    /// Good: each grant file tests what it grants itself.
    ///
    /// Evidence (tailgrant): follows from TG301: a test that will fail stops every apply.
    TestFailsLater = "TG306", "test-fails-later", Error;
    /// With `groupTestsPerMember` set, a test whose source is a group passes for the group (an
    /// unnamed member of it, as Tailscale judges it) but would fail for one of the members it
    /// names: rules treat that person apart from the group, and the test says nothing about them.
    ///
    /// Bad: `{"src": "group:users", "deny": ["tag:server:22"]}` while the one member of
    /// `group:users` is also in `group:admins`, which reaches `tag:server`.
    GroupMemberDiffers = "TG307", "group-member-differs", Warning;
    /// `tailgrant approvals`: an approver the grant file names has not approved the pull
    /// request's head commit. Per reviewer the latest review that is not a plain comment
    /// decides: it counts only if it approves the head commit, so "changes requested" or a
    /// dismissed approval after an approval is no approval. Someone else approving does not
    /// count for them.
    ///
    /// Bad: `"approvers": ["bob@example.com"]` and only carol approved the pull request
    ///
    /// Good: bob approves the pull request (on GitHub: Review changes → Approve).
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    ApprovalMissing = "TG401", "approval-missing", Error;
    /// `tailgrant approvals`: an approver approved an earlier commit of the pull request, and a
    /// grant file changed since (or the config's `approvals.acceptEarlierCommit` is off, the
    /// default, so only an approval of the head commit counts). What they approved is not
    /// what would be merged.
    ///
    /// Good: ask them to review the pull request again and approve its latest commit.
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    ApprovalStale = "TG402", "approval-stale", Error;
    /// `tailgrant approvals`: an approver the grant file names has no account on this forge in
    /// the config's `people`, as the pull request's base revision has it, so no review can be
    /// theirs. A mapping added by the pull request itself does not count: otherwise a pull
    /// request could map its approver to the requester's own account.
    ///
    /// Good: `"people": {"bob@example.com": {"github": "bob-gh"}}` in `tailgrant.hujson`,
    /// merged first in its own pull request.
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    ApproverWithoutAccount = "TG403", "approver-without-account", Error;
    /// `tailgrant approvals`: an approver's approval can never count: they opened the pull
    /// request, committed to it, or get something from the grant (the requester, or anyone
    /// its sources, groups or tags may cover, as `forbidSelfApproval` reads it).
    ///
    /// Bad: alice opens the pull request that names her as an approver.
    ///
    /// Good: the approver is someone who did not write the change and gets nothing from it.
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    ApprovalNotIndependent = "TG404", "approval-not-independent", Error;
    /// `tailgrant approvals`: the grant file has fewer approvals than the config's
    /// `approvals.minimum`. Only approvals of the head commit by people listed in `people`
    /// count, and never those of the author, a committer or someone the grant benefits.
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    TooFewApprovals = "TG405", "too-few-approvals", Error;
    /// `tailgrant approvals` with `approvals.requireOwnerApproval`: no one who approved the
    /// head commit owns a destination the grant file opens (ownership as
    /// `approversMustOwnTags` reads it, from trusted files only).
    ///
    /// Good: an owner of the destination (for a tag, someone its `tagOwners` lists) approves.
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    OwnerApprovalMissing = "TG406", "owner-approval-missing", Error;
    /// `tailgrant approvals`: the approvals cannot be tied to the commit under review, so none
    /// counts. The pull request moved on after this run started (the run for the new head
    /// decides), GitLab's merge request head is not the checked-out commit, or the GitLab
    /// project lets approvals survive a push or lets committers approve.
    ///
    /// Good: on GitLab, turn on "Remove all approvals when commits are added to the source
    /// branch" and "Prevent approvals by users who add commits".
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    ApprovalsUnbound = "TG407", "approvals-unbound", Error;
    /// `apply` with `approvals.verifyOnApply`: the commit that last changed an active grant
    /// file did not come through a pull request whose approvals verify (an administrator
    /// merged without review, or pushed to the default branch). The file is treated as
    /// inactive: it contributes nothing until a reviewed pull request changes it.
    ///
    /// Good: re-submit the grant file in a pull request and have its approvers approve it.
    ///
    /// Evidence (tailgrant): the approvals check of tailgrant's, not a rule of Tailscale's.
    UnverifiedGrant = "TG408", "unverified-grant", Error;
    /// `tailgrant new --from-issue` and `tailgrant request`: the access request (an issue
    /// opened with the form `.github/ISSUE_TEMPLATE/access-request.yml`) cannot be read: a
    /// required field is empty, a value does not parse (a destination without a port, a
    /// duration such as `8 parsecs`, both a duration and an end time), or the body is not the
    /// form's (a heading the form does not have, a field answered twice, text before the first
    /// field). The body is written by whoever opens the issue, so it is read as strictly as a
    /// grant file; nothing is drafted from it.
    ///
    /// Bad: `### Destinations` answered with `tag:prod-db` (no port).
    ///
    /// Good: `tag:prod-db:5432`, one destination a line.
    ///
    /// Evidence (tailgrant): the request form is tailgrant's, not Tailscale's.
    InvalidRequest = "TG501", "invalid-request", Error;
    /// `tailgrant new --from-issue --issue-author` and `tailgrant request`: the account that
    /// opened the access request is mapped to no tailnet login by the config's `people`, so
    /// nobody knows whom the access would be for. The requester is never taken from the form
    /// itself: anyone could write someone else's login there.
    ///
    /// Good: `"people": {"alice@example.com": {"github": "alice-gh"}}` in `tailgrant.hujson`,
    /// merged in its own pull request, then the request opened again.
    ///
    /// Evidence (tailgrant): the request flow is tailgrant's, not Tailscale's.
    UnknownRequester = "TG502", "unknown-requester", Error;
}

#[cfg(test)]
mod tests {
    use super::Code;
    use std::collections::HashSet;

    /// An error needs evidence (issue: "hard errors need evidence"): every error-level code says
    /// which, and docs/rules.md shows it.
    #[test]
    fn every_error_says_on_what_evidence() {
        for c in Code::ALL.iter().filter(|c| c.default_severity() == super::Severity::Error) {
            let doc = c.doc_text();
            let level = doc.split("Evidence (").nth(1).and_then(|r| r.split(')').next());
            assert!(
                matches!(level, Some("capture" | "source" | "doc" | "issue" | "tailgrant")),
                "{} has no evidence line",
                c.as_str()
            );
        }
    }

    #[test]
    fn codes_and_names_are_unique() {
        let codes: HashSet<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let names: HashSet<_> = Code::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(codes.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
        for c in Code::ALL {
            assert!(c.as_str().starts_with("TG") && c.as_str().len() == 5, "{c:?}");
            assert!(!c.doc().trim().is_empty(), "{c:?} has no documentation");
        }
    }

    /// Findings sort by code (`derive(Ord)` follows declaration order) and docs/rules.md lists
    /// codes in declaration order: both must read TG000, TG001, … upwards.
    #[test]
    fn codes_are_declared_in_numeric_order() {
        let codes: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted);
    }
}
