//! Every signed call's last gate before its handler: the request's context keys, then the one
//! evaluator (`Cognito::authorize`) on the action and resource the adapter mapped it to.

use cognate_core::Result;
use cognate_iam::Context;

use crate::sigv4::Caller;
use crate::AppState;

/// Decides whether `caller` may perform `action` on `resource`.
pub async fn check(state: &AppState, caller: &Caller, action: &str, resource: &str) -> Result<()> {
    let mut context = Context::new();
    context.insert("aws:SourceIp", caller.address.to_string());
    context.insert(
        "aws:RequestedRegion",
        state.cognito.config().region.as_str(),
    );
    context.insert("aws:SecureTransport", caller.secure.to_string());
    state
        .cognito
        .authorize(&caller.principal, action, resource, context)
        .await
}
