//! The identity half of a push, as Amplify's `userPoolGroups` and auth stacks make it: an
//! identity pool for the project's web client, an auth and an unauth role trusting it, one role
//! per group named `<poolId>-<Group>GroupRole` (set as the group's RoleArn, carrying the group's
//! `customPolicies`), and the Token role mapping that gives members their first group's role.

use std::collections::BTreeMap;

use super::backend::IdentityBackend;
use super::iam::NewRole;
use super::Cognito;
use super::GroupSettings;
use crate::error::{Error, Result};
use crate::iam::{IamName, PolicyOwner};
use crate::identity::{
    AmbiguousRoleResolution, CognitoProvider, IdentityPool, IdentityPoolId, MappingType,
    RoleMapping,
};
use crate::ids::{ClientId, GroupName, PoolId, Timestamp};

/// A trust policy as Amplify writes it: Cognito's identity service, for this identity pool,
/// for identities whose `amr` holds `amr`.
pub fn identity_pool_trust(identity_pool: &IdentityPoolId, amr: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": identity_pool},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr},
            },
        }],
    })
    .to_string()
}

impl Cognito {
    /// Makes the identity side of a project match; returns the identity pool's id.
    pub(super) async fn apply_identity_backend(
        &self,
        pool: &PoolId,
        client: &ClientId,
        groups: &[GroupName],
        wanted: &IdentityBackend,
        existing: Option<&IdentityPool>,
    ) -> Result<IdentityPoolId> {
        let provider = CognitoProvider {
            provider_name: format!("cognito-idp.{}.amazonaws.com/{pool}", pool.region()),
            client_id: client.to_string(),
            server_side_token_check: true,
        };
        let settings = |id: IdentityPoolId, created: Timestamp| IdentityPool {
            id,
            name: wanted.name.clone(),
            allow_unauthenticated: wanted.allow_guests,
            allow_classic_flow: false,
            cognito_providers: vec![provider.clone()],
            supported_login_providers: BTreeMap::new(),
            developer_provider_name: None,
            open_id_connect_provider_arns: vec![],
            saml_provider_arns: vec![],
            tags: BTreeMap::new(),
            roles: BTreeMap::new(),
            role_mappings: BTreeMap::new(),
            created,
        };
        let identity_pool = match existing {
            Some(current) => {
                self.update_identity_pool(settings(current.id.clone(), current.created))
                    .await?
                    .id
            }
            None => {
                self.create_identity_pool(settings(
                    IdentityPoolId::generate("unassigned"),
                    Timestamp(0),
                ))
                .await?
                .id
            }
        };
        let auth = self
            .ensure_role(&format!("{pool}-authRole"), &identity_pool, "authenticated")
            .await?;
        let unauth = self
            .ensure_role(
                &format!("{pool}-unauthRole"),
                &identity_pool,
                "unauthenticated",
            )
            .await?;
        for group in groups {
            let role = self
                .ensure_role(
                    &format!("{pool}-{group}GroupRole"),
                    &identity_pool,
                    "authenticated",
                )
                .await?;
            for (owner, name, document) in &wanted.group_policies {
                if owner == group {
                    self.put_inline_policy(
                        PolicyOwner::Role(IamName::role(&format!("{pool}-{group}GroupRole"))?),
                        name.clone(),
                        document.clone(),
                    )
                    .await?;
                }
            }
            let current = self.get_group(pool, group).await?;
            if current.role_arn.as_deref() != Some(role.as_str()) {
                self.update_group(
                    pool,
                    group,
                    GroupSettings {
                        description: current.description,
                        precedence: current.precedence,
                        role_arn: Some(role),
                    },
                )
                .await?;
            }
        }
        let roles = BTreeMap::from([
            ("authenticated".to_owned(), auth),
            ("unauthenticated".to_owned(), unauth),
        ]);
        let mapping = RoleMapping {
            mapping_type: MappingType::Token,
            ambiguous_role_resolution: Some(AmbiguousRoleResolution::AuthenticatedRole),
            rules: vec![],
        };
        let mappings = BTreeMap::from([(format!("{}:{client}", provider.provider_name), mapping)]);
        self.set_identity_pool_roles(&identity_pool, roles, mappings)
            .await?;
        Ok(identity_pool)
    }

    /// The role `name` with the trust of `identity_pool` for `amr`, created or brought back to
    /// that trust; its ARN.
    async fn ensure_role(
        &self,
        name: &str,
        identity_pool: &IdentityPoolId,
        amr: &str,
    ) -> Result<String> {
        let name = IamName::role(name)?;
        let trust = identity_pool_trust(identity_pool, amr);
        match self.store.get_role(&name).await? {
            Some(role) if role.trust_policy == trust => Ok(role.arn),
            Some(role) => {
                self.update_assume_role_policy(&name, trust).await?;
                Ok(role.arn)
            }
            None => match self
                .create_role(NewRole {
                    name: name.clone(),
                    path: None,
                    trust_policy: trust,
                    description: None,
                    max_session_duration: None,
                    tags: vec![],
                })
                .await
            {
                Ok(role) => Ok(role.arn),
                // Another push made it meanwhile.
                Err(Error::EntityAlreadyExists(_)) => Ok(self.get_role(&name).await?.arn),
                Err(e) => Err(e),
            },
        }
    }
}
