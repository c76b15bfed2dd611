//! The optional devices file: the tailnet's devices as `GET /api/v2/tailnet/-/devices` returns
//! them (`{"devices": [...]}`). With it, tests that name addresses can be decided offline.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceRecord>,
}

/// The fields of a device that tests need; the API's other fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceRecord {
    #[serde(default)]
    pub name: String,
    /// The login that registered the device.
    #[serde(default)]
    pub user: String,
    /// Absent when the device has no tags.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default, rename = "isExternal")]
    pub is_external: bool,
}

/// Who a device is, for matching: tagged devices are their tags, others their user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    pub name: String,
    /// The owner (lowercased), for untagged devices.
    pub user: Option<String>,
    pub tags: Vec<String>,
}

/// The devices by address, and which users and tags have any device.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub by_ip: HashMap<IpAddr, DeviceIdentity>,
    pub users: HashSet<String>,
    pub tags: HashSet<String>,
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
