//! The optional users file: the tailnet's users as `GET /api/v2/tailnet/-/users` returns them
//! (`{"users": [...]}`), written by `tailgrant snapshot`. Whether a login is a member of the
//! tailnet, shared in, or holds a role is live state; with this file, tests that hinge on it
//! (`autogroup:member`, `autogroup:shared`, the role autogroups) can be decided offline.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct UserList {
    pub users: Vec<UserRecord>,
}

/// The fields of a user that tests need; the API's other fields are ignored.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRecord {
    pub login_name: String,
    /// `owner`, `admin`, `member`, `it-admin`, `network-admin`, `billing-admin`, `auditor`.
    #[serde(default)]
    pub role: String,
    /// `member` (of this tailnet) or `shared` (shared in from another).
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: String,
}

/// The users by login (lowercased).
#[derive(Debug, Clone, Default)]
pub struct Directory {
    users: HashMap<String, UserRecord>,
}

impl From<UserList> for Directory {
    fn from(list: UserList) -> Self {
        Directory { users: list.users.into_iter().map(|u| (u.login_name.trim().to_ascii_lowercase(), u)).collect() }
    }
}

impl Directory {
    /// The user with this login, if the tailnet has them.
    pub fn get(&self, login: &str) -> Option<&UserRecord> {
        self.users.get(&login.trim().to_ascii_lowercase())
    }

    /// Whether the login is a member of the tailnet (not shared in, not absent).
    pub fn is_member(&self, login: &str) -> bool {
        self.get(login).is_some_and(|u| u.kind != "shared")
    }

    /// Whether the login is shared in from another tailnet.
    pub fn is_shared(&self, login: &str) -> bool {
        self.get(login).is_some_and(|u| u.kind == "shared")
    }

    /// Whether the login holds `role` (`admin`, `owner`…). The owner holds no other role here:
    /// which roles an owner matches in rules is not documented.
    pub fn has_role(&self, login: &str, role: &str) -> bool {
        self.get(login).is_some_and(|u| u.role == role)
    }
}
