//! `explain`: may SRC reach DST, and which rules say so.

use serde::Serialize;

use super::compile::Compiled;
use super::{Device, Proto, Tri};
use crate::model::selector::{parse_protocol, split_host_ports};

#[derive(Debug, Serialize)]
pub struct Explanation {
    pub src: String,
    pub dst: String,
    pub port: Option<u16>,
    pub proto: String,
    /// `allowed`, `denied` or `unknown`.
    pub verdict: &'static str,
    /// Per source and destination device, when a side names several (a group).
    pub pairs: Vec<PairVerdict>,
    pub rules: Vec<RuleRef>,
    /// Rules that would allow it from a device meeting their posture (`--attr` supplies
    /// the device's attributes).
    pub posture_gated: Vec<RuleRef>,
}

#[derive(Debug, Serialize)]
pub struct PairVerdict {
    pub src: String,
    pub dst: String,
    pub verdict: &'static str,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RuleRef {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The fragment and its expiry, for rules that come from one.
    pub fragment: Option<String>,
}

/// Why a question could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    #[error("{0:?} is not a user, group, tag, host or IP address that this policy defines")]
    Unknown(String),
    #[error("{0}")]
    Port(String),
    #[error("{0}")]
    Proto(String),
}

fn word(t: Tri) -> &'static str {
    match t {
        Tri::Yes => "allowed",
        Tri::No => "denied",
        Tri::Unknown => "unknown",
    }
}

/// A destination as `explain` reads it: `tag:web:443` is a host and a port; `tag:web` and
/// `fd7a::1` are hosts alone.
pub(crate) fn host_and_port(dst: &str) -> Result<(&str, Option<u16>), String> {
    match split_host_ports(dst) {
        Ok((h, p))
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && dst.parse::<std::net::IpAddr>().is_err() =>
        {
            let port = p.parse::<u16>().map_err(|_| format!("{p:?} is not one port number"))?;
            Ok((h, Some(port)))
        }
        _ => Ok((dst, None)),
    }
}

/// Answers "may `src` reach `dst`" (`dst` is `HOST` or `HOST:PORT`). Without a port, the
/// question is whether any rule connects the two (what ICMP needs).
pub fn explain(
    policy: &Compiled,
    src: &str,
    dst: &str,
    proto: Option<&str>,
    attrs: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<Explanation, ExplainError> {
    let srcs = super::run::resolve(policy, src)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ExplainError::Unknown(src.to_owned()))?;
    let (host, port) = host_and_port(dst).map_err(ExplainError::Port)?;
    let dsts: Vec<Device> = if host == "autogroup:self" {
        srcs.clone()
    } else {
        super::run::resolve(policy, host)
            .filter(|d| !d.is_empty())
            .ok_or_else(|| ExplainError::Unknown(host.to_owned()))?
    };
    let (q, proto_text) = match (proto, port) {
        (Some(p), _) => (Proto::Number(parse_protocol(p).map_err(ExplainError::Proto)?), p.to_owned()),
        (None, Some(_)) => (Proto::TcpOrUdp, "tcp or udp".to_owned()),
        (None, None) => (Proto::Number(1), "any".to_owned()),
    };
    // Posture mode: while a gated fragment is active, apply sets its attribute on the devices
    // of its sources, so a device that its rules' sources match carries it.
    let with_gates;
    let attrs = if policy.gate_keys.is_empty() {
        attrs
    } else {
        let mut all = attrs.cloned().unwrap_or_default();
        for k in &policy.gate_keys {
            all.entry(k.clone()).or_insert(serde_json::Value::Bool(true));
        }
        with_gates = all;
        Some(&with_gates)
    };
    let mut pairs = Vec::new();
    let mut rules = Vec::new();
    let mut posture_gated = Vec::new();
    let mut overall = Tri::Yes;
    let rule_ref = |r: usize| {
        let source = &policy.sources[policy.rules[r].source];
        RuleRef {
            file: source.location.file.clone(),
            line: source.location.line,
            column: source.location.column,
            fragment: source.fragment.clone(),
        }
    };
    for s in &srcs {
        for d in if host == "autogroup:self" { std::slice::from_ref(s) } else { &dsts[..] } {
            let v = policy.allowed(s, d, q, port.unwrap_or(0), attrs);
            overall = overall.and(v.allowed);
            pairs.push(PairVerdict { src: s.to_string(), dst: d.to_string(), verdict: word(v.allowed) });
            for (found, list) in [(v.by, &mut rules), (v.gated, &mut posture_gated)] {
                for r in found {
                    let rr = rule_ref(r);
                    if !list.contains(&rr) {
                        list.push(rr);
                    }
                }
            }
        }
    }
    Ok(Explanation {
        src: src.to_owned(),
        dst: host.to_owned(),
        port,
        proto: proto_text,
        verdict: word(overall),
        pairs,
        rules,
        posture_gated,
    })
}
