//! `cognate policy explain`: "why was I denied?" — a role's decision on one request, the
//! statements that decided it (by policy, position and Sid) and the context keys its statements
//! read but the request did not give.

use cognate_core::iam::IamName;
use cognate_core::service::Cognito;
use cognate_iam::{Context, Decision, Effect};

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The role whose policies decide.
    #[arg(long)]
    pub role: String,
    /// The action, as IAM names it (`s3:GetObject`, `cognito-idp:AdminGetUser`).
    #[arg(long)]
    pub action: String,
    /// The resource's ARN.
    #[arg(long)]
    pub resource: String,
    /// A context key and its value (`aws:SourceIp=10.0.0.1`); give a key twice for a
    /// multi-valued key.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
}

fn context(entries: &[String]) -> Result<Context, String> {
    let mut values: Vec<(String, Vec<String>)> = Vec::new();
    for entry in entries {
        let (key, value) = entry
            .split_once('=')
            .ok_or_else(|| format!("--context {entry}: write KEY=VALUE"))?;
        match values.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, list)) => list.push(value.to_owned()),
            None => values.push((key.to_owned(), vec![value.to_owned()])),
        }
    }
    let mut context = Context::new();
    for (key, mut list) in values {
        if list.len() == 1 {
            context.insert(&key, list.remove(0));
        } else {
            context.insert_multi(&key, list);
        }
    }
    Ok(context)
}

/// The explanation, as printed.
pub async fn explain(cognito: &Cognito, args: &ExplainArgs) -> Result<String, String> {
    let role = IamName::role(&args.role).map_err(|e| e.message().to_owned())?;
    let explained = cognito
        .explain_role(&role, &args.action, &args.resource, context(&args.context)?)
        .await
        .map_err(|e| e.message().to_owned())?;
    let evaluation = &explained.evaluation;
    let mut out = format!(
        "{} for role {} to {} on {}\n",
        match evaluation.decision {
            Decision::Allow => "ALLOWED",
            Decision::ExplicitDeny => "DENIED (explicit deny)",
            Decision::ImplicitDeny => "DENIED (no statement allows it)",
        },
        role,
        args.action,
        args.resource
    );
    if explained.policies.is_empty() {
        out.push_str("The role has no policies.\n");
    }
    for matched in &evaluation.matched {
        let source = &explained.policies[matched.policy].source;
        out.push_str(&format!(
            "  {} by {source}, statement {}{} (line {}, column {})\n",
            match matched.effect {
                Effect::Allow => "allowed",
                Effect::Deny => "denied",
            },
            matched.statement + 1,
            matched
                .sid
                .as_deref()
                .map(|sid| format!(" Sid {sid}"))
                .unwrap_or_default(),
            matched.span.start.line,
            matched.span.start.column,
        ));
    }
    if !evaluation.missing_keys.is_empty() {
        out.push_str(&format!(
            "Context keys the statements read but the request did not give: {}\n(give them with --context KEY=VALUE)\n",
            evaluation.missing_keys.join(", ")
        ));
    }
    Ok(out)
}
