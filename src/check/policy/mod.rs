//! Policy rules: what Tailscale's control plane would reject, found before any API sees the
//! file. One module per family; each walks the rule view and reports with the span of the
//! offending value. Each code's evidence is in its documentation (docs/rules.md).

mod definitions;
mod network;
mod selectors;
mod ssh;
mod tests;

use crate::finding::{Code, Finding};
use crate::load::view::{Origin, View};
use crate::parse::Value;

pub(super) use selectors::Place;

pub(super) fn check(view: &View<'_>, findings: &mut Vec<Finding>) {
    let mut ctx = Ctx { view, findings };
    definitions::check(&mut ctx);
    network::check(&mut ctx);
    ssh::check(&mut ctx);
    tests::check(&mut ctx);
}

/// What every rule needs: the view to resolve names in, and where findings go.
pub(super) struct Ctx<'v, 'a> {
    pub(crate) view: &'v View<'a>,
    pub(crate) findings: &'v mut Vec<Finding>,
}

impl Ctx<'_, '_> {
    pub(super) fn report(
        &mut self,
        code: Code,
        origin: Origin<'_>,
        at: &Value,
        message: String,
        help: impl Into<String>,
    ) {
        self.findings.push(Finding::new(code, origin.at(at), message, help));
    }
}
