//! The optional devices file: the tailnet's devices as `GET /api/v2/tailnet/-/devices` returns
//! them (`{"devices": [...]}`). With it, tests that name addresses can be decided offline.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct DeviceList {
    pub(crate) devices: Vec<DeviceRecord>,
}

/// The fields of a device that tests need; the API's other fields are ignored (and not
/// written by `tailgrant snapshot`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DeviceRecord {
    #[serde(default)]
    pub name: String,
    /// The login that registered the device.
    #[serde(default)]
    pub(crate) user: String,
    /// Absent when the device has no tags.
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) addresses: Vec<String>,
    #[serde(default, rename = "isExternal")]
    pub(crate) is_external: bool,
    #[serde(default)]
    pub(crate) hostname: String,
    #[serde(default)]
    pub(crate) id: String,
    #[serde(default, rename = "nodeId")]
    pub node_id: String,
}

/// Who a device is, for matching: tagged devices are their tags, others their user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceIdentity {
    pub(crate) name: String,
    /// The owner (lowercased), for untagged devices.
    pub(crate) user: Option<String>,
    pub(crate) tags: Vec<String>,
}

/// The devices by address, and which users and tags have any device.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inventory {
    pub(crate) by_ip: HashMap<IpAddr, DeviceIdentity>,
    pub(crate) users: HashSet<String>,
    pub(crate) tags: HashSet<String>,
    /// Every device with the names a fragment may use for it: node ID, ID, hostname, name.
    named: Vec<(DeviceNames, DeviceIdentity)>,
}

#[derive(Debug, Clone)]
struct DeviceNames {
    node_id: String,
    id: String,
    hostname: String,
    name: String,
}

impl From<DeviceList> for Inventory {
    fn from(list: DeviceList) -> Self {
        let mut inv = Inventory::default();
        for d in list.devices {
            let user = d.user.to_ascii_lowercase();
            let identity = DeviceIdentity {
                name: d.name.clone(),
                // A tagged device loses its owner's identity.
                user: d.tags.is_empty().then(|| user.clone()),
                tags: d.tags.clone(),
            };
            if d.tags.is_empty() {
                inv.users.insert(user);
            }
            let names = DeviceNames { node_id: d.node_id, id: d.id, hostname: d.hostname, name: d.name };
            inv.named.push((names, identity.clone()));
            inv.tags.extend(d.tags.iter().cloned());
            for a in &d.addresses {
                if let Ok(ip) = a.parse() {
                    inv.by_ip.insert(ip, identity.clone());
                }
            }
        }
        inv
    }
}

/// What a device name finds in the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found<'a> {
    Nothing,
    One(&'a DeviceIdentity),
    Several,
}

impl Inventory {
    /// The device a fragment names, matched as `apply` matches it: node ID or ID exactly, else
    /// hostname, MagicDNS name or its first label, without regard to case.
    pub(crate) fn find(&self, name: &str) -> Found<'_> {
        let name = name.trim();
        if let Some((_, d)) = self.named.iter().find(|(n, _)| n.node_id == name || (!n.id.is_empty() && n.id == name)) {
            return Found::One(d);
        }
        let matches: Vec<&DeviceIdentity> = self
            .named
            .iter()
            .filter(|(n, _)| {
                let full = n.name.trim_end_matches('.');
                n.hostname.eq_ignore_ascii_case(name)
                    || full.eq_ignore_ascii_case(name.trim_end_matches('.'))
                    || full.split('.').next().is_some_and(|l| l.eq_ignore_ascii_case(name))
            })
            .map(|(_, d)| d)
            .collect();
        match matches.as_slice() {
            [] => Found::Nothing,
            [one] => Found::One(one),
            _ => Found::Several,
        }
    }
}
