//! The optional users file: the tailnet's users as `GET /api/v2/tailnet/-/users` returns them
//! (`{"users": [...]}`), written by `tailgrant snapshot`. Whether a login is a member of the
//! tailnet, shared in, or holds a role is live state; with this file, tests that hinge on it
//! (`autogroup:member`, `autogroup:shared`, the role autogroups) can be decided offline.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct UserList {
    pub(crate) users: Vec<UserRecord>,
}

/// The fields of a user that tests need; the API's other fields are ignored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub login_name: String,
    /// `owner`, `admin`, `member`, `it-admin`, `network-admin`, `billing-admin`, `auditor`.
    #[serde(default)]
    pub(crate) role: String,
    /// `member` (of this tailnet) or `shared` (shared in from another).
    #[serde(default, rename = "type")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) status: String,
}

/// The users by login (lowercased).
#[derive(Debug, Clone, Default)]
pub(crate) struct Directory {
    users: HashMap<String, UserRecord>,
}

impl From<UserList> for Directory {
    fn from(list: UserList) -> Self {
        Directory { users: list.users.into_iter().map(|u| (u.login_name.trim().to_ascii_lowercase(), u)).collect() }
    }
}

impl Directory {
    /// The user with this login, if the tailnet has them.
    pub(crate) fn get(&self, login: &str) -> Option<&UserRecord> {
        self.users.get(&login.trim().to_ascii_lowercase())
    }

    /// Whether the login is a member of the tailnet (not shared in, not absent).
    pub(crate) fn is_member(&self, login: &str) -> bool {
        self.get(login).is_some_and(|u| u.kind != "shared")
    }

    /// Whether the login is shared in from another tailnet.
    pub(crate) fn is_shared(&self, login: &str) -> bool {
        self.get(login).is_some_and(|u| u.kind == "shared")
    }

    /// Whether the login holds `role` (`admin`, `owner`…). The owner holds no other role here:
    /// which roles an owner matches in rules is not documented.
    pub(crate) fn has_role(&self, login: &str, role: &str) -> bool {
        self.get(login).is_some_and(|u| u.role == role)
    }
}
